package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.kafka.EmbeddedKafka;
import io.bertstream.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/** One real KRaft broker per test JVM, and helpers to write input and read committed output. */
final class KafkaTestSupport {

    private static EmbeddedKafka broker;

    private KafkaTestSupport() {
    }

    static synchronized EmbeddedKafka broker() {
        if (broker == null) {
            // Abort a killed producer's open transaction within seconds, not the default minute.
            broker = EmbeddedKafka.start(Map.of(
                    "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000",
                    "group.min.session.timeout.ms", "2000"));
            Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        }
        return broker;
    }

    /** Unique topic / application names so tests never see each other's data. */
    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A bertstream config for the shared broker, tuned for fast failover on a test machine. */
    static Map<String, String> config(String appId, String input, String output, String dlq, Path stateDir) {
        var settings = new HashMap<String, String>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(BertstreamConfig.INPUT_TOPICS, input);
        settings.put(BertstreamConfig.OUTPUT_TOPIC, output);
        settings.put(BertstreamConfig.DLQ_TOPIC, dlq);
        settings.put(BertstreamConfig.INPUT_FORMAT, "json");
        settings.put(BertstreamConfig.INPUT_ID_POINTER, "/id");
        settings.put(BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "16");
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "200");
        settings.put(BertstreamConfig.METRICS_PORT, "0");
        settings.put(BertstreamConfig.THREADS, "1");
        settings.put("session.timeout.ms", "3000");
        settings.put("heartbeat.interval.ms", "500");
        settings.put("producer.transaction.timeout.ms", "5000");
        return settings;
    }

    static String json(String id, String text) {
        return "{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}";
    }

    static KafkaProducer<byte[], byte[]> producer(int maxRequestBytes) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers(),
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestBytes,
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key == null ? null : key.getBytes(), value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads {@code topic} from the start with read_committed until {@code done} holds or the timeout passes. */
    static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, Duration timeout,
                                                              Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        var records = new ArrayList<ConsumerRecord<String, byte[]>>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, unique("reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            // A little more, to catch duplicates that would arrive after the expected count.
            long grace = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < grace) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** Reads several topics from the start with read_committed until {@code done} holds or the timeout passes. */
    static List<ConsumerRecord<String, byte[]>> readCommitted(List<String> topics, Duration timeout,
                                                              Predicate<List<ConsumerRecord<String, byte[]>>> done) {
        var records = new ArrayList<ConsumerRecord<String, byte[]>>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, unique("reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(topics);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(records) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            long grace = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < grace) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    static EmbeddingRecord decode(ConsumerRecord<String, byte[]> record) {
        return new AvroDeserializer<>(EmbeddingRecord.class, null).deserialize(record.topic(), record.value());
    }
}
