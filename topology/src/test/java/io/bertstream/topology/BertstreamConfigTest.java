package io.bertstream.topology;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.apache.kafka.common.config.ConfigDef;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
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
                "bertstream.output.topic=out", "bertstream.dlq.topic=dlq", "bertstream.micro-batch.max-records=8",
                "security.protocol=SASL_SSL", ""));
        var config = BertstreamConfig.load(file, Map.of(
                "BERTSTREAM_MICRO_BATCH_MAX_RECORDS", "32",
                "BERTSTREAM_MICRO_BATCH_LINGER_MS", "7",
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
        assertFalse(kafka.containsKey(BertstreamConfig.MICRO_BATCH_MAX_RECORDS), "bertstream keys stay out of Kafka's config");
        assertNull(kafka.get("path"), "only KAFKA_-prefixed variables reach Kafka");
    }

    @Test
    void secretsNeverReachTheDescription() {
        var config = BertstreamConfig.of(Map.of(
                "sasl.jaas.config", "PlainLoginModule required username=\"u\" password=\"hunter2\";",
                "ssl.truststore.password", "hunter3",
                "ssl.key.password", "hunter4",
                "schema.registry.basic.auth.user.info", "user:hunter5",
                "schema.registry.url", "https://registry:8081",
                BertstreamConfig.MICRO_BATCH_MAX_TOKENS, "4096"), Map.of());
        // Credentials in the registry URL (used as basic auth) are the alternative to basic.auth.user.info.
        String described = config.describe() + BertstreamConfig.of(Map.of(
                "schema.registry.url", "https://user:hunter6@registry:8081"), Map.of()).describe();
        for (String secret : List.of("hunter2", "hunter3", "hunter4", "hunter5", "hunter6")) {
            assertFalse(described.contains(secret), secret + " leaked: " + described);
        }
        assertTrue(described.contains("bertstream.micro-batch.max-tokens=4096"), "ordinary keys stay readable");
        assertTrue(described.contains("schema.registry.url=https://[hidden]@registry:8081"));
    }

    @Test
    void mistakesAreRefusedWithTheKeyInTheMessage() {
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> BertstreamConfig.of(Map.of("bertstream.batch.max-record", "8"), Map.of()));
        assertTrue(unknown.getMessage().contains("bertstream.batch.max-record"));
        var notANumber = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.INPUT_TOPICS, "t", BertstreamConfig.OUTPUT_TOPIC, "o", BertstreamConfig.DLQ_TOPIC, "d",
                BertstreamConfig.MICRO_BATCH_LINGER_MS, "soon"), Map.of()).topologySettings());
        assertTrue(notANumber.getMessage().contains(BertstreamConfig.MICRO_BATCH_LINGER_MS));
        var noTopics = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.OUTPUT_TOPIC, "o", BertstreamConfig.DLQ_TOPIC, "d"), Map.of()).topologySettings());
        assertTrue(noTopics.getMessage().contains("input topics"));
    }

    @Test
    void oldMicroBatchKeysStillWorkWithAWarningNamingTheNewKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("old.properties");
        Files.writeString(file, "bertstream.batch.max-records=8\nbertstream.batch.max-tokens=1024\n");
        var config = BertstreamConfig.load(file, Map.of("BERTSTREAM_BATCH_LINGER_MS", "7"));
        assertEquals(8, config.getInt(BertstreamConfig.MICRO_BATCH_MAX_RECORDS));
        assertEquals(1024, config.getInt(BertstreamConfig.MICRO_BATCH_MAX_TOKENS));
        assertEquals(7, config.getInt(BertstreamConfig.MICRO_BATCH_LINGER_MS));
        assertEquals(List.of(
                "bertstream.batch.max-records is deprecated: use bertstream.micro-batch.max-records (same meaning)",
                "bertstream.batch.max-tokens is deprecated: use bertstream.micro-batch.max-tokens (same meaning)",
                "BERTSTREAM_BATCH_LINGER_MS is deprecated: use BERTSTREAM_MICRO_BATCH_LINGER_MS (same meaning)"),
                config.warnings());
        assertTrue(config.describe().contains("bertstream.micro-batch.max-records=8\n"), "described under the new name");
        assertFalse(config.describe().contains("bertstream.batch."), config.describe());
        assertEquals(List.of(), config.with(Map.of(BertstreamConfig.THREADS, "1")).warnings(), "warned once");

        // The environment still overrides the file across the rename, in both directions.
        assertEquals(32, BertstreamConfig.load(file, Map.of("BERTSTREAM_MICRO_BATCH_MAX_RECORDS", "32"))
                .getInt(BertstreamConfig.MICRO_BATCH_MAX_RECORDS));
        assertEquals(16, BertstreamConfig.of(Map.of(BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "8"),
                Map.of("BERTSTREAM_BATCH_MAX_RECORDS", "16")).getInt(BertstreamConfig.MICRO_BATCH_MAX_RECORDS));
        var oldValueChecked = assertThrows(IllegalArgumentException.class,
                () -> BertstreamConfig.of(Map.of("bertstream.batch.linger-ms", "0"), Map.of()));
        assertTrue(oldValueChecked.getMessage().startsWith("bertstream.micro-batch.linger-ms=0 is refused"), oldValueChecked.getMessage());
    }

    @Test
    void anOldAndANewNameOfOneKeyInOnePlaceAreRefused() {
        var inTheFile = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                "bertstream.batch.max-records", "8", BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "16"), Map.of()));
        assertEquals("bertstream.batch.max-records and bertstream.micro-batch.max-records are both set and are one setting"
                + " (bertstream.batch.max-records is its old name): keep only bertstream.micro-batch.max-records", inTheFile.getMessage());
        var inTheEnvironment = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(), Map.of(
                "BERTSTREAM_BATCH_LINGER_MS", "8", "BERTSTREAM_MICRO_BATCH_LINGER_MS", "16")));
        assertTrue(inTheEnvironment.getMessage().contains("keep only BERTSTREAM_MICRO_BATCH_LINGER_MS"), inTheEnvironment.getMessage());
    }

    @Test
    void outOfRangeValuesAreRefusedNamingKeyValueAndWhatIsAllowedOnOneLine() {
        var refused = assertThrows(IllegalArgumentException.class,
                () -> BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES, "-1"), Map.of()));
        assertEquals("bertstream.output.max-record-bytes=-1 is refused; allowed: a whole number, 1024 or more",
                refused.getMessage());
        var fromEnvironment = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(),
                Map.of("BERTSTREAM_METRICS_PORT", "65536")));
        assertEquals("bertstream.metrics.port=65536 (from BERTSTREAM_METRICS_PORT) is refused; allowed: a whole number, -1 to 65535",
                fromEnvironment.getMessage());
    }

    /** Every numeric key with a range: its bounds are allowed, one step past them is refused. */
    @Test
    void everyRangeHoldsAtItsBounds() {
        int checked = 0;
        for (ConfigDef.ConfigKey key : BertstreamConfig.KEYS.configKeys().values()) {
            if (!(key.validator instanceof io.bertstream.serde.ConfigValidators.Range range)) {
                continue;
            }
            assertEquals(range.min(), BertstreamConfig.of(Map.of(key.name, Long.toString(range.min())), Map.of()).getInt(key.name));
            var below = assertThrows(IllegalArgumentException.class,
                    () -> BertstreamConfig.of(Map.of(key.name, Long.toString(range.min() - 1)), Map.of()), key.name);
            assertTrue(below.getMessage().startsWith(key.name + "=" + (range.min() - 1) + " is refused; allowed: a whole number, "),
                    below.getMessage());
            if (range.max() < Integer.MAX_VALUE) {
                assertEquals(range.max(), BertstreamConfig.of(Map.of(key.name, Long.toString(range.max())), Map.of()).getInt(key.name));
                assertThrows(IllegalArgumentException.class,
                        () -> BertstreamConfig.of(Map.of(key.name, Long.toString(range.max() + 1)), Map.of()), key.name);
            }
            var notANumber = assertThrows(IllegalArgumentException.class,
                    () -> BertstreamConfig.of(Map.of(key.name, "12 ms"), Map.of()), key.name);
            assertTrue(notANumber.getMessage().contains(key.name + "=12 ms"), notANumber.getMessage());
            checked++;
        }
        assertTrue(checked >= 10, "every numeric key has a range: " + checked);
    }

    @Test
    void everyKeyHasATypeAnAllowedSetOrRangeAndADescription() {
        for (ConfigDef.ConfigKey key : BertstreamConfig.KEYS.configKeys().values()) {
            assertTrue(key.type == ConfigDef.Type.BOOLEAN || key.validator != null, key.name + " says what is allowed");
            assertFalse(key.documentation == null || key.documentation.isBlank(), key.name + " is described");
            assertFalse(key.documentation.contains("\n"), key.name + ": one line");
            assertTrue(key.name.startsWith(BertstreamConfig.PREFIX) || key.name.startsWith(BertstreamConfig.REGISTRY_PREFIX), key.name);
        }
        var envNames = new HashSet<String>();
        BertstreamConfig.keys().forEach(key -> assertTrue(envNames.add(BertstreamConfig.envName(key)), "one key per variable: " + key));
    }

    @Test
    void booleansAreTrueOrFalseOnly() {
        for (String yes : List.of("yes", "1", "on", "ture")) {
            var refused = assertThrows(IllegalArgumentException.class,
                    () -> BertstreamConfig.of(Map.of(BertstreamConfig.DOCUMENT_VECTOR, yes), Map.of()));
            assertEquals("bertstream.document-vector=" + yes + " is refused; allowed: true or false", refused.getMessage());
        }
        assertTrue(BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_INCLUDE_TEXT, "true"), Map.of()).getBoolean(BertstreamConfig.OUTPUT_INCLUDE_TEXT));
        assertFalse(BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_INCLUDE_TEXT, "false"), Map.of()).getBoolean(BertstreamConfig.OUTPUT_INCLUDE_TEXT));
        assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(BertstreamConfig.NORMALIZE, "maybe"), Map.of()));
        assertNull(BertstreamConfig.of(Map.of(BertstreamConfig.NORMALIZE, ""), Map.of()).optional(BertstreamConfig.NORMALIZE),
                "blank: the model's default");
    }

    @Test
    void choicesAndSyntaxesAreChecked() {
        var cases = Map.of(
                BertstreamConfig.INPUT_FORMAT, "xml",
                BertstreamConfig.BACKEND, "tensorflow",
                BertstreamConfig.LENGTH_MODE, "middle",
                BertstreamConfig.POOLING, "median",
                BertstreamConfig.LAYERS, "top4",
                BertstreamConfig.LAYERS_COMBINE, "weighted",
                BertstreamConfig.INPUT_TEXT_POINTER, "text",
                BertstreamConfig.INPUT_PATTERN, "texts.(",
                BertstreamConfig.OUTPUT_TOPIC, "embeddings/v2",
                BertstreamConfig.INPUT_TOPICS, "a,,b");
        cases.forEach((key, value) -> {
            var refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(key, value), Map.of()), key);
            assertTrue(refused.getMessage().startsWith(key + "=" + value + " is refused"), refused.getMessage());
            assertTrue(refused.getMessage().contains("; allowed: "), refused.getMessage());
            assertFalse(refused.getMessage().contains("\n"), "one line: " + refused.getMessage());
        });
        var config = BertstreamConfig.of(Map.of(BertstreamConfig.BACKEND, "ONNXRuntime", BertstreamConfig.LENGTH_MODE, "head-tail"), Map.of());
        assertEquals(io.bertstream.engine.backend.Backend.ONNXRUNTIME, config.getEnum(BertstreamConfig.BACKEND, io.bertstream.engine.backend.Backend.class));
        assertEquals(io.bertstream.engine.text.LengthPolicy.Mode.HEAD_TAIL,
                config.getEnum(BertstreamConfig.LENGTH_MODE, io.bertstream.engine.text.LengthPolicy.Mode.class));
        // the engine's one parser of length modes: the command line's spelling is accepted here too
        var cliSpelling = BertstreamConfig.of(Map.of(BertstreamConfig.LENGTH_MODE, "truncate-head-tail"), Map.of());
        assertEquals(io.bertstream.engine.text.LengthPolicy.Mode.HEAD_TAIL,
                SharedModel.extractionSpec(cliSpelling).length().mode());
    }

    @Test
    void everyMistakeIsReportedAtOnceOnePerLine() {
        var refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.THREADS, "-2", BertstreamConfig.DOCUMENT_VECTOR, "yes", "bertstream.pooling.mode", "cls"),
                Map.of("BERTSTREAM_LINGER_MS", "5")));
        var lines = refused.getMessage().lines().toList();
        assertEquals(4, lines.size(), refused.getMessage());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("bertstream.threads=-2 is refused")), refused.getMessage());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("bertstream.document-vector=yes is refused")), refused.getMessage());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("unknown setting bertstream.pooling.mode=cls")), refused.getMessage());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("environment variable BERTSTREAM_LINGER_MS names no bertstream setting")),
                refused.getMessage());
    }

    @Test
    void aMistypedEnvironmentVariableIsRefusedButTheLaunchersAreNot() {
        var refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(),
                Map.of("BERTSTREAM_OUTPUT_INCLUDE_TXT", "true")));
        assertTrue(refused.getMessage().contains("BERTSTREAM_OUTPUT_INCLUDE_TXT"), refused.getMessage());
        assertTrue(refused.getMessage().contains("did you mean BERTSTREAM_OUTPUT_INCLUDE_TEXT?"), refused.getMessage());
        var notSettings = new HashMap<String, String>();
        BertstreamConfig.ENVIRONMENT_NOT_SETTINGS.forEach(name -> notSettings.put(name, "whatever"));
        notSettings.put("BERTSTREAM_OUTPUT_INCLUDE_TEXT", "true");
        notSettings.put("bertstream_lower_case_is_not_ours", "x");
        assertTrue(BertstreamConfig.of(Map.of(), notSettings).getBoolean(BertstreamConfig.OUTPUT_INCLUDE_TEXT));
        assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(), Map.of("KAFKA_BERTSTREAM_THREADS", "2")),
                "bertstream keys are not set through KAFKA_ variables");
    }

    @Test
    void recordsLargerThanTheProducerMaySendAreRefused() {
        // max.request.size: Kafka's default 1048576, or as configured (the producer.-prefixed form wins)
        int kafkaDefault = 1_048_576;
        for (double factor : List.of(0.5, 0.9, 1.0)) {
            String bytes = Integer.toString((int) (kafkaDefault * factor));
            assertEquals((int) (kafkaDefault * factor), BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES, bytes), Map.of())
                    .getInt(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES));
        }
        var over = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(
                Map.of(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES, Integer.toString(kafkaDefault * 3 / 2)), Map.of()));
        assertTrue(over.getMessage().contains("max.request.size of 1048576"), over.getMessage());
        assertEquals(2_000_000, BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES, "2000000",
                "producer.max.request.size", "3000000", "max.request.size", "1000"), Map.of()).getInt(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES));
        assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(BertstreamConfig.OUTPUT_MAX_RECORD_BYTES, "2000000",
                "max.request.size", "1500000"), Map.of()));
    }

    @Test
    void registryBasicAuthOverPlainHttpIsRefusedAtStartUnlessExplicitlyAllowed() {
        var refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                "schema.registry.url", "http://registry:8081"), Map.of("KAFKA_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "bertstream:hunter7")));
        assertTrue(refused.getMessage().contains("schema.registry.basic.auth.allow.plain.http=true"), refused.getMessage());
        assertFalse(refused.getMessage().contains("hunter7"), refused.getMessage());
        assertEquals(1, refused.getMessage().lines().count(), refused.getMessage());
        var allowed = BertstreamConfig.of(Map.of("schema.registry.url", "http://registry:8081",
                "schema.registry.basic.auth.user.info", "bertstream:hunter7", "schema.registry.basic.auth.allow.plain.http", "true"), Map.of());
        assertTrue(allowed.describe().contains("schema.registry.basic.auth.user.info=[hidden]"), allowed.describe());
        BertstreamConfig.of(Map.of("schema.registry.url", "https://registry:8081", "schema.registry.basic.auth.user.info",
                "bertstream:hunter7"), Map.of());
    }

    @Test
    void registryKeysAreStrictAndStayOutOfKafkasConfig() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                "schema.registry.ssl.truststore.location", "/etc/truststore.jks"), Map.of()));
        assertTrue(unknown.getMessage().startsWith("unknown setting schema.registry.ssl.truststore.location"), unknown.getMessage());
        var unknownFromEnvironment = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(),
                Map.of("KAFKA_SCHEMA_REGISTRY_UR", "https://registry")));
        assertTrue(unknownFromEnvironment.getMessage().contains("did you mean schema.registry.url?"), unknownFromEnvironment.getMessage());
        var config = BertstreamConfig.of(Map.of("schema.registry.url", "https://registry:8081"), Map.of());
        assertFalse(config.kafkaProperties().containsKey("schema.registry.url"), "the registry client's keys are not Kafka's");
        assertEquals(4, config.getInt("schema.registry.max.attempts"), "the client's defaults, from its own table");
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
            String pin = config.optional(BertstreamConfig.MODEL_SHA256);
            if (pin != null) {
                assertEquals(io.bertstream.engine.model.ModelLoader.load(config.require(BertstreamConfig.MODEL)).identity().sha256(), pin,
                        name + " pins the built-in model's weights");
            }
        }
        var gpu = BertstreamConfig.load(EXAMPLES.resolve("production-gpu.properties"), Map.of()).topologySettings();
        assertTrue(gpu.inputPattern().matcher("texts.en").matches(), "the pattern survives .properties escaping");
    }

    @Test
    void eachInputTopicHasItsPrefixTheFallbackOrItsOwnFromTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("bertstream.properties"), String.join("\n",
                "bertstream.input.topics=queries,docs,other",
                "bertstream.input.prefix=passage:",
                "bertstream.input.prefix.queries=query: ",
                ""));
        var prefixes = BertstreamConfig.load(file, Map.of()).inputPrefixes();
        assertEquals("query:", prefixes.of("queries"), "stripped: the text follows after one space");
        assertEquals("passage:", prefixes.of("docs"));
        assertEquals("passage:", prefixes.of("other"));
        assertEquals(java.util.Set.of("query:", "passage:"), prefixes.all());
        assertEquals("", BertstreamConfig.of(Map.of(), Map.of()).inputPrefixes().of("any"), "unset: no prefix");

        var refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                BertstreamConfig.INPUT_TOPICS, "queries", "bertstream.input.prefix.bad topic!", "x"), Map.of()));
        assertTrue(refused.getMessage().contains("'bad topic!' is not a topic name"), refused.getMessage());
    }
}
