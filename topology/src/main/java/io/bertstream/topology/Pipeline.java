package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.TextEmbedder;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What every task's {@link MicroBatchProcessor} of one process shares: the settings, the model (for token counts
 * and its identity), the one inference queue, the decoder and serializer, the size limits, the fault monitor,
 * progress tracking and the meters.
 */
record Pipeline(TopologySettings settings, TextEmbedder embedder, SegmentShape shape, InferenceQueue queue,
                Backpressure backpressure, TextDecoder decoder, Serializer<EmbeddingRecord> serializer,
                SizeLimits limits, Faults faults, TaskProgress progress, PipelineMetrics metrics) {
}
