package io.bertstream.serde;

import io.bertstream.avro.Chunk;
import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.avro.Model;
import io.bertstream.avro.Quantization;
import io.bertstream.avro.Source;
import io.bertstream.avro.TextEvent;
import io.bertstream.avro.TokenVector;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Records for the serde tests: one with every optional part filled, one with none. */
final class TestRecords {

    private TestRecords() {
    }

    static List<Float> randomVector(Random random, int dims) {
        return random.doubles(dims, -1, 1).mapToObj(d -> (float) d).toList();
    }

    /** Every nullable field set: chunk, token vectors, quantisation, text echo, metadata. */
    static EmbeddingRecord full(long seed) {
        Random random = new Random(seed);
        return EmbeddingRecord.newBuilder()
                .setId("doc-" + seed + "#1")
                .setVector(randomVector(random, 384))
                .setDims(384)
                .setChunk(new Chunk(1, 3, 120, 245))
                .setTokens(List.of(new TokenVector("embed", 0, 5, randomVector(random, 4)),
                        new TokenVector("##dings", 5, 10, randomVector(random, 4))))
                .setModel(Model.newBuilder()
                        .setName("all-minilm-l6-v2").setWeightsSha256("ab".repeat(32)).setFormat("onnx")
                        .setBackend("onnxruntime").setLayers("-1").setPooling("mean").setNormalized(true)
                        .setPostProcessing("l2,int8").setQuantization(new Quantization("int8", 0.0078f, 0f))
                        .build())
                .setSource(new Source("texts", 2, 41L, Instant.ofEpochMilli(1_700_000_000_123L)))
                .setTokenCount(17)
                .setTruncated(false)
                .setText("Embeddings — vecteurs, ベクトル")
                .setMetadata(Map.of("lang", "en", "tenant", "acme"))
                .setCreatedAt(Instant.ofEpochMilli(1_700_000_001_456L))
                .build();
    }

    /** Only the required fields. */
    static EmbeddingRecord minimal(long seed) {
        Random random = new Random(seed);
        return EmbeddingRecord.newBuilder()
                .setId("doc-" + seed)
                .setVector(randomVector(random, 384))
                .setDims(384)
                .setModel(Model.newBuilder()
                        .setName("bge-small-en-v15").setWeightsSha256("cd".repeat(32)).setFormat("onnx")
                        .setBackend("pytorch").setLayers("-4..-1 mean").setPooling("cls").setNormalized(false)
                        .setPostProcessing("").build())
                .setSource(new Source("texts", 0, 7L, null))
                .setTokenCount(9)
                .setTruncated(true)
                .setCreatedAt(Instant.ofEpochMilli(1_700_000_002_789L))
                .build();
    }

    static TextEvent textEvent(String id, String text) {
        return TextEvent.newBuilder().setId(id).setText(text).setMetadata(Map.of("source", "test"))
                .setEventTime(Instant.ofEpochMilli(1_690_000_000_000L)).build();
    }
}
