package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;
import io.bertstream.engine.text.TextSegmenter;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionPlan;
import io.bertstream.extract.ExtractionSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How far a text's vector moves when it shares a forward pass with rows of other lengths: each text embedded
 * alone, and all of them in ONE pass padded to the longest row (built here, since the engine's planner would
 * not pad short rows that much), through the model's own extraction (MiniLM: mean of the last layer, L2).
 */
public final class BatchInvariance {

    private BatchInvariance() {
    }

    /** The largest |difference| of any vector component, over the varied sample texts and a 202-token row. */
    public static double maxAbsDifference(Backend backend) {
        LoadedModel minilm = TestModels.minilm();
        List<String> texts = new ArrayList<>(SampleTexts.VARIED.subList(0, SampleTexts.VARIED.size() - 1));
        texts.add("word ".repeat(200));
        ExtractionPlan plan = ExtractionPlan.resolve(ExtractionSpec.modelDefaults(), minilm);
        int[] layers = plan.layers();
        try (EmbeddingEngine engine = EmbeddingEngine.open(minilm, TestEngines.on(backend));
             TextSegmenter segmenter = TextSegmenter.forModel(minilm)) {
            List<Segment> rows = texts.stream().map(t -> segmenter.segment(t, LengthPolicy.truncateHead()).get(0)).toList();
            int seqLen = rows.stream().mapToInt(Segment::length).max().orElseThrow();
            long[] ids = new long[rows.size() * seqLen];
            long[] mask = new long[rows.size() * seqLen];
            long[] types = new long[rows.size() * seqLen];
            for (int r = 0; r < rows.size(); r++) {
                Segment s = rows.get(r);
                System.arraycopy(s.ids(), 0, ids, r * seqLen, s.length());
                Arrays.fill(mask, r * seqLen, r * seqLen + s.length(), 1L);
            }
            HiddenStates mixed = engine.encoder().forward(new TokenPass(rows.size(), seqLen, ids, mask, types), layers);
            double worst = 0;
            for (int r = 0; r < rows.size(); r++) {
                Segment s = rows.get(r);
                float[][] own = new float[layers.length][];
                for (int i = 0; i < layers.length; i++) {
                    int offset = mixed.offset(r, 0);
                    own[i] = Arrays.copyOfRange(mixed.data()[i], offset, offset + s.length() * mixed.hidden());
                }
                EncodedText inPass = new EncodedText(texts.get(r),
                        List.of(new EncodedSegment(s, layers, mixed.hidden(), own)), null);
                float[] together = vector(plan.extract(inPass));
                float[] alone = vector(plan.extract(engine.encodeAll(List.of(texts.get(r)), layers,
                        LengthPolicy.truncateHead()).get(0)));
                for (int i = 0; i < alone.length; i++) {
                    worst = Math.max(worst, Math.abs(alone[i] - together[i]));
                }
            }
            return worst;
        }
    }

    private static float[] vector(EmbedOutcome outcome) {
        return ((EmbedOutcome.Embedded) outcome).vectors().get(0).vector();
    }
}
