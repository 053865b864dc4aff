package io.bertstream.engine;

import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;
import io.bertstream.engine.text.TextSegmenter;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionPlan;
import io.bertstream.extract.ExtractionSpec;

import java.util.Arrays;
import java.util.List;

/**
 * How far a text's vector moves when it shares a forward pass with rows of other lengths: each text embedded
 * alone, and all of them in ONE pass padded to the longest row (built here, since the engine's planner would
 * not pad short rows that much), through the model's own extraction (MiniLM: mean of the last layer, L2).
 * Replays and retried transactions reproduce vectors only if this stays at rounding level (tests and the
 * benchmark hold it to 1e-6 in fp32).
 */
public final class BatchInvariance {

    private BatchInvariance() {
    }

    /**
     * The largest |difference| of any vector component over {@code texts} (each cut to its first segment), alone
     * against together in one pass on {@code engine}.
     */
    public static double maxAbsDifference(EmbeddingEngine engine, List<String> texts) {
        ExtractionPlan plan = ExtractionPlan.resolve(ExtractionSpec.modelDefaults(), engine.model());
        int[] layers = plan.layers();
        try (TextSegmenter segmenter = TextSegmenter.forModel(engine.model())) {
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
