package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.Quantizer;
import io.bertstream.serde.ConfigValidators;
import io.bertstream.serde.OutputFormat;
import io.bertstream.serde.RegistryClient;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static io.bertstream.serde.ConfigValidators.*;
import static org.apache.kafka.common.config.ConfigDef.Importance.MEDIUM;

/**
 * The service configuration: {@code bertstream.*} keys for the processor, every other key passed straight to
 * Kafka Streams and its clients (SASL and SSL included).
 *
 * <p>Every {@code bertstream.*} key is declared once, in {@link #KEYS}: its type, default, what is allowed and
 * what it means. A configuration is checked whole when it is made: an unknown key, a value of the wrong type or
 * out of range is refused then, one line per mistake naming the key, the value and what is allowed. A blank
 * value means the key's default.
 *
 * <p>Sources, later wins: defaults, the .properties file, environment variables. A {@code bertstream.*} key is
 * overridden by its upper-cased name with {@code .} and {@code -} as {@code _} (bertstream.micro-batch.max-records
 * → BERTSTREAM_MICRO_BATCH_MAX_RECORDS); a Kafka key by {@code KAFKA_} + the same form (sasl.jaas.config →
 * KAFKA_SASL_JAAS_CONFIG). A {@code BERTSTREAM_*} variable that names no key is refused like a mistyped key,
 * except the few in {@link #ENVIRONMENT_NOT_SETTINGS}. Use {@link #describe()} to log it: secrets are masked.
 */
public final class BertstreamConfig {

    private static final Logger log = LoggerFactory.getLogger(BertstreamConfig.class);

    public static final String PREFIX = "bertstream.";

    public static final String INPUT_TOPICS = "bertstream.input.topics";
    public static final String INPUT_PATTERN = "bertstream.input.pattern";
    public static final String INPUT_FORMAT = PREFIX + TextDecoder.FORMAT_CONFIG;
    public static final String INPUT_ID_POINTER = PREFIX + TextDecoder.JSON_ID_POINTER_CONFIG;
    public static final String INPUT_TEXT_POINTER = PREFIX + TextDecoder.JSON_TEXT_POINTER_CONFIG;
    public static final String INPUT_MAX_BYTES = "bertstream.input.max-bytes";
    /** What tombstones and Debezium delete events do: propagate, dead-letter or ignore. */
    public static final String INPUT_DELETES = "bertstream.input.deletes";
    /** Longest id (UTF-8 bytes) that becomes output keys; longer and empty ids are dead-lettered. */
    public static final String INPUT_MAX_ID_BYTES = "bertstream.input.max-id-bytes";
    public static final String OUTPUT_TOPIC = "bertstream.output.topic";
    public static final String OUTPUT_FORMAT = "bertstream.output.format";
    public static final String OUTPUT_INCLUDE_TEXT = "bertstream.output.include-text";
    public static final String OUTPUT_MAX_RECORD_BYTES = "bertstream.output.max-record-bytes";
    public static final String DLQ_TOPIC = "bertstream.dlq.topic";
    public static final String MODEL = "bertstream.model";
    public static final String MODEL_SHA256 = "bertstream.model.sha256";
    public static final String BACKEND = "bertstream.backend";
    public static final String DEVICE = "bertstream.device";
    public static final String PRECISION = "bertstream.precision";
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
    public static final String MICRO_BATCH_MAX_RECORDS = "bertstream.micro-batch.max-records";
    public static final String MICRO_BATCH_MAX_TOKENS = "bertstream.micro-batch.max-tokens";
    public static final String MICRO_BATCH_LINGER_MS = "bertstream.micro-batch.linger-ms";
    public static final String ENGINE_MAX_PASS_TOKENS = "bertstream.engine.max-pass-tokens";
    public static final String CACHE_MAX_ENTRIES = "bertstream.cache.max-entries";
    public static final String METRICS_PORT = "bertstream.metrics.port";
    public static final String METRICS_BIND = "bertstream.metrics.bind";

    // ---- Reliability, limits and the inference queue (helper "core"); read through the getters below ----------
    /** Tokens one event may have (counted before truncation); more → dead letter. */
    public static final String LENGTH_MAX_EVENT_TOKENS = "bertstream.length.max-event-tokens";
    /** Chunks one event may give in chunk mode; more → dead letter. */
    public static final String LENGTH_MAX_CHUNKS = "bertstream.length.max-chunks";
    /** Bytes of vectors the embedding cache of one task may hold (LRU by bytes), besides max-entries. */
    public static final String CACHE_MAX_BYTES = "bertstream.cache.max-bytes";
    /** Tokens the inference worker takes into one run (whole micro-batches when they fit). */
    public static final String INFERENCE_RUN_TOKENS = "bertstream.inference.run-tokens";
    /** Tokens of micro-batches waiting for the model before stream threads are held back. */
    public static final String INFERENCE_QUEUE_MAX_TOKENS = "bertstream.inference.queue.max-tokens";
    /** Text bytes of micro-batches waiting for the model before stream threads are held back. */
    public static final String INFERENCE_QUEUE_MAX_BYTES = "bertstream.inference.queue.max-bytes";
    /** Longest a stream thread waits for room in a full queue per event, before taking the event in anyway. */
    public static final String INFERENCE_QUEUE_MAX_WAIT_MS = "bertstream.inference.queue.max-wait-ms";
    /** Stream-thread failures replaced within the window; one more shuts the process down (exit code 3). */
    public static final String THREADS_MAX_REPLACEMENTS = "bertstream.threads.max-replacements";
    /** The window in which stream-thread failures are counted. */
    public static final String THREADS_REPLACEMENT_WINDOW_MS = "bertstream.threads.replacement-window-ms";
    /** /health is DOWN when a task with waiting events makes no progress for longer than this. */
    public static final String HEALTH_MAX_STALL_MS = "bertstream.health.max-stall-ms";
    /** /health is DOWN when a rebalance lasts longer than this. */
    public static final String HEALTH_MAX_REBALANCE_MS = "bertstream.health.max-rebalance-ms";
    /** registry output: how long start-up keeps trying to register the output schema before giving up. */
    public static final String OUTPUT_REGISTER_TIMEOUT_MS = "bertstream.output.register-timeout-ms";
    // ---- end of the reliability block -------------------------------------------------------------------------

    /**
     * Every bertstream.* key: name, type, default (null: unset, i.e. required where it is used, or "the
     * model's own"), what is allowed, and one line of meaning. The README's configuration table is this table
     * ({@code ConfigurationDocsTest} fails when they differ).
     */
    static final ConfigDef KEYS = new ConfigDef()
            // ---- input
            .define(INPUT_TOPICS, Type.LIST, null, TOPIC_NAMES, MEDIUM,
                    "Topics to read; give these or bertstream.input.pattern")
            .define(INPUT_PATTERN, Type.STRING, null, REGEX, MEDIUM,
                    "Topics to read, as a pattern of names; instead of bertstream.input.topics")
            // the decoder's keys are declared by the decoder, read here under bertstream.
            .define(prefixed(TextDecoder.CONFIG_DEF, TextDecoder.FORMAT_CONFIG))
            .define(prefixed(TextDecoder.CONFIG_DEF, TextDecoder.JSON_TEXT_POINTER_CONFIG))
            .define(prefixed(TextDecoder.CONFIG_DEF, TextDecoder.JSON_ID_POINTER_CONFIG))
            .define(INPUT_MAX_BYTES, Type.INT, 1_000_000, atLeast(1), MEDIUM,
                    "Larger input values (bytes) are dead-lettered (stage decode) instead of embedded")
            .define(INPUT_DELETES, Type.STRING, "propagate", oneOf(TopologySettings.Deletes.class), MEDIUM,
                    "Tombstones and Debezium delete events: propagate (a tombstone for the id and each of its chunk keys), dead-letter, or ignore")
            // 512 is Elasticsearch's limit on a document _id: the default keeps every output key a valid _id.
            .define(INPUT_MAX_ID_BYTES, Type.INT, 512, between(16, 65_536), MEDIUM,
                    "Longest id (UTF-8 bytes; in chunk mode with its #k suffix, so no output key is longer): longer or empty ids are dead-lettered (stage decode)")
            // ---- output
            .define(OUTPUT_TOPIC, Type.STRING, null, TOPIC_NAME, MEDIUM,
                    "Where EmbeddingRecords go (required)")
            .define(OUTPUT_FORMAT, Type.STRING, "single-object", oneOf(OutputFormat.class), MEDIUM,
                    "registry (Schema Registry framing, needs schema.registry.url), single-object (registry-less Avro), connect-json")
            .define(OUTPUT_INCLUDE_TEXT, Type.BOOLEAN, false, null, MEDIUM,
                    "Echo the text (or chunk) in each record")
            // An output record carries the model identity and lineage besides its vector: below 1 KiB nothing fits.
            .define(OUTPUT_MAX_RECORD_BYTES, Type.INT, 1_000_000, atLeast(1024), MEDIUM,
                    "Largest record produced (bytes, at most the producer's max.request.size): larger outputs are dead-lettered, larger dead letters cut")
            .define(DLQ_TOPIC, Type.STRING, null, TOPIC_NAME, MEDIUM,
                    "Dead-letter topic (required)")
            // ---- model and extraction
            .define(MODEL, Type.STRING, "minilm", described("a built-in name (minilm, bge-small, bert-base-uncased) or a path"), MEDIUM,
                    "The model: a built-in name, a Hugging Face directory, an .onnx export or a TensorFlow BERT checkpoint")
            .define(MODEL_SHA256, Type.STRING, null, SHA256_HEX, MEDIUM,
                    "The weights' sha256: any other weights (a changed file, another build) refuse to start; unset: not pinned")
            .define(BACKEND, Type.STRING, "auto", oneOf(Backend.class), MEDIUM,
                    "auto: ONNX Runtime on CPU when the model has a graph, PyTorch otherwise or on a GPU")
            .define(DEVICE, Type.STRING, "auto", oneOf(Device.class), MEDIUM,
                    "gpu: PyTorch only")
            // int8 is offered because it measured min cosine >= 0.999 to fp32 (docs/performance.md, int8 mode)
            .define(PRECISION, Type.STRING, "fp32", oneOf(Precision.class), MEDIUM,
                    "int8: ONNX Runtime on the CPU with int8 Linear layers, vectors within cosine 0.999 of fp32, the record's backend says int8; fp16, bf16: PyTorch on a GPU")
            .define(THREADS, Type.INT, 0, atLeast(0), MEDIUM,
                    "Intra-op threads of the model; 0 = all cores")
            .define(LAYERS, Type.STRING, null, parsedBy("-1, 0, -4..-1, 1,6,12, all", value -> LayerSpec.parse(value, null)), MEDIUM,
                    "Hidden states to read (0 = embedding output, negatives from the end); unset: the model's default")
            .define(LAYERS_COMBINE, Type.STRING, "concat", parsedBy("concat, mean, sum, weighted:w1,w2,...", value -> LayerSpec.parse("-1", value)), MEDIUM,
                    "How several layers become one vector")
            .define(POOLING, Type.STRING, null, parsedBy(Arrays.stream(Pooling.values()).map(Pooling::label)
                    .collect(Collectors.joining(", ")), Pooling::parse), MEDIUM,
                    "How token vectors become one (none: one vector per token); unset: the model's default")
            .define(NORMALIZE, Type.BOOLEAN, null, null, MEDIUM,
                    "L2-normalise; unset: the model's default")
            .define(TRUNCATE_DIMS, Type.INT, 0, atLeast(0), MEDIUM,
                    "Keep only the first k dimensions (Matryoshka); 0 = all")
            .define(QUANTIZE, Type.STRING, null, parsedBy(Arrays.stream(Quantizer.Kind.values()).map(ConfigValidators::spelling)
                    .collect(Collectors.joining(", ")), Quantizer.Kind::parse), MEDIUM,
                    "Codes instead of floats; unset: floats")
            .define(LENGTH_MODE, Type.STRING, "head", parsedBy("head, tail, head-tail, chunk (or truncate-head, "
                    + "truncate-tail, truncate-head-tail)", LengthPolicy.Mode::parse), MEDIUM,
                    "Texts longer than the model takes: truncate (head, tail, head-tail; flagged in the record) or chunk")
            .define(LENGTH_MAX_TOKENS, Type.INT, 0, atLeast(0), MEDIUM,
                    "Tokens per model input, special tokens included; 0 = the model's maximum")
            .define(LENGTH_OVERLAP, Type.INT, 0, atLeast(0), MEDIUM,
                    "chunk mode: tokens shared by neighbouring chunks")
            .define(DOCUMENT_VECTOR, Type.BOOLEAN, false, null, MEDIUM,
                    "chunk mode: also emit a document vector (token-weighted mean of the chunks) under the plain id")
            // ---- micro-batching and the engine's passes
            .define(MICRO_BATCH_MAX_RECORDS, Type.INT, 256, atLeast(1), MEDIUM,
                    "A micro-batch closes at this many events (or at max-tokens, or after linger-ms: whichever comes first)")
            .define(MICRO_BATCH_MAX_TOKENS, Type.INT, 65536, atLeast(1), MEDIUM,
                    "A micro-batch closes before its padded tokens (rows x longest) would pass this")
            .define(MICRO_BATCH_LINGER_MS, Type.INT, 50, atLeast(1), MEDIUM,
                    "A micro-batch closes this many milliseconds after its first event arrived")
            .define(ENGINE_MAX_PASS_TOKENS, Type.INT, 8192, atLeast(1), MEDIUM,
                    "Padded-token budget of one forward pass: the engine cuts each micro-batch into length-sorted passes")
            .define(CACHE_MAX_ENTRIES, Type.INT, 0, atLeast(0), MEDIUM,
                    "Embedding cache entries per task (repeated texts skip the model); 0 = off")
            // ---- operations
            .define(METRICS_PORT, Type.INT, 9400, between(-1, 65535), MEDIUM,
                    "Port of /metrics (Prometheus) and /health; 0 = any free port, -1 = off")
            // Loopback unless told otherwise: the metrics name the model, topics and load to anyone who can reach
            // them. The container image sets 0.0.0.0 (BERTSTREAM_METRICS_BIND), where the port is published on purpose.
            .define(METRICS_BIND, Type.STRING, "127.0.0.1", BIND_ADDRESS, MEDIUM,
                    "Address /metrics and /health listen on: 127.0.0.1 this machine only, 0.0.0.0 (or ::) every interface")
            // ---- the Schema Registry client: its keys as it declares them (they are not Kafka's; set them
            // from the environment with KAFKA_SCHEMA_REGISTRY_*)
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.URL_CONFIG))
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.BASIC_AUTH_USER_INFO_CONFIG))
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG))
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.MAX_ATTEMPTS_CONFIG))
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.BACKOFF_MS_CONFIG))
            .define(RegistryClient.CONFIG_DEF.configKeys().get(RegistryClient.REQUEST_TIMEOUT_MS_CONFIG))
            // ---- reliability, limits and the inference queue (helper "core") ----------------------------------
            .define(LENGTH_MAX_EVENT_TOKENS, Type.INT, 262_144, atLeast(1), MEDIUM,
                    "Tokens one event may have (counted before truncation); more: dead letter (stage embed)")
            .define(LENGTH_MAX_CHUNKS, Type.INT, 256, atLeast(1), MEDIUM,
                    "chunk mode: chunks one event may give; more: dead letter (stage embed)")
            .define(CACHE_MAX_BYTES, Type.LONG, 64L << 20, atLeast(0), MEDIUM,
                    "Bytes of encoded vectors each task's embedding cache holds (with max-entries, LRU); 0 = off")
            .define(INFERENCE_RUN_TOKENS, Type.INT, 16_384, atLeast(1), MEDIUM,
                    "Tokens the one inference queue of the process embeds per call, across the waiting micro-batches")
            .define(INFERENCE_QUEUE_MAX_TOKENS, Type.INT, 65_536, atLeast(1), MEDIUM,
                    "While this many tokens wait for the model, stream threads wait for room (see max-wait-ms)")
            .define(INFERENCE_QUEUE_MAX_BYTES, Type.LONG, 64L << 20, atLeast(1), MEDIUM,
                    "While this many bytes of texts wait for the model, stream threads wait for room")
            // Checked at start against a quarter of the producer's transaction.timeout.ms.
            .define(INFERENCE_QUEUE_MAX_WAIT_MS, Type.INT, 100, between(0, 60_000), MEDIUM,
                    "Longest a stream thread waits for room in the full queue per event; then it takes the event in anyway")
            .define(THREADS_MAX_REPLACEMENTS, Type.INT, 3, atLeast(0), MEDIUM,
                    "Failed stream threads replaced within the window; one more shuts the process down (exit code 3)")
            .define(THREADS_REPLACEMENT_WINDOW_MS, Type.INT, 600_000, atLeast(1), MEDIUM,
                    "The window (ms) in which stream-thread failures are counted")
            .define(HEALTH_MAX_STALL_MS, Type.INT, 300_000, atLeast(0), MEDIUM,
                    "/health is DOWN when a task with waiting events makes no progress for longer (ms); 0 = never")
            .define(HEALTH_MAX_REBALANCE_MS, Type.INT, 300_000, atLeast(0), MEDIUM,
                    "/health is DOWN when a rebalance lasts longer (ms)")
            .define(OUTPUT_REGISTER_TIMEOUT_MS, Type.INT, 120_000, atLeast(0), MEDIUM,
                    "registry output: how long start-up retries registering the output schema (ms), then exits (code 3)");

    /** The registry client's key prefix: like bertstream.*, every key under it must be one the client reads. */
    public static final String REGISTRY_PREFIX = "schema.registry.";

    /** A key another module declares, under {@code bertstream.}: same type, default, validator and meaning. */
    private static ConfigDef.ConfigKey prefixed(ConfigDef definition, String name) {
        ConfigDef.ConfigKey key = definition.configKeys().get(name);
        return new ConfigDef.ConfigKey(PREFIX + key.name, key.type, key.defaultValue, key.validator, key.importance,
                key.documentation, key.group, key.orderInGroup, key.width, PREFIX + key.name, key.dependents,
                key.recommender, key.internalConfig);
    }

    /**
     * Old names still accepted (in the file and as environment variables), each with a one-line warning naming
     * its new name; setting both names of one key in the same place is refused.
     */
    static final Map<String, String> RENAMED = Map.of(
            // A micro-batch is what the stream gathers; a pass is what the engine runs.
            "bertstream.batch.max-records", MICRO_BATCH_MAX_RECORDS,
            "bertstream.batch.max-tokens", MICRO_BATCH_MAX_TOKENS,
            "bertstream.batch.linger-ms", MICRO_BATCH_LINGER_MS);

    /**
     * {@code BERTSTREAM_*} environment variables that are not settings, so they are not refused: the launcher's
     * JVM options, CI's tool cache, and the engine's model cache and Maven remote.
     */
    public static final SortedSet<String> ENVIRONMENT_NOT_SETTINGS = Collections.unmodifiableSortedSet(new TreeSet<>(List.of(
            "BERTSTREAM_JAVA_OPTS", "BERTSTREAM_CI_TOOLS", "BERTSTREAM_MODEL_CACHE", "BERTSTREAM_MAVEN_REMOTE")));

    /** Kafka Streams defaults that differ from Kafka's: no event lost or embedded twice. */
    private static final Map<String, String> KAFKA_DEFAULTS = Map.of(
            StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2,
            // (helper "core") Kafka Streams waits poll.ms (default 100) for input before running punctuations,
            // which deliver the inference queue's results: 10 ms keeps a quiet stream's latency low (idle CPU:
            // docs/operations.md).
            StreamsConfig.POLL_MS_CONFIG, "10");

    private static final String ENV_PREFIX = "BERTSTREAM_";
    private static final String KAFKA_ENV_PREFIX = "KAFKA_";

    /** The settings as given (file, map, environment), before defaults: what {@link #with} starts from. */
    private final Map<String, String> given;
    /** Every key's value as text: Kafka keys as given, bertstream keys with their defaults; unset keys absent. */
    private final Map<String, String> values;
    /** bertstream keys, parsed to their type (null when unset). */
    private final Map<String, Object> typed;
    /** Old key names used, each with its new name: logged once when the config is made. */
    private final List<String> warnings;

    private BertstreamConfig(Map<String, String> given, Map<String, String> values, Map<String, Object> typed,
                             List<String> warnings) {
        this.given = given;
        this.values = values;
        this.typed = typed;
        this.warnings = warnings;
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

    /**
     * Defaults, then {@code settings}, then the environment.
     *
     * @throws IllegalArgumentException naming every refused setting, one per line
     */
    public static BertstreamConfig of(Map<String, String> settings, Map<String, String> environment) {
        var sources = new Sources();
        sources.settings(settings);
        sources.environment(environment);
        BertstreamConfig config = build(sources);
        sources.warnings.forEach(log::warn);
        return config;
    }

    /** What the sources say, before parsing: the settings, which variable each came from, what is wrong or old. */
    private static final class Sources {

        final Map<String, String> given = new TreeMap<>();
        final Map<String, String> variables = new HashMap<>();
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();

        void settings(Map<String, String> settings) {
            new TreeMap<>(settings).forEach((key, value) -> {
                String renamed = RENAMED.get(key);
                if (renamed != null) {
                    rename(key, renamed, settings.containsKey(renamed), value, null);
                } else if (isUnknown(key)) {
                    // A mistyped key would otherwise be silently ignored, and its default used.
                    problems.add(unknownKey(key, value));
                } else {
                    given.put(key, value);
                }
            });
        }

        void environment(Map<String, String> environment) {
            var keysByVariable = new TreeMap<String, String>();
            KEYS.names().stream().filter(key -> key.startsWith(PREFIX)).forEach(key -> keysByVariable.put(envName(key), key));
            var renamedByVariable = new TreeMap<String, String>();
            RENAMED.forEach((old, renamed) -> renamedByVariable.put(envName(old), renamed));
            new TreeMap<>(environment).forEach((name, value) -> {
                if (name.startsWith(ENV_PREFIX)) {
                    if (keysByVariable.containsKey(name)) {
                        set(keysByVariable.get(name), value, name);
                    } else if (renamedByVariable.containsKey(name)) {
                        String renamed = renamedByVariable.get(name);
                        rename(name, envName(renamed), environment.containsKey(envName(renamed)), value, renamed);
                    } else if (!ENVIRONMENT_NOT_SETTINGS.contains(name)) {
                        problems.add(unknownVariable(name, keysByVariable.keySet()));
                    }
                } else if (name.startsWith(KAFKA_ENV_PREFIX) && name.length() > KAFKA_ENV_PREFIX.length()) {
                    String key = name.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                    if (key.startsWith(PREFIX)) {
                        problems.add("environment variable " + name + " is refused: bertstream settings are set by "
                                + ENV_PREFIX + "* variables, Kafka's by " + KAFKA_ENV_PREFIX + "*");
                    } else if (isUnknown(key)) {
                        problems.add("environment variable " + name + " is refused: " + unknownKey(key, value));
                    } else {
                        set(key, value, name);
                    }
                }
            });
        }

        /**
         * An old name ({@code oldName}, a key or a variable) for {@code newName}: refused when the new name is set
         * in the same place, else taken with a warning. {@code newKey} is the key a variable sets (null for keys).
         */
        private void rename(String oldName, String newName, boolean newNameSet, String value, String newKey) {
            if (newNameSet) {
                problems.add(oldName + " and " + newName + " are both set and are one setting (" + oldName
                        + " is its old name): keep only " + newName);
            } else {
                warnings.add(oldName + " is deprecated: use " + newName + " (same meaning)");
                if (newKey == null) {
                    given.put(newName, value);
                } else {
                    set(newKey, value, oldName);
                }
            }
        }

        private void set(String key, String value, String variable) {
            given.put(key, value);
            variables.put(key, variable);
        }
    }

    private static boolean isUnknown(String key) {
        return (key.startsWith(PREFIX) || key.startsWith(REGISTRY_PREFIX)) && !KEYS.names().contains(key);
    }

    /** Parses and checks every key; throws with all the problems found, one per line. */
    private static BertstreamConfig build(Sources sources) {
        List<String> problems = sources.problems;
        var values = new TreeMap<String, String>();
        KAFKA_DEFAULTS.forEach(values::put);
        sources.given.forEach((key, value) -> values.put(key, value.trim()));
        var typed = new HashMap<String, Object>();
        for (ConfigDef.ConfigKey key : KEYS.configKeys().values()) {
            String raw = values.get(key.name);
            if (raw == null || raw.isEmpty()) {
                typed.put(key.name, key.defaultValue);
                if (key.defaultValue == null) {
                    values.remove(key.name);
                } else {
                    values.put(key.name, ConfigDef.convertToString(key.defaultValue, key.type));
                }
                continue;
            }
            try {
                Object value = ConfigDef.parseType(key.name, raw, key.type);
                if (key.validator != null) {
                    key.validator.ensureValid(key.name, value);
                }
                typed.put(key.name, value);
            } catch (ConfigException e) {
                String reason = e instanceof ConfigValidators.Refused refused ? refused.reason() : null;
                problems.add(refusal(key.name, raw, sources.variables.get(key.name), reason, allowed(key)));
            }
        }
        if (problems.isEmpty()) {
            checkAgainstKafka(values, typed, sources.variables, problems);
            if (typed.get(RegistryClient.URL_CONFIG) != null) {
                try {
                    // The client's own rules (e.g. no basic auth over plain http), at start rather than at first use.
                    RegistryClient.Settings.fromConfigs(registrySettings(values));
                } catch (IllegalArgumentException e) {
                    problems.add(e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("\n", problems));
        }
        return new BertstreamConfig(Collections.unmodifiableMap(new TreeMap<>(sources.given)), values, typed,
                List.copyOf(sources.warnings));
    }

    /** Settings that must agree with a Kafka client setting. */
    private static void checkAgainstKafka(Map<String, String> values, Map<String, Object> typed, Map<String, String> variables,
                                          List<String> problems) {
        // Streams hands producer.-prefixed keys, then plain ones, to its producers.
        String producerKey = StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        String maxRequest = values.getOrDefault(producerKey, values.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG));
        int maxRequestSize;
        try {
            maxRequestSize = maxRequest == null
                    ? (Integer) ProducerConfig.configDef().defaultValues().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
                    : Integer.parseInt(maxRequest.trim());
        } catch (NumberFormatException e) {
            return; // Kafka refuses it itself, with its own message
        }
        int maxRecordBytes = (Integer) typed.get(OUTPUT_MAX_RECORD_BYTES);
        if (maxRecordBytes > maxRequestSize) {
            problems.add(refusal(OUTPUT_MAX_RECORD_BYTES, Integer.toString(maxRecordBytes), variables.get(OUTPUT_MAX_RECORD_BYTES),
                    "over the producer's max.request.size of " + maxRequestSize + ": such records could never be sent",
                    "at most max.request.size (raise it, and the topics' max.message.bytes, to go higher)"));
        }
    }

    /** One line: the key, its value (masked if secret), where it came from, why not, and what is allowed. */
    private static String refusal(String key, String value, String variable, String reason, String allowed) {
        return key + "=" + mask(key, value) + (variable == null ? "" : " (from " + variable + ")") + " is refused"
                + (reason == null ? "" : " (" + reason + ")") + "; allowed: " + allowed;
    }

    /** What a key may hold, in words: the type, narrowed by the validator. */
    static String allowed(ConfigDef.ConfigKey key) {
        return switch (key.type) {
            case BOOLEAN -> "true or false";
            case INT, LONG, SHORT -> "a whole number" + (key.validator == null ? "" : ", " + key.validator);
            case DOUBLE -> "a number" + (key.validator == null ? "" : ", " + key.validator);
            case LIST -> key.validator == null ? "a comma-separated list" : key.validator.toString();
            default -> key.validator == null ? "any text" : key.validator.toString();
        };
    }

    private static String unknownKey(String key, String value) {
        return "unknown setting " + key + "=" + mask(key, value) + " is refused" + suggestion(key, KEYS.names())
                + "; every bertstream.* and schema.registry.* key is listed in the README (Configuration)";
    }

    private static String unknownVariable(String name, Set<String> variables) {
        return "environment variable " + name + " names no bertstream setting and is refused" + suggestion(name, variables)
                + "; BERTSTREAM_* variables that are not settings: " + String.join(", ", ENVIRONMENT_NOT_SETTINGS);
    }

    /** " (did you mean X?)" for the closest known name within a few edits, else "". */
    private static String suggestion(String name, Set<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int distance = editDistance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best != null && bestDistance <= Math.max(2, name.length() / 5) ? " (did you mean " + best + "?)" : "";
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** One line per old key name in use, naming its new name (they are logged as warnings too). */
    public List<String> warnings() {
        return warnings;
    }

    /** Every bertstream.* key there is, sorted. */
    public static SortedSet<String> keys() {
        return Collections.unmodifiableSortedSet(KEYS.names().stream().filter(key -> key.startsWith(PREFIX))
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    /** bertstream.micro-batch.max-records → BERTSTREAM_MICRO_BATCH_MAX_RECORDS */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The value as text (a bertstream key's default when not set), or null when unset. */
    public String get(String key) {
        return values.get(key);
    }

    public String require(String key) {
        String value = values.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing setting " + key + " (or env "
                    + (key.startsWith(PREFIX) ? envName(key) : KAFKA_ENV_PREFIX + envName(key)) + ")");
        }
        return value;
    }

    /** The value, or null when unset or blank ("use the default"). */
    public String optional(String key) {
        String value = values.get(key);
        return value == null || value.isBlank() ? null : value;
    }

    public int getInt(String key) {
        if (typed.get(key) instanceof Integer value) {
            return value;
        }
        String value = require(key);
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + " is refused; allowed: a whole number");
        }
    }

    public boolean getBoolean(String key) {
        if (typed.get(key) instanceof Boolean value) {
            return value;
        }
        String value = require(key);
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + "=" + value + " is refused; allowed: true or false");
        };
    }

    /** The items of a list key; empty when unset. */
    public List<String> getList(String key) {
        if (typed.get(key) instanceof List<?> list) {
            return list.stream().map(Object::toString).toList();
        }
        String value = optional(key);
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** An enum value, written in any case with '-' for '_' (onnxruntime, head-tail). */
    public <E extends Enum<E>> E getEnum(String key, Class<E> type) {
        String value = require(key);
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + "=" + value + " is refused; allowed: " + Arrays.stream(type.getEnumConstants())
                    .map(ConfigValidators::spelling).collect(Collectors.joining(", ")));
        }
    }

    /** Everything that is neither a bertstream key nor the registry client's: for Kafka Streams and its clients. */
    public Properties kafkaProperties() {
        var props = new Properties();
        values.forEach((key, value) -> {
            if (!key.startsWith(PREFIX) && !key.startsWith(REGISTRY_PREFIX)) {
                props.put(key, value);
            }
        });
        return props;
    }

    /**
     * The same config with some keys replaced (e.g. a replay's own application.id and output topic), checked
     * like the original.
     */
    public BertstreamConfig with(Map<String, String> overrides) {
        var settings = new TreeMap<>(given);
        settings.putAll(overrides);
        return of(settings, Map.of());
    }

    /** The input decoder: its bertstream.input.* keys, plus schema.registry.* for registry-framed Avro. */
    public TextDecoder decoder() {
        var configs = new HashMap<String, Object>(registrySettings());
        for (String key : TextDecoder.CONFIG_DEF.names()) {
            if (typed.get(PREFIX + key) != null) {
                configs.put(key, typed.get(PREFIX + key));
            }
        }
        return TextDecoder.fromConfigs(configs);
    }

    /** The output value serializer: bertstream.output.format, plus schema.registry.* for the registry format. */
    public Serializer<EmbeddingRecord> serializer() {
        return OutputFormat.parse(require(OUTPUT_FORMAT)).serializer(registrySettings());
    }

    private Map<String, String> registrySettings() {
        return registrySettings(values);
    }

    private static Map<String, String> registrySettings(Map<String, String> values) {
        var registry = new TreeMap<String, String>();
        values.forEach((key, value) -> {
            if (key.startsWith(REGISTRY_PREFIX)) {
                registry.put(key, value);
            }
        });
        return registry;
    }

    public TopologySettings topologySettings() {
        String pattern = optional(INPUT_PATTERN);
        return new TopologySettings(getList(INPUT_TOPICS), pattern == null ? null : Pattern.compile(pattern),
                require(OUTPUT_TOPIC), require(DLQ_TOPIC),
                new BatchPolicy(getInt(MICRO_BATCH_MAX_RECORDS), getInt(MICRO_BATCH_MAX_TOKENS),
                        Duration.ofMillis(getInt(MICRO_BATCH_LINGER_MS))),
                new TopologySettings.Cache(getInt(CACHE_MAX_ENTRIES), getLong(CACHE_MAX_BYTES)), extractionSettings(),
                getInt(INPUT_MAX_BYTES), getBoolean(OUTPUT_INCLUDE_TEXT), getInt(OUTPUT_MAX_RECORD_BYTES),
                new TopologySettings.EventLimits(getInt(LENGTH_MAX_EVENT_TOKENS), getInt(LENGTH_MAX_CHUNKS)),
                getEnum(INPUT_DELETES, TopologySettings.Deletes.class), getInt(INPUT_MAX_ID_BYTES));
    }

    // ---- Reliability block (helper "core") ------------------------------------------------------------------------

    /** The inference queue's bounds. */
    public InferenceQueue.Settings inferenceSettings() {
        return new InferenceQueue.Settings(getInt(INFERENCE_RUN_TOKENS), getInt(INFERENCE_QUEUE_MAX_TOKENS),
                getLong(INFERENCE_QUEUE_MAX_BYTES), Duration.ofMillis(getInt(INFERENCE_QUEUE_MAX_WAIT_MS)));
    }

    /** How the app watches itself: thread replacement, stalls, rebalances, start-up registration. */
    public Supervision supervision() {
        return new Supervision(getInt(THREADS_MAX_REPLACEMENTS), Duration.ofMillis(getInt(THREADS_REPLACEMENT_WINDOW_MS)),
                Duration.ofMillis(getInt(HEALTH_MAX_STALL_MS)), Duration.ofMillis(getInt(HEALTH_MAX_REBALANCE_MS)),
                Duration.ofMillis(getInt(OUTPUT_REGISTER_TIMEOUT_MS)));
    }

    /** A long key's value. */
    public long getLong(String key) {
        if (typed.get(key) instanceof Long value) {
            return value;
        }
        String value = require(key);
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + value + " is refused; allowed: a whole number");
        }
    }
    // ---- end of the reliability block -------------------------------------------------------------------------

    private String extractionSettings() {
        return List.of(LENGTH_MODE, LENGTH_MAX_TOKENS, LENGTH_OVERLAP, DOCUMENT_VECTOR).stream()
                .map(key -> key + "=" + values.get(key)).collect(Collectors.joining(";"));
    }

    /** One line per key (unset bertstream keys too, empty), secrets masked: safe to log. */
    public String describe() {
        var all = new TreeMap<>(values);
        KEYS.names().forEach(key -> all.putIfAbsent(key, ""));
        var out = new StringBuilder();
        all.forEach((key, value) -> out.append(key).append('=').append(mask(key, value)).append('\n'));
        return out.toString();
    }

    /** The value as it may be logged: secrets (see {@link Secrets}) hidden, credentials in URLs too. */
    public static String mask(String key, String value) {
        return Secrets.mask(key, value);
    }
}
