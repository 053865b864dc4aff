package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.TextEmbedder;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.Map;
import java.util.Set;

/**
 * input topic(s) → {@link MicroBatchProcessor} (decode, micro-batch, embed, serialize) → output topic, with a
 * dead-letter sink beside it. Bytes in and out, so the original bytes of a bad record are at hand.
 */
public final class EmbeddingTopology {

    private static final String SOURCE = "events";
    private static final String PROCESSOR = "embedder";

    private EmbeddingTopology() {
    }

    /** @param embedder the process-wide model, shared by every task and stream thread */
    public static Topology build(TopologySettings settings, TextEmbedder embedder, TextDecoder decoder,
                                 Serializer<EmbeddingRecord> serializer, PipelineMetrics metrics) {
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
                return new MicroBatchProcessor(embedder, decoder, serializer, settings, metrics);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return storeBuilders(settings);
            }
        };
        topology.addProcessor(PROCESSOR, supplier, SOURCE);
        topology.addSink(MicroBatchProcessor.OUTPUT_SINK, settings.outputTopic(), bytes.serializer(),
                bytes.serializer(), PROCESSOR);
        topology.addSink(MicroBatchProcessor.DEAD_LETTER_SINK, settings.deadLetterTopic(), bytes.serializer(),
                bytes.serializer(), PROCESSOR);
        return topology;
    }

    private static Set<StoreBuilder<?>> storeBuilders(TopologySettings settings) {
        // In memory and changelogged: the pending store is tiny (deleted as batches close), restores fast.
        StoreBuilder<?> pending = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore(MicroBatchProcessor.PENDING_STORE), Serdes.Long(), Serdes.ByteArray())
                .withLoggingEnabled(Map.of())
                .withCachingDisabled();
        if (settings.cacheMaxEntries() <= 0) {
            return Set.of(pending);
        }
        StoreBuilder<?> cache = Stores.keyValueStoreBuilder(
                        Stores.lruMap(MicroBatchProcessor.CACHE_STORE, settings.cacheMaxEntries()), Serdes.Bytes(),
                        Serdes.ByteArray())
                .withLoggingEnabled(Map.of("cleanup.policy", "compact"))
                .withCachingDisabled();
        return Set.of(pending, cache);
    }
}
