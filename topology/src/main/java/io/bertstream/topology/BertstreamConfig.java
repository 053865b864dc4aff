package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.serde.OutputFormat;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The service configuration: {@code bertstream.*} keys for the processor, every other key passed straight to
 * Kafka Streams and its clients (SASL and SSL included).
 *
 * <p>Sources, later wins: defaults, the .properties file, environment variables. A {@code bertstream.*} key is
 * overridden by its upper-cased name with {@code .} and {@code -} as {@code _} (bertstream.batch.max-records →
 * BERTSTREAM_BATCH_MAX_RECORDS); a Kafka key by {@code KAFKA_} + the same form (sasl.jaas.config →
 * KAFKA_SASL_JAAS_CONFIG). Use {@link #describe()} to log it: secrets are masked.
 */
public final class BertstreamConfig {

    public static final String PREFIX = "bertstream.";

    public static final String INPUT_TOPICS = "bertstream.input.topics";
    public static final String INPUT_PATTERN = "bertstream.input.pattern";
    public static final String INPUT_FORMAT = "bertstream.input.format";
    public static final String INPUT_ID_POINTER = "bertstream.input.json.id-pointer";
    public static final String INPUT_TEXT_POINTER = "bertstream.input.json.text-pointer";
    public static final String INPUT_MAX_BYTES = "bertstream.input.max-bytes";
    public static final String OUTPUT_TOPIC = "bertstream.output.topic";
    public static final String OUTPUT_FORMAT = "bertstream.output.format";
    public static final String OUTPUT_INCLUDE_TEXT = "bertstream.output.include-text";
    public static final String OUTPUT_MAX_RECORD_BYTES = "bertstream.output.max-record-bytes";
    public static final String DLQ_TOPIC = "bertstream.dlq.topic";
    public static final String MODEL = "bertstream.model";
    public static final String BACKEND = "bertstream.backend";
    public static final String DEVICE = "bertstream.device";
    public static final String THREADS = "bertstream.threads";
    public static final String LAYERS = "bertstream.layers";
    public static final String LAYERS_COMBINE = "bertstream.layers.combine";
    public static final String POOLING = "bertstream.pooling";
    public static final String NORMALIZE = "bertstream.normalize";
    public static final String TRUNCATE_DIMS = "bertstream.truncate-dims";
    public static final String QUANTIZE = "bertstream.quantize";
    public static final String LENGTH_MODE = "bertstream.length.mode";
    public static final String LENGTH_MAX_TOKENS = "bertstream.length.max-tokens";
    public static final String LENGTH_OVERLAP = "bertstream.length.overlap";
    public static final String DOCUMENT_VECTOR = "bertstream.document-vector";
    public static final String BATCH_MAX_RECORDS = "bertstream.batch.max-records";
    public static final String BATCH_MAX_TOKENS = "bertstream.batch.max-tokens";
    public static final String BATCH_LINGER_MS = "bertstream.batch.linger-ms";
    public static final String ENGINE_MAX_PASS_TOKENS = "bertstream.engine.max-pass-tokens";
    public static final String CACHE_MAX_ENTRIES = "bertstream.cache.max-entries";
    public static final String METRICS_PORT = "bertstream.metrics.port";

    // Compute precision (helper "int8"): fp32 (default); int8 = ONNX Runtime on the CPU with the measured int8
    // recipe (min cosine 0.999 to fp32, docs/performance.md); fp16 / bf16 = PyTorch on a GPU.
    public static final String PRECISION = "bertstream.precision";

    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry(INPUT_FORMAT, "json"),
            Map.entry(INPUT_ID_POINTER, ""),
            Map.entry(INPUT_TEXT_POINTER, "/text"),
            Map.entry(INPUT_MAX_BYTES, "1000000"),
            Map.entry(OUTPUT_FORMAT, "single-object"),
            Map.entry(OUTPUT_INCLUDE_TEXT, "false"),
            Map.entry(OUTPUT_MAX_RECORD_BYTES, "1000000"),
            Map.entry(MODEL, "minilm"),
            Map.entry(BACKEND, "auto"),
            Map.entry(DEVICE, "auto"),
            Map.entry(THREADS, "0"),
            Map.entry(LAYERS, ""),
            Map.entry(LAYERS_COMBINE, "concat"),
            Map.entry(POOLING, ""),
            Map.entry(NORMALIZE, ""),
            Map.entry(TRUNCATE_DIMS, "0"),
            Map.entry(QUANTIZE, ""),
            Map.entry(LENGTH_MODE, "head"),
            Map.entry(LENGTH_MAX_TOKENS, "0"),
            Map.entry(LENGTH_OVERLAP, "0"),
            Map.entry(DOCUMENT_VECTOR, "false"),
            // Big micro-batches give the engine's pass planner rows of similar length to group: measured on 2
            // cores (docs/performance.md), 64 events padded 7 % in passes of 4.4 rows, 256 events 4 % in ~9-row
            // passes, and the pipeline went from 0.78 to 0.91 of the engine's own throughput.
            Map.entry(BATCH_MAX_RECORDS, "256"),
            Map.entry(BATCH_MAX_TOKENS, "65536"),
            Map.entry(BATCH_LINGER_MS, "50"),
            Map.entry(ENGINE_MAX_PASS_TOKENS, "8192"),
            Map.entry(CACHE_MAX_ENTRIES, "0"),
            Map.entry(METRICS_PORT, "9400"),
            Map.entry(PRECISION, "fp32"),
            // Kafka Streams defaults that differ from Kafka's: no event lost or embedded twice.
            Map.entry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2));

    private static final SortedSet<String> KNOWN_KEYS = new TreeSet<>(List.of(
            INPUT_TOPICS, INPUT_PATTERN, OUTPUT_TOPIC, DLQ_TOPIC));

    static {
        DEFAULTS.keySet().stream().filter(key -> key.startsWith(PREFIX)).forEach(KNOWN_KEYS::add);
    }

    /** Keys whose values never reach a log line. */
    private static final Pattern SECRET_KEY = Pattern.compile(
            "(?i).*(password|secret|jaas\\.config|user\\.info|credentials|api\\.key|access\\.token|bearer\\.token).*");
    private static final Pattern URL_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

    private final Map<String, String> values;

    private BertstreamConfig(Map<String, String> values) {
        this.values = values;
    }

    /** Defaults, then the file (if any), then the environment. */
    public static BertstreamConfig load(Path file, Map<String, String> environment) {
        var props = new Properties();
        if (file != null) {
            try (Reader reader = Files.newBufferedReader(file)) {
                props.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read config " + file, e);
            }
        }
        var map = new TreeMap<String, String>();
        props.stringPropertyNames().forEach(key -> map.put(key, props.getProperty(key).trim()));
        return of(map, environment);
    }

    /** Defaults, then {@code settings}, then the environment. */
    public static BertstreamConfig of(Map<String, String> settings, Map<String, String> environment) {
        var merged = new TreeMap<>(DEFAULTS);
        merged.putAll(settings);
        for (String key : settings.keySet()) {
            // A mistyped key would otherwise be silently ignored, and its default used.
            if (key.startsWith(PREFIX) && !KNOWN_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown setting " + key + "; bertstream keys are " + KNOWN_KEYS);
            }
        }
        var keysByEnvName = new TreeMap<String, String>();
        KNOWN_KEYS.forEach(key -> keysByEnvName.put(envName(key), key));
        environment.forEach((name, value) -> {
            if (keysByEnvName.containsKey(name)) {
                merged.put(keysByEnvName.get(name), value);
            } else if (name.startsWith("KAFKA_") && name.length() > "KAFKA_".length()) {
                merged.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return new BertstreamConfig(merged);
    }

    /** Every bertstream.* key there is. */
    public static SortedSet<String> keys() {
        return Collections.unmodifiableSortedSet(KNOWN_KEYS);
    }

    /** bertstream.batch.max-records → BERTSTREAM_BATCH_MAX_RECORDS */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String get(String key) {
        return values.get(key);
    }

    public String require(String key) {
        String value = values.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing setting " + key + " (or env " + envName(key) + ")");
        }
        return value;
    }

    public int getInt(String key) {
        String value = require(key);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a whole number, not '" + value + "'");
        }
    }

    /** The value, or null when unset or blank ("use the default"). */
    public String optional(String key) {
        String value = values.get(key);
        return value == null || value.isBlank() ? null : value;
    }

    /** An enum value, written in any case with '-' for '_' (onnxruntime, head-tail). */
    public <E extends Enum<E>> E getEnum(String key, Class<E> type) {
        String value = require(key);
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + " must be one of " + Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList() + ", not '" + value + "'");
        }
    }

    public boolean getBoolean(String key) {
        return Boolean.parseBoolean(require(key));
    }

    /** Everything that is not a bertstream key: for Kafka Streams and its clients. */
    public Properties kafkaProperties() {
        var props = new Properties();
        values.forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                props.put(key, value);
            }
        });
        return props;
    }

    /** The same config with some keys replaced (e.g. a replay's own application.id and output topic). */
    public BertstreamConfig with(Map<String, String> overrides) {
        var copy = new TreeMap<>(values);
        copy.putAll(overrides);
        return new BertstreamConfig(copy);
    }

    /** The input decoder: bertstream.input.* keys, plus schema.registry.* for registry-framed Avro. */
    public TextDecoder decoder() {
        var configs = new HashMap<String, Object>(registrySettings());
        configs.put(TextDecoder.FORMAT_CONFIG, require(INPUT_FORMAT));
        configs.put(TextDecoder.JSON_TEXT_POINTER_CONFIG, require(INPUT_TEXT_POINTER));
        if (optional(INPUT_ID_POINTER) != null) {
            configs.put(TextDecoder.JSON_ID_POINTER_CONFIG, optional(INPUT_ID_POINTER));
        }
        return TextDecoder.fromConfigs(configs);
    }

    /** The output value serializer: bertstream.output.format, plus schema.registry.* for the registry format. */
    public Serializer<EmbeddingRecord> serializer() {
        return OutputFormat.parse(require(OUTPUT_FORMAT)).serializer(registrySettings());
    }

    private Map<String, String> registrySettings() {
        var registry = new TreeMap<String, String>();
        values.forEach((key, value) -> {
            if (key.startsWith("schema.registry.")) {
                registry.put(key, value);
            }
        });
        return registry;
    }

    public TopologySettings topologySettings() {
        String topics = values.getOrDefault(INPUT_TOPICS, "");
        String pattern = values.get(INPUT_PATTERN);
        List<String> topicList = Arrays.stream(topics.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList();
        return new TopologySettings(topicList, pattern == null || pattern.isBlank() ? null : Pattern.compile(pattern),
                require(OUTPUT_TOPIC), require(DLQ_TOPIC),
                new BatchPolicy(getInt(BATCH_MAX_RECORDS), getInt(BATCH_MAX_TOKENS),
                        Duration.ofMillis(getInt(BATCH_LINGER_MS))),
                getInt(CACHE_MAX_ENTRIES), extractionSettings(), getInt(INPUT_MAX_BYTES), getBoolean(OUTPUT_INCLUDE_TEXT),
                getInt(OUTPUT_MAX_RECORD_BYTES));
    }

    private String extractionSettings() {
        return List.of(LENGTH_MODE, LENGTH_MAX_TOKENS, LENGTH_OVERLAP, DOCUMENT_VECTOR).stream()
                .map(key -> key + "=" + values.get(key)).collect(Collectors.joining(";"));
    }

    /** One line per key, secrets masked: safe to log. */
    public String describe() {
        var out = new StringBuilder();
        values.forEach((key, value) -> out.append(key).append('=').append(mask(key, value)).append('\n'));
        return out.toString();
    }

    public static String mask(String key, String value) {
        if (SECRET_KEY.matcher(key).matches()) {
            return "[hidden]";
        }
        return value == null ? null : URL_USER_INFO.matcher(value).replaceAll("[hidden]@");
    }
}
