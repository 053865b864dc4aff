package io.bertstream.extract;

import io.bertstream.engine.EncodedSegment;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.text.Segment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The probe on hand-made hidden states of the tiny 3-layer model: one layer carries the signal, the others noise,
 * so the ranking must put that layer first.
 */
class LayerProbeTest {

    static final Random NOISE = new Random(11);

    /** A 3-token text whose tokens in {@code signalLayer} are near {@code signal}, and random elsewhere. */
    static EncodedText text(String text, int signalLayer, float[] signal) {
        Segment s = new Segment(0, 1, new long[3], new long[3], new String[] {"[CLS]", text, "[SEP]"},
                new int[] {0, 0, 0}, new int[] {0, text.length(), 0}, 0, text.length(), false, 1);
        float[][] hidden = new float[4][6];
        for (int layer = 0; layer < 4; layer++) {
            for (int i = 0; i < 6; i++) {
                // layer 0 is the same for every text, like [CLS] in BERT's embedding output
                hidden[layer][i] = layer == signalLayer ? signal[i % 2] + 0.05f * (float) NOISE.nextGaussian()
                        : layer == 0 ? 1 : (float) NOISE.nextGaussian();
            }
        }
        return new EncodedText(text, List.of(new EncodedSegment(s, new int[] {0, 1, 2, 3}, 2, hidden)), null);
    }

    @Test
    void labelsRankTheLayerThatSeparatesTheClassesFirst() {
        List<EncodedText> encoded = new ArrayList<>();
        List<ProbeData.LabelledText> labelled = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String label = i % 2 == 0 ? "east" : "north";
            float[] direction = i % 2 == 0 ? new float[] {1, 0} : new float[] {0, 1};
            encoded.add(text("t" + i, 2, direction));
            labelled.add(new ProbeData.LabelledText("t" + i, label));
        }
        List<LayerProbe.Score> scores = LayerProbe.of(ExtractionPlanTest.TINY, encoded).rankLabels(labelled, 5, 3);
        // 4 hidden states x 5 poolings, plus the pooler on the last layer (the tiny model has one)
        assertEquals(21, scores.size());
        assertEquals(2, scores.get(0).layer());
        assertEquals(-2, scores.get(0).fromEnd());
        assertEquals(1.0, scores.get(0).score());
        // every pooling of layer 2 is perfect; noise layers are far from it
        assertTrue(scores.stream().filter(s -> s.layer() != 2).allMatch(s -> s.score() < 0.9), scores.toString());
    }

    @Test
    void pairsAreRankedBySpearmanOfCosineAgainstTheGoldScores() {
        List<EncodedText> encoded = new ArrayList<>();
        List<ProbeData.ScoredPair> pairs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            double angle = i * Math.PI / 24;
            encoded.add(text("a" + i, 1, new float[] {1, 0}));
            encoded.add(text("b" + i, 1, new float[] {(float) Math.cos(angle), (float) Math.sin(angle)}));
            // the gold score falls as the angle between a_i and b_i grows
            pairs.add(new ProbeData.ScoredPair("a" + i, "b" + i, 5 - i * 0.4));
        }
        List<LayerProbe.Score> scores = LayerProbe.of(ExtractionPlanTest.TINY, encoded).rankPairs(pairs);
        assertEquals(1, scores.get(0).layer());
        assertTrue(scores.get(0).score() > 0.95, scores.get(0).toString());
        assertTrue(scores.stream().filter(s -> s.layer() > 1).allMatch(s -> s.score() < 0.8), scores.toString());
        // constant vectors have no rank correlation: NaN, ranked last
        assertTrue(scores.subList(scores.size() - 5, scores.size()).stream().allMatch(s -> s.layer() == 0 && Double.isNaN(s.score())),
                scores.toString());
    }

    @Test
    void foldsAreStratifiedByLabel() {
        List<ProbeData.LabelledText> texts = List.of(new ProbeData.LabelledText("a", "x"), new ProbeData.LabelledText("b", "y"),
                new ProbeData.LabelledText("c", "x"), new ProbeData.LabelledText("d", "x"), new ProbeData.LabelledText("e", "y"));
        assertArrayEquals(new int[] {1, 1, 0, 1, 0}, LayerProbe.stratifiedFolds(texts, 2));
    }

    @Test
    void shippedSamplesParse() {
        assertEquals(66, ProbeData.samplePairs().size());
        List<ProbeData.LabelledText> labels = ProbeData.sampleLabels();
        assertEquals(60, labels.size());
        assertEquals(5, labels.stream().map(ProbeData.LabelledText::label).distinct().count());
        assertTrue(ProbeData.samplePairs().stream().allMatch(p -> p.score() >= 0 && p.score() <= 5));
    }
}
