package io.bertstream.topology;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BertstreamConfigTest {

    private static final Path EXAMPLES = Path.of("..", "config");

    @Test
    void fileThenEnvironmentWithKafkaKeysPassedThroughAndExactlyOnceByDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, String.join("\n",
                "application.id=app", "bootstrap.servers=broker:9092", "bertstream.input.topics=a,b",
                "bertstream.output.topic=out", "bertstream.dlq.topic=dlq", "bertstream.batch.max-records=8",
                "security.protocol=SASL_SSL", ""));
        var config = BertstreamConfig.load(file, Map.of(
                "BERTSTREAM_BATCH_MAX_RECORDS", "32",
                "BERTSTREAM_BATCH_LINGER_MS", "7",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"s3cr3t\";",
                "PATH", "/usr/bin"));

        var settings = config.topologySettings();
        assertEquals(List.of("a", "b"), settings.inputTopics());
        assertEquals(32, settings.batch().maxRecords(), "the environment wins over the file");
        assertEquals(7, settings.batch().linger().toMillis());
        assertEquals(65536, settings.batch().maxTokens(), "defaults fill the rest");
        var kafka = config.kafkaProperties();
        assertEquals("SASL_SSL", kafka.get("security.protocol"));
        assertTrue(((String) kafka.get("sasl.jaas.config")).contains("PlainLoginModule"), "KAFKA_ env vars pass through");
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, kafka.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertFalse(kafka.containsKey(BertstreamConfig.BATCH_MAX_RECORDS), "bertstream keys stay out of Kafka's config");
        assertNull(kafka.get("path"), "only KAFKA_-prefixed variables reach Kafka");
    }

    @Test
    void secretsNeverReachTheDescription() {
        var config = BertstreamConfig.of(Map.of(
                "sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"hunter2\";",
                "ssl.truststore.password", "hunter3",
                "ssl.key.password", "hunter4",
                "schema.registry.basic.auth.user.info", "user:hunter5",
                "schema.registry.url", "https://user:hunter6@registry:8081",
                BertstreamConfig.BATCH_MAX_TOKENS, "4096"), Map.of());
        String described = config.describe();
        for (String secret : List.of("hunter2", "hunter3", "hunter4", "hunter5", "hunter6")) {
            assertFalse(described.contains(secret), secret + " leaked: " + described);
        }
        assertTrue(described.contains("bertstream.batch.max-tokens=4096"), "ordinary keys stay readable");
        assertTrue(described.contains("schema.registry.url=https://[hidden]@registry:8081"));
    }

    @Test
    void mistakesAreRefusedWithTheKeyInTheMessage() {
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> BertstreamConfig.of(Map.of("bertstream.batch.max-record", "8"), Map.of()));
        assertTrue(unknown.getMessage().contains("bertstream.batch.max-record"));
        var notANumber = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.INPUT_TOPICS, "t", BertstreamConfig.OUTPUT_TOPIC, "o", BertstreamConfig.DLQ_TOPIC, "d",
                BertstreamConfig.BATCH_LINGER_MS, "soon"), Map.of()).topologySettings());
        assertTrue(notANumber.getMessage().contains(BertstreamConfig.BATCH_LINGER_MS));
        var noTopics = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.OUTPUT_TOPIC, "o", BertstreamConfig.DLQ_TOPIC, "d"), Map.of()).topologySettings());
        assertTrue(noTopics.getMessage().contains("input topics"));
    }

    @Test
    void everyExampleFileLoadsAndDocumentsEveryKey() throws Exception {
        for (String name : List.of("demo", "production-cpu", "production-gpu")) {
            Path file = EXAMPLES.resolve(name + ".properties");
            var config = BertstreamConfig.load(file, Map.of());
            config.topologySettings();
            SharedModel.extractionSpec(config);
            config.decoder();
            String text = Files.readString(file);
            for (String key : BertstreamConfig.keys()) {
                assertTrue(text.contains(key + "="), name + " documents " + key);
            }
        }
        var gpu = BertstreamConfig.load(EXAMPLES.resolve("production-gpu.properties"), Map.of()).topologySettings();
        assertTrue(gpu.inputPattern().matcher("texts.en").matches(), "the pattern survives .properties escaping");
    }
}
