package io.bertstream.extract;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.text.LengthPolicy;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Which layer and pooling to use: scores every hidden state x pooling on labelled data, from ONE engine pass that
 * returns all hidden states. Pairs are scored by the Spearman correlation between cosine similarity and the gold
 * score; labelled texts by the accuracy of a cosine k-nearest-neighbour classifier under stratified k-fold
 * cross-validation. Vectors are compared unnormalised (cosine does not care) and long texts keep their head.
 */
public final class LayerProbe {

    /**
     * One candidate's score; {@code layer} is the absolute hidden-state index (0 = embedding output). NaN when
     * undefined: Spearman of a candidate that gives every text the same vector.
     */
    public record Score(int layer, int numLayers, Pooling pooling, double score) {
        /** The same layer counted from the end, e.g. -1 for the last. */
        public int fromEnd() {
            return layer - numLayers - 1;
        }
    }

    private static final List<Pooling> POOLINGS = List.of(Pooling.CLS, Pooling.MEAN, Pooling.MAX, Pooling.MEAN_MAX, Pooling.SEP);

    private final LoadedModel model;
    private final Map<String, EncodedText> encoded;

    private LayerProbe(LoadedModel model, Map<String, EncodedText> encoded) {
        this.model = model;
        this.encoded = encoded;
    }

    /** Encodes the distinct texts once, with every hidden state. */
    public static LayerProbe encode(EmbeddingEngine engine, List<String> texts) {
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(texts));
        int numLayers = engine.model().config().numHiddenLayers();
        int[] all = IntStream.rangeClosed(0, numLayers).toArray();
        List<EncodedText> out = engine.encodeAll(distinct, all, LengthPolicy.truncateHead());
        return of(engine.model(), out);
    }

    /** A probe over texts encoded elsewhere (each with every hidden state). */
    public static LayerProbe of(LoadedModel model, List<EncodedText> texts) {
        Map<String, EncodedText> byText = new LinkedHashMap<>();
        for (EncodedText t : texts) {
            if (!t.ok()) {
                throw new IllegalArgumentException("cannot probe with text '" + t.text() + "': " + t.error().getMessage());
            }
            byText.put(t.text(), t);
        }
        return new LayerProbe(model, byText);
    }

    /** Spearman correlation of cosine similarity with the gold scores, best first. */
    public List<Score> rankPairs(List<ProbeData.ScoredPair> pairs) {
        if (pairs.size() < 3) {
            throw new IllegalArgumentException("ranking by Spearman correlation needs at least 3 pairs, got " + pairs.size());
        }
        double[] gold = pairs.stream().mapToDouble(ProbeData.ScoredPair::score).toArray();
        return rank(vectors -> {
            double[] cos = pairs.stream().mapToDouble(p -> dot(vectors.get(p.textA()), vectors.get(p.textB()))).toArray();
            return new SpearmansCorrelation().correlation(cos, gold);
        });
    }

    /** Accuracy of cosine k-NN under stratified {@code folds}-fold cross-validation, best first. */
    public List<Score> rankLabels(List<ProbeData.LabelledText> texts, int folds, int k) {
        if (folds < 2 || texts.size() < folds) {
            throw new IllegalArgumentException(folds + "-fold cross-validation needs at least " + folds + " texts and 2 folds");
        }
        int[] fold = stratifiedFolds(texts, folds);
        return rank(vectors -> {
            int correct = 0;
            for (int i = 0; i < texts.size(); i++) {
                float[] query = vectors.get(texts.get(i).text());
                List<Integer> train = new ArrayList<>();
                for (int j = 0; j < texts.size(); j++) {
                    if (fold[j] != fold[i]) {
                        train.add(j);
                    }
                }
                train.sort(Comparator.comparingDouble(j -> -dot(query, vectors.get(texts.get(j).text()))));
                if (vote(texts, train.subList(0, Math.min(k, train.size())), query, vectors).equals(texts.get(i).label())) {
                    correct++;
                }
            }
            return (double) correct / texts.size();
        });
    }

    /** Scores every candidate with {@code metric}, which sees each text's unit-length vector. */
    private List<Score> rank(ToDoubleFunction<Map<String, float[]>> metric) {
        int numLayers = model.config().numHiddenLayers();
        List<Score> scores = new ArrayList<>();
        for (int layer = 0; layer <= numLayers; layer++) {
            List<Pooling> poolings = new ArrayList<>(POOLINGS);
            // BERT's pooler was trained on the last layer only
            if (layer == numLayers && model.weights().hasPooler()) {
                poolings.add(Pooling.POOLER);
            }
            for (Pooling pooling : poolings) {
                ExtractionSpec spec = ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(layer)).withPooling(pooling);
                ExtractionPlan plan = ExtractionPlan.resolve(spec, model);
                Map<String, float[]> vectors = new HashMap<>();
                encoded.forEach((text, e) -> vectors.put(text, PostProcessing.l2(plan.poolSegment(e.segments().get(0)))));
                scores.add(new Score(layer, numLayers, pooling, metric.applyAsDouble(vectors)));
            }
        }
        // NaN (e.g. Spearman over layer 0's [CLS], the same vector for every text) ranks last
        scores.sort(Comparator.comparingDouble((Score s) -> Double.isNaN(s.score()) ? Double.NEGATIVE_INFINITY : s.score())
                .reversed());
        return scores;
    }

    /** Fold of each text: within each label, texts take folds 0, 1, 2, ... in turn. */
    static int[] stratifiedFolds(List<ProbeData.LabelledText> texts, int folds) {
        Map<String, Integer> seen = new HashMap<>();
        int[] fold = new int[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            fold[i] = seen.merge(texts.get(i).label(), 1, Integer::sum) % folds;
        }
        return fold;
    }

    /** Majority label of the neighbours; a tie goes to the label with the larger summed similarity. */
    private static String vote(List<ProbeData.LabelledText> texts, List<Integer> neighbours, float[] query,
                               Map<String, float[]> vectors) {
        Map<String, double[]> tally = new HashMap<>();
        for (int j : neighbours) {
            double[] t = tally.computeIfAbsent(texts.get(j).label(), l -> new double[2]);
            t[0]++;
            t[1] += dot(query, vectors.get(texts.get(j).text()));
        }
        return tally.entrySet().stream()
                .max(Comparator.<Map.Entry<String, double[]>>comparingDouble(e -> e.getValue()[0])
                        .thenComparingDouble(e -> e.getValue()[1]))
                .orElseThrow().getKey();
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
