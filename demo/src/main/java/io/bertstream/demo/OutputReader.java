package io.bertstream.demo;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.serde.AvroDeserializer;
import io.bertstream.topology.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads the output and dead-letter topics the way a downstream consumer would (read_committed, so only what
 * the exactly-once processor committed), until every expected record is there or time runs out.
 */
public final class OutputReader {

    /** A dead-lettered input with the reason from its headers. */
    public record DeadLetterInfo(String key, String stage, String errorClass, String message) {
    }

    /** What came out, and how long it took from the reader's start to the last record. */
    public record Result(Map<String, EmbeddingRecord> embeddings, List<DeadLetterInfo> deadLetters, Duration elapsed) {
    }

    /** Called after every poll with the counts so far. */
    public interface Progress {
        void update(int embedded, int deadLettered, Duration elapsed);
    }

    private OutputReader() {
    }

    public static Result read(String bootstrapServers, String outputTopic, String dlqTopic, int expectedEmbeddings,
                              int expectedDeadLetters, Duration timeout, Progress progress) {
        var embeddings = new LinkedHashMap<String, EmbeddingRecord>();
        var deadLetters = new ArrayList<DeadLetterInfo>();
        var decoder = new AvroDeserializer<>(EmbeddingRecord.class, null);
        long start = System.nanoTime();
        long lastRecord = start;
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "bertstream-demo-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(outputTopic, dlqTopic));
            long deadline = start + timeout.toNanos();
            while ((embeddings.size() < expectedEmbeddings || deadLetters.size() < expectedDeadLetters)
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.topic().equals(outputTopic)) {
                        embeddings.put(record.key(), decoder.deserialize(record.topic(), record.value()));
                    } else {
                        deadLetters.add(new DeadLetterInfo(record.key(),
                                DeadLetter.header(record.headers(), DeadLetter.STAGE),
                                DeadLetter.header(record.headers(), DeadLetter.ERROR_CLASS),
                                DeadLetter.header(record.headers(), DeadLetter.ERROR_MESSAGE)));
                    }
                    lastRecord = System.nanoTime();
                }
                progress.update(embeddings.size(), deadLetters.size(), Duration.ofNanos(System.nanoTime() - start));
            }
        }
        return new Result(embeddings, deadLetters, Duration.ofNanos(lastRecord - start));
    }
}
