package io.bertstream.topology;

import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * input topic(s) → {@link MicroBatchProcessor} (decode, micro-batch, hand over to the inference queue, serialize)
 * → output topic, with a dead-letter sink beside it. Bytes in and out, so the original bytes of a bad record are at
 * hand.
 */
public final class EmbeddingTopology {

    private static final String SOURCE = "events";
    private static final String PROCESSOR = "embedder";
    /** Pending changelog: segments small and young, so compaction soon drops what closed micro-batches deleted. */
    static final int PENDING_SEGMENT_BYTES = 16 << 20;
    static final Duration PENDING_SEGMENT_AGE = Duration.ofMinutes(10);
    static final String PENDING_DIRTY_RATIO = "0.1";
    /** How long tombstones of deleted pending entries stay readable: standbys further behind than this may miss one. */
    static final Duration PENDING_DELETE_RETENTION = Duration.ofHours(1);

    private EmbeddingTopology() {
    }

    /** @param changelogMaxMessageBytes max.message.bytes of the changelog topics: the producer's max.request.size */
    static Topology build(Pipeline pipeline, int changelogMaxMessageBytes) {
        TopologySettings settings = pipeline.settings();
        var topology = new Topology();
        var bytes = Serdes.ByteArray();
        if (settings.inputPattern() != null) {
            topology.addSource(SOURCE, bytes.deserializer(), bytes.deserializer(), settings.inputPattern());
        } else {
            topology.addSource(SOURCE, bytes.deserializer(), bytes.deserializer(),
                    settings.inputTopics().toArray(String[]::new));
        }
        ProcessorSupplier<byte[], byte[], byte[], byte[]> supplier = new ProcessorSupplier<>() {
            @Override
            public MicroBatchProcessor get() {
                return new MicroBatchProcessor(pipeline);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return storeBuilders(settings, changelogMaxMessageBytes, pipeline.shape().chunked());
            }
        };
        topology.addProcessor(PROCESSOR, supplier, SOURCE);
        topology.addSink(MicroBatchProcessor.OUTPUT_SINK, settings.outputTopic(), bytes.serializer(),
                bytes.serializer(), PROCESSOR);
        topology.addSink(MicroBatchProcessor.DEAD_LETTER_SINK, settings.deadLetterTopic(), bytes.serializer(),
                bytes.serializer(), PROCESSOR);
        return topology;
    }

    /** The changelog topic Kafka Streams creates for a store of this topology. */
    static String changelogTopic(String applicationId, String store) {
        return applicationId + "-" + store + "-changelog";
    }

    /** The pending changelog's topic settings (documented in docs/operations.md). */
    static Map<String, String> pendingChangelogConfig(int maxMessageBytes) {
        return Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(Math.max(PENDING_SEGMENT_BYTES, 2 * maxMessageBytes)),
                TopicConfig.SEGMENT_MS_CONFIG, Long.toString(PENDING_SEGMENT_AGE.toMillis()),
                TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, PENDING_DIRTY_RATIO,
                TopicConfig.DELETE_RETENTION_MS_CONFIG, Long.toString(PENDING_DELETE_RETENTION.toMillis()),
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
    }

    private static Set<StoreBuilder<?>> storeBuilders(TopologySettings settings, int maxMessageBytes, boolean chunked) {
        var stores = new java.util.HashSet<StoreBuilder<?>>();
        // In memory and changelogged: the pending store holds only open micro-batches (entries are deleted as their
        // outcomes are forwarded), so it restores fast.
        stores.add(Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(MicroBatchProcessor.PENDING_STORE), Serdes.Long(), Serdes.ByteArray())
                .withLoggingEnabled(pendingChangelogConfig(maxMessageBytes))
                .withCachingDisabled());
        var compacted = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        if (settings.cache().enabled()) {
            // Bounded by EmbeddingCache (entries and bytes), whose evictions are deletes: the changelog stays as small.
            stores.add(Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(MicroBatchProcessor.CACHE_STORE), Serdes.Bytes(), Serdes.ByteArray())
                    .withLoggingEnabled(compacted)
                    .withCachingDisabled());
        }
        if (chunked) {
            // Ids with more than one chunk key, and how many: what a delete or a shorter text must tombstone. In memory
            // (like the others: one kind of store, one set of state metrics), an entry only for ids of 2+ chunks.
            stores.add(Stores.keyValueStoreBuilder(
                            Stores.inMemoryKeyValueStore(MicroBatchProcessor.CHUNK_COUNT_STORE), Serdes.Bytes(), Serdes.ByteArray())
                    .withLoggingEnabled(compacted)
                    .withCachingDisabled());
        }
        return Set.copyOf(stores);
    }
}
