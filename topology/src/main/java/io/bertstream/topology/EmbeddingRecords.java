package io.bertstream.topology;

import io.bertstream.avro.Chunk;
import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.avro.Model;
import io.bertstream.avro.Quantization;
import io.bertstream.avro.Source;
import io.bertstream.avro.TokenVector;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ModelInfo;
import io.bertstream.serde.DecodedText;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds the public {@link EmbeddingRecord} of one vector of one event. */
final class EmbeddingRecords {

    private EmbeddingRecords() {
    }

    static EmbeddingRecord of(String id, DecodedText event, Lineage source, Embedding embedding, ModelInfo model,
                              boolean includeText, Instant now) {
        var chunk = embedding.chunk();
        return EmbeddingRecord.newBuilder()
                .setId(id)
                .setVector(floats(embedding.vector()))
                .setDims(embedding.vector().length)
                .setChunk(chunk == null ? null : new Chunk(chunk.index(), chunk.count(), chunk.charStart(), chunk.charEnd()))
                .setTokens(embedding.tokens() == null ? null : embedding.tokens().stream()
                        .map(t -> new TokenVector(t.token(), t.start(), t.end(), floats(t.vector()))).toList())
                .setModel(model(model, embedding.quantization()))
                .setSource(new Source(source.topic(), source.partition(), source.offset(),
                        Instant.ofEpochMilli(source.timestamp())))
                .setTokenCount(embedding.tokenCount())
                .setTruncated(embedding.truncated())
                .setText(includeText ? textOf(event.text(), chunk) : null)
                .setMetadata(event.metadata())
                .setCreatedAt(now)
                .build();
    }

    private static Model model(ModelInfo info, Embedding.Quantization quantization) {
        return Model.newBuilder()
                .setName(info.name())
                .setWeightsSha256(info.sha256())
                .setFormat(info.format())
                .setBackend(info.backend())
                .setLayers(info.layers())
                .setPooling(info.pooling())
                .setNormalized(info.normalized())
                .setPostProcessing(info.postProcessing())
                .setQuantization(quantization == null ? null
                        : new Quantization(quantization.kind(), quantization.scale(), quantization.offset()))
                .build();
    }

    /** The chunk's own text for a chunk vector, the whole text otherwise. */
    private static String textOf(String text, Embedding.ChunkInfo chunk) {
        return chunk == null || chunk.index() == chunk.count() ? text : text.substring(chunk.charStart(), chunk.charEnd());
    }

    private static List<Float> floats(float[] values) {
        var list = new ArrayList<Float>(values.length);
        for (float v : values) {
            list.add(v);
        }
        return list;
    }
}
