package io.bertstream.cli;

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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bertstream run` and `bertstream replay` through the command line, on a real KRaft broker and the MiniLM model. */
class RunAndReplayCommandTest {

    private static EmbeddedKafka kafka;

    @TempDir
    Path dir;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start(Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private Path configFile(String appId, String input, String output) throws Exception {
        Path file = dir.resolve(appId + ".properties");
        Files.writeString(file, String.join("\n",
                "application.id=" + appId,
                "bootstrap.servers=" + kafka.bootstrapServers(),
                "state.dir=" + dir.resolve("state").toString().replace("\\", "/"),
                "bertstream.input.topics=" + input,
                "bertstream.input.format=json",
                "bertstream.input.json.id-pointer=/id",
                "bertstream.output.topic=" + output,
                "bertstream.dlq.topic=" + output + "-dlq",
                "bertstream.micro-batch.linger-ms=100",
                "bertstream.threads=1",
                "bertstream.metrics.port=0",
                ""));
        return file;
    }

    private static void produce(String topic, int from, int to, long timestamp) {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(topic, null, timestamp, "k" + i,
                        "{\"id\":\"e" + i + "\",\"text\":\"replayable sentence " + i + "\"}"));
            }
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected, Duration timeout) {
        var records = new ArrayList<ConsumerRecord<String, byte[]>>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, unique("reader"),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            long grace = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, grace)) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (records.size() >= expected && grace == Long.MAX_VALUE) {
                    grace = System.nanoTime() + Duration.ofSeconds(1).toNanos(); // duplicates would show up now
                }
            }
        }
        return records;
    }

    @Test
    void runEmbedsUntilStoppedAndReplayReembedsIntoItsOwnTopicWithoutDisturbingIt() throws Exception {
        String input = unique("texts");
        String live = unique("embeddings");
        String replayed = unique("embeddings-v2");
        kafka.createTopics(2, input, live, live + "-dlq");
        long old = System.currentTimeMillis() - Duration.ofDays(2).toMillis();
        long recent = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        produce(input, 0, 10, old);
        produce(input, 10, 20, recent);
        Path config = configFile(unique("live"), input, live);

        var runExit = new AtomicInteger(-1);
        Thread run = new Thread(() -> runExit.set(Bertstream.execute("run", "--config", config.toString())), "run");
        run.start();
        try {
            assertEquals(20, readCommitted(live, 20, Duration.ofSeconds(120)).size());

            // A replay from a timestamp while the live app runs: only the recent half, into its own topic.
            int replayExit = Bertstream.execute("replay", "--config", config.toString(), "--from",
                    java.time.Instant.ofEpochMilli(recent - 1000).toString(), "--output", replayed);
            assertEquals(0, replayExit);
            var replayRecords = readCommitted(replayed, 10, Duration.ofSeconds(30));
            assertEquals(List.of("e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19"),
                    replayRecords.stream().map(ConsumerRecord::key).sorted().toList());
            var deserializer = new AvroDeserializer<>(EmbeddingRecord.class, null);
            EmbeddingRecord first = deserializer.deserialize(replayed, replayRecords.get(0).value());
            assertTrue(first.getModel().getWeightsSha256().matches("[0-9a-f]{64}"), "model identity in every record");

            // The live app kept its own offsets: new input still reaches the live topic exactly once.
            produce(input, 20, 25, System.currentTimeMillis());
            assertEquals(25, readCommitted(live, 25, Duration.ofSeconds(60)).size());
        } finally {
            run.interrupt();
            run.join(60_000);
        }
        assertEquals(0, runExit.get(), "run stops cleanly when asked");

        // From the beginning: everything still in the topic.
        String all = unique("embeddings-all");
        assertEquals(0, Bertstream.execute("replay", "--config", config.toString(), "--from-beginning", "--output", all,
                "--dead-letter-topic", all + "-dlq"));
        assertEquals(25, readCommitted(all, 25, Duration.ofSeconds(30)).size());
    }

    @Test
    void badConfigIsAUsageError() throws Exception {
        Path config = dir.resolve("bad.properties");
        Files.writeString(config, "bertstream.micro-batch.max-records=lots\n");
        assertEquals(2, Bertstream.execute("run", "--config", config.toString()));
        assertEquals(2, Bertstream.execute("replay", "--config", config.toString(), "--from", "yesterday"));
        Files.writeString(config, "application.id=a\nbootstrap.servers=localhost:1\nbertstream.input.topics=t\n"
                + "bertstream.output.topic=o\nbertstream.dlq.topic=d\nbertstream.backend=tensorflow\n");
        assertEquals(2, Bertstream.execute("run", "--config", config.toString()), "an unknown backend is a usage error");
        Files.writeString(config, "application.id=a\nbootstrap.servers=localhost:1\nbertstream.input.topics=t\n"
                + "bertstream.output.topic=o\nbertstream.dlq.topic=d\n");
        assertEquals(2, Bertstream.execute("replay", "--config", config.toString()),
                "the live output topic without --allow-live-output is a usage error, before the model or Kafka");
    }
}
