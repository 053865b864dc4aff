package io.bertstream.extract;

import io.bertstream.engine.EncodedSegment;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.InvalidTextException;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.model.Tensor;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every pooling and layer combination against values worked out by hand from a tiny hand-made model: 3 layers,
 * hidden size 2, the text "hi there!" as [CLS] hi there ! [SEP].
 */
class ExtractionPlanTest {

    static final String TEXT = "hi there!";
    // hidden states per layer (0 = embeddings .. 3 = last), rows = tokens [CLS] hi there ! [SEP]
    static final float[][][] STATES = {
        {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}},
        {{1, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}},
        {{0, 1}, {2, 2}, {4, 0}, {0, -2}, {4, 4}},
        {{1, 2}, {3, -4}, {5, 6}, {7, 0}, {-1, 8}},
    };
    static final Segment SEGMENT = segment(0, 1, 0, 9);

    static Segment segment(int chunk, int chunks, int spanStart, int spanEnd) {
        return new Segment(chunk, chunks, new long[] {101, 7632, 2045, 999, 102}, new long[5],
                new String[] {"[CLS]", "hi", "there", "!", "[SEP]"},
                new int[] {0, 0, 3, 8, 0}, new int[] {0, 2, 8, 9, 0}, spanStart, spanEnd, false, 3);
    }

    static LoadedModel model(boolean withPooler, PoolingDefaults defaults) {
        Map<String, Tensor> weights = withPooler
                ? Map.of("pooler.dense.weight", new Tensor("pooler.dense.weight", new long[] {2, 2}, new float[] {1, 0, 0, -1}),
                         "pooler.dense.bias", new Tensor("pooler.dense.bias", new long[] {2}, new float[] {0, 0.5f}))
                : Map.of();
        return new LoadedModel(new ModelIdentity("tiny", ModelFormat.HUGGINGFACE, "abc123"),
                new BertConfig("bert", 30522, 2, 3, 1, 4, 512, 2, 1e-12, "gelu", 0),
                new ModelWeights(ModelWeights.entriesOf(weights)), "{}", defaults, Optional.empty());
    }

    static final LoadedModel TINY = model(true, new PoolingDefaults(-1, "mean", true, "test"));

    static EncodedSegment encoded(Segment segment, float[][][] states) {
        float[][] hidden = new float[states.length][];
        int[] layers = new int[states.length];
        for (int l = 0; l < states.length; l++) {
            layers[l] = l;
            hidden[l] = new float[states[l].length * 2];
            for (int t = 0; t < states[l].length; t++) {
                hidden[l][2 * t] = states[l][t][0];
                hidden[l][2 * t + 1] = states[l][t][1];
            }
        }
        return new EncodedSegment(segment, layers, 2, hidden);
    }

    static EncodedText text() {
        return new EncodedText(TEXT, List.of(encoded(SEGMENT, STATES)), null);
    }

    /** The single vector a spec gives for the test text, unnormalised unless the spec says otherwise. */
    static float[] vector(ExtractionSpec spec) {
        EmbedOutcome out = ExtractionPlan.resolve(spec, TINY).extract(text());
        return assertInstanceOf(EmbedOutcome.Embedded.class, out).vectors().get(0).vector();
    }

    static ExtractionSpec raw(String layers, String combine, String pooling) {
        return ExtractionSpec.modelDefaults().withNormalize(false)
                .withLayers(LayerSpec.parse(layers, combine)).withPooling(Pooling.parse(pooling));
    }

    @Test
    void eachPoolingOfTheLastLayer() {
        assertArrayEquals(new float[] {1, 2}, vector(raw("-1", null, "cls")));
        assertArrayEquals(new float[] {-1, 8}, vector(raw("-1", null, "sep")));
        assertArrayEquals(new float[] {-1, 8}, vector(raw("3", null, "last")));
        assertArrayEquals(new float[] {3, 2.4f}, vector(raw("-1", null, "mean")), 1e-6f);
        assertArrayEquals(new float[] {7, 8}, vector(raw("-1", null, "max")));
        assertArrayEquals(new float[] {3, 2.4f, 7, 8}, vector(raw("-1", null, "mean-max")), 1e-6f);
        // pooler: tanh(W . cls + b) with W = [[1, 0], [0, -1]], b = [0, 0.5] on cls [1, 2]
        assertArrayEquals(new float[] {(float) Math.tanh(1), (float) Math.tanh(-1.5)}, vector(raw("-1", null, "pooler")), 1e-6f);
        // layer 0 is the embedding output; -2 is layer 2
        assertArrayEquals(new float[] {2, 2}, vector(raw("0", null, "mean")), 1e-6f);
        assertArrayEquals(new float[] {2, 1}, vector(raw("-2", null, "mean")), 1e-6f);
    }

    @Test
    void layerCombinations() {
        // per-layer means: layer 2 = [2, 1], layer 3 = [3, 2.4]
        assertArrayEquals(new float[] {2, 1, 3, 2.4f}, vector(raw("-2..-1", "concat", "mean")), 1e-6f);
        assertArrayEquals(new float[] {2.5f, 1.7f}, vector(raw("2,3", "mean", "mean")), 1e-6f);
        assertArrayEquals(new float[] {5, 3.4f}, vector(raw("-2..-1", "sum", "mean")), 1e-6f);
        assertArrayEquals(new float[] {2.75f, 2.05f}, vector(raw("-2..-1", "weighted:0.25,0.75", "mean")), 1e-6f);
        // layers pooled one by one, then combined: max of layer 2 = [4, 4], of layer 3 = [7, 8]
        assertArrayEquals(new float[] {5.5f, 6}, vector(raw("-2..-1", "mean", "max")), 1e-6f);
        // cls of all four hidden states, concatenated
        assertArrayEquals(new float[] {0, 0, 1, 0, 0, 1, 1, 2}, vector(raw("all", "concat", "cls")));
    }

    @Test
    void modelDefaultsAreMeanOfLastLayerNormalised() {
        ExtractionPlan plan = ExtractionPlan.resolve(ExtractionSpec.modelDefaults(), TINY);
        float norm = (float) Math.hypot(3, 2.4);
        assertArrayEquals(new float[] {3 / norm, 2.4f / norm}, vector(ExtractionSpec.modelDefaults()), 1e-6f);
        assertArrayEquals(new int[] {3}, plan.layers());
        ModelInfo info = plan.info("test-backend");
        assertEquals(new ModelInfo("tiny", "abc123", "huggingface", "test-backend", "-1", "mean", true, "l2", 2), info);
        ModelInfo concat = ExtractionPlan.resolve(raw("-2..-1", "concat", "mean-max").withTruncateDims(3)
                .withQuantize(Quantizer.Kind.INT8), TINY).info("b");
        assertEquals("-2..-1 concat", concat.layers());
        assertEquals("truncate:3,int8", concat.postProcessing());
        assertEquals(3, concat.dims());
    }

    @Test
    void tokenLevelKeepsEveryWordPieceWithItsOffsets() {
        Embedding e = ((EmbedOutcome.Embedded) ExtractionPlan.resolve(raw("-1", null, "none"), TINY).extract(text())).vectors().get(0);
        assertEquals(5, e.tokens().size());
        assertEquals(0, e.vector().length);
        Embedding.TokenVector there = e.tokens().get(2);
        assertEquals("there", there.token());
        assertEquals("there", TEXT.substring(there.start(), there.end()));
        assertArrayEquals(new float[] {5, 6}, there.vector());
        // concat of layers 2 and 3 per token
        Embedding both = ((EmbedOutcome.Embedded) ExtractionPlan.resolve(raw("2,3", "concat", "none"), TINY).extract(text())).vectors().get(0);
        assertArrayEquals(new float[] {0, -2, 7, 0}, both.tokens().get(3).vector());
    }

    @Test
    void wordVectorsAverageTheWordPiecesOfOneWord() {
        Embedding e = ((EmbedOutcome.Embedded) ExtractionPlan.resolve(raw("-1", null, "none").withWordVectors(true), TINY)
                .extract(text())).vectors().get(0);
        // "there" and "!" touch, so they form one word; [CLS] and [SEP] cover no text and belong to none
        assertEquals(List.of("hi", "there!"), e.tokens().stream().map(Embedding.TokenVector::token).toList());
        assertArrayEquals(new float[] {3, -4}, e.tokens().get(0).vector());
        assertArrayEquals(new float[] {6, 3}, e.tokens().get(1).vector());
        assertEquals(3, e.tokens().get(1).start());
        assertEquals(9, e.tokens().get(1).end());
    }

    @Test
    void continuationPiecesJoinTheirWord() {
        Segment s = new Segment(0, 1, new long[6], new long[6], new String[] {"[CLS]", "un", "##break", "##able", "glass", "[SEP]"},
                new int[] {0, 0, 2, 7, 12, 0}, new int[] {0, 2, 7, 11, 17, 0}, 0, 17, false, 4);
        List<int[]> words = ExtractionPlan.words(s);
        assertEquals(2, words.size());
        assertArrayEquals(new int[] {1, 4}, words.get(0));
        assertArrayEquals(new int[] {4, 5}, words.get(1));
    }

    @Test
    void chunksGetTheirSpansAndTheDocumentVectorIsTokenWeighted() {
        float[][][] second = {STATES[0], STATES[1], STATES[2], {{1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}}};
        Segment s1 = segment(1, 2, 5, 9);
        EncodedText chunked = new EncodedText(TEXT, List.of(encoded(segment(0, 2, 0, 6), STATES), encoded(s1, second)), null);
        ExtractionSpec spec = raw("-1", null, "mean").withLength(new LengthPolicy(LengthPolicy.Mode.CHUNK, 5, 1)).withDocumentVector(true);
        List<Embedding> out = ((EmbedOutcome.Embedded) ExtractionPlan.resolve(spec, TINY).extract(chunked)).vectors();
        assertEquals(3, out.size());
        assertEquals(new Embedding.ChunkInfo(0, 2, 0, 6), out.get(0).chunk());
        assertEquals(new Embedding.ChunkInfo(1, 2, 5, 9), out.get(1).chunk());
        assertEquals(new Embedding.ChunkInfo(2, 2, 0, 9), out.get(2).chunk());
        assertArrayEquals(new float[] {1, 1}, out.get(1).vector());
        // both chunks have 5 tokens: the document vector is the plain mean of [3, 2.4] and [1, 1]
        assertArrayEquals(new float[] {2, 1.7f}, out.get(2).vector(), 1e-6f);
        assertEquals(10, out.get(2).tokenCount());
        assertFalse(out.get(2).truncated());
    }

    @Test
    void truncationIsRecordedAndNoChunkInfoWithoutChunking() {
        Segment cut = new Segment(0, 1, new long[5], new long[5], SEGMENT.tokens(), SEGMENT.charStart(), SEGMENT.charEnd(), 0, 9, true, 40);
        Embedding e = ((EmbedOutcome.Embedded) ExtractionPlan.resolve(ExtractionSpec.modelDefaults(), TINY)
                .extract(new EncodedText(TEXT, List.of(encoded(cut, STATES)), null))).vectors().get(0);
        assertTrue(e.truncated());
        assertNull(e.chunk());
        assertEquals(5, e.tokenCount());
    }

    @Test
    void engineRejectionsBecomeRejectedOutcomesWithTheReason() {
        EmbedOutcome out = ExtractionPlan.resolve(ExtractionSpec.modelDefaults(), TINY)
                .extract(new EncodedText("  ", List.of(), new InvalidTextException("empty or whitespace-only text")));
        EmbedOutcome.Rejected r = assertInstanceOf(EmbedOutcome.Rejected.class, out);
        assertEquals("InvalidTextException", r.errorClass());
        assertEquals("empty or whitespace-only text", r.reason());
    }

    @Test
    void badRequestsAreRefusedListingWhatIsValid() {
        LoadedModel noPooler = model(false, PoolingDefaults.fallback());
        String pooler = assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("-1", null, "pooler"), noPooler)).getMessage();
        assertTrue(pooler.contains("valid poolings for it are cls, mean"), pooler);
        String layer = assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("4", null, "mean"), TINY)).getMessage();
        assertTrue(layer.contains("valid are 0..3"), layer);
        String dims = assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("-1", null, "mean").withTruncateDims(3), TINY)).getMessage();
        assertTrue(dims.contains("valid are 1..2"), dims);
        assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("-1", null, "none").withQuantize(Quantizer.Kind.BINARY), TINY));
        assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("-1", null, "mean").withWordVectors(true), TINY));
        assertThrows(IllegalArgumentException.class,
                () -> ExtractionPlan.resolve(raw("-1", null, "mean").withDocumentVector(true), TINY));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pooling.parse("avg")).getMessage()
                .contains("cls, mean, max, mean-max, sep, pooler, none"));
    }
}
