package io.bertstream.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The largest record each kind of write may be, so that nothing oversized ever reaches the send path: the
 * producer's {@code max.request.size} and the destination topic's {@code max.message.bytes} (read from the cluster
 * at start; the changelog topics get theirs from {@link EmbeddingTopology}), and for outputs and dead letters also
 * {@code bertstream.output.max-record-bytes}. A record's size is measured the way the producer measures it
 * ({@link AbstractRecords#estimateSizeInBytesUpperBound}: key, value, headers and the batch overhead).
 */
public final class SizeLimits {

    private static final Logger log = LoggerFactory.getLogger(SizeLimits.class);

    /** The writes the processor makes. */
    public enum Kind {
        PENDING("pending entry"), CACHE("embedding-cache entry"), OUTPUT("output record"), DEAD_LETTER("dead letter");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        String metricTag() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private record Limit(int bytes, String source) {
    }

    private final EnumMap<Kind, Limit> limits;
    private final CompressionType compression;

    private SizeLimits(EnumMap<Kind, Limit> limits, CompressionType compression) {
        this.limits = limits;
        this.compression = compression;
    }

    /** Every kind bounded by {@code bytes}: for tests and for the topology test driver. */
    public static SizeLimits uniform(int bytes) {
        var limits = new EnumMap<Kind, Limit>(Kind.class);
        for (Kind kind : Kind.values()) {
            limits.put(kind, new Limit(bytes, "a " + bytes + "-byte limit"));
        }
        return new SizeLimits(limits, CompressionType.NONE);
    }

    /**
     * The limits of a running app: the producer's and {@code maxRecordBytes} from the config, the output and
     * dead-letter topics' {@code max.message.bytes} from the cluster (the broker's {@code message.max.bytes} for a
     * topic that does not exist yet), the changelog topics' from the cluster when they exist, else what Streams
     * will create them with.
     */
    static SizeLimits read(Admin admin, Properties streamsProps, TopologySettings settings, Duration timeout) {
        int maxRequest = producerInt(streamsProps, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        CompressionType compression = CompressionType.forName(producerString(streamsProps, ProducerConfig.COMPRESSION_TYPE_CONFIG));
        String appId = streamsProps.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        String requestSource = "producer max.request.size=" + maxRequest;
        int userMax = settings.maxRecordBytes();
        String userSource = BertstreamConfig.OUTPUT_MAX_RECORD_BYTES + "=" + userMax;
        var limits = new EnumMap<Kind, Limit>(Kind.class);
        try {
            limits.put(Kind.OUTPUT, min(min(new Limit(maxRequest, requestSource), new Limit(userMax, userSource)),
                    topicLimit(admin, settings.outputTopic(), null, timeout)));
            limits.put(Kind.DEAD_LETTER, min(min(new Limit(maxRequest, requestSource), new Limit(userMax, userSource)),
                    topicLimit(admin, settings.deadLetterTopic(), null, timeout)));
            int changelogMax = changelogMaxMessageBytes(streamsProps);
            limits.put(Kind.PENDING, min(new Limit(maxRequest, requestSource),
                    topicLimit(admin, EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.PENDING_STORE), changelogMax, timeout)));
            limits.put(Kind.CACHE, min(new Limit(maxRequest, requestSource),
                    topicLimit(admin, EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.CACHE_STORE), changelogMax, timeout)));
        } catch (ExecutionException e) {
            String acl = e.getCause() instanceof org.apache.kafka.common.errors.AuthorizationException
                    ? " (grant DESCRIBE_CONFIGS on the output, dead-letter and <application.id>- topics, and on the"
                    + " cluster when a topic is yet to be created)" : "";
            throw new IllegalStateException("cannot read the topics' size limits from the cluster: " + e.getCause() + acl,
                    e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot read the topics' size limits from the cluster within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the topics' size limits", e);
        }
        var result = new SizeLimits(limits, compression);
        log.info("record size limits: {}", result);
        return result;
    }

    /** What Streams creates the changelog topics with: the producer's max.request.size, so the two agree. */
    static int changelogMaxMessageBytes(Properties streamsProps) {
        return producerInt(streamsProps, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
    }

    /** The record's size as the producer counts it against max.request.size (and the broker against max.message.bytes). */
    int recordBytes(byte[] key, byte[] value, Headers headers) {
        Header[] array = headers == null ? new Header[0] : headers.toArray();
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, compression, key, value, array);
    }

    boolean fits(Kind kind, byte[] key, byte[] value, Headers headers) {
        return recordBytes(key, value, headers) <= limit(kind);
    }

    int limit(Kind kind) {
        return limits.get(kind).bytes();
    }

    /** The smallest limit of all kinds: what a producer batch of several records must fit. */
    int smallest() {
        return limits.values().stream().mapToInt(Limit::bytes).min().orElseThrow();
    }

    /** The limit in words, naming the settings behind it: "the 1048576-byte limit (producer max.request.size=1048576)". */
    String describe(Kind kind) {
        Limit limit = limits.get(kind);
        return "the " + limit.bytes() + "-byte limit of a " + kind.label() + " (" + limit.source() + ")";
    }

    @Override
    public String toString() {
        var out = new StringBuilder();
        limits.forEach((kind, limit) -> out.append(out.isEmpty() ? "" : ", ").append(kind.label()).append(' ')
                .append(limit.bytes()).append(" (").append(limit.source()).append(')'));
        return out.toString();
    }

    /**
     * Refuses limits that cannot hold together, naming the settings to change: an input value of
     * {@code bertstream.input.max-bytes} must fit the pending changelog, and a dead letter must have room for its
     * headers.
     */
    void checkHoldTogether(TopologySettings settings) {
        int input = settings.maxInputBytes();
        var largest = new InputRecord(null, new byte[input], new org.apache.kafka.common.header.internals.RecordHeaders(),
                new Lineage("t".repeat(249), Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE), Long.MAX_VALUE);
        int pending = recordBytes(new byte[Long.BYTES], StateFormat.writePending(largest), null);
        if (pending > limit(Kind.PENDING)) {
            throw new IllegalArgumentException(BertstreamConfig.INPUT_MAX_BYTES + "=" + input + " cannot hold together"
                    + " with the pending changelog: an input value of that size takes " + pending + " bytes there, over "
                    + describe(Kind.PENDING) + "; lower " + BertstreamConfig.INPUT_MAX_BYTES + " to at most "
                    + (input - (pending - limit(Kind.PENDING))) + " or raise max.request.size (producer.max.request.size)");
        }
        int deadLetter = recordBytes(null, null, DeadLetter.largestHeaders());
        if (deadLetter > limit(Kind.DEAD_LETTER)) {
            throw new IllegalArgumentException("a dead letter's headers alone take up to " + deadLetter + " bytes, over "
                    + describe(Kind.DEAD_LETTER) + "; raise it (" + BertstreamConfig.OUTPUT_MAX_RECORD_BYTES
                    + ", the dead-letter topic's max.message.bytes, max.request.size)");
        }
    }

    private static Limit min(Limit a, Limit b) {
        return a.bytes() <= b.bytes() ? a : b;
    }

    /**
     * The topic's max.message.bytes; for a topic that does not exist yet, {@code created} (what Streams will create it
     * with), or else the broker's message.max.bytes (what auto-creation gives it).
     */
    private static Limit topicLimit(Admin admin, String topic, Integer created, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        var resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        try {
            Config config = admin.describeConfigs(List.of(resource)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    .get(resource);
            ConfigEntry entry = config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry != null && entry.value() != null) {
                return new Limit(Integer.parseInt(entry.value()), "topic " + topic + " max.message.bytes=" + entry.value());
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                throw e;
            }
        }
        int fallback = created != null ? created : brokerMessageMaxBytes(admin, timeout);
        return new Limit(fallback, "max.message.bytes=" + fallback + " of topic " + topic + ", which does not exist yet");
    }

    private static int brokerMessageMaxBytes(Admin admin, Duration timeout)
            throws ExecutionException, InterruptedException, TimeoutException {
        var node = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).iterator().next();
        var resource = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
        ConfigEntry entry = admin.describeConfigs(List.of(resource)).all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource).get("message.max.bytes");
        return entry == null || entry.value() == null ? 1_048_588 : Integer.parseInt(entry.value());
    }

    private static int producerInt(Properties streamsProps, String key) {
        return ProducerSettings.intValue(streamsProps, key);
    }

    private static String producerString(Properties streamsProps, String key) {
        return ProducerSettings.value(streamsProps, key);
    }
}
