package io.bertstream.demo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Brute-force cosine search over the vectors the demo read back from the output topic. */
public final class SemanticSearch {

    public record Hit(String id, double score) {
    }

    private final Map<String, float[]> vectors = new LinkedHashMap<>();

    public void add(String id, float[] vector) {
        vectors.put(id, vector);
    }

    public int size() {
        return vectors.size();
    }

    /** The {@code k} stored vectors most similar to {@code query}, best first. */
    public List<Hit> top(float[] query, int k) {
        return vectors.entrySet().stream()
                .map(e -> new Hit(e.getKey(), cosine(query, e.getValue())))
                .sorted(Comparator.comparingDouble(Hit::score).reversed())
                .limit(k)
                .toList();
    }

    /**
     * Share of vectors whose nearest other vector has the same label (topic): 1/labels by chance, near 1 when
     * the embedding puts texts on one subject together.
     */
    public double nearestNeighbourAgreement(Function<String, String> labelOf) {
        var ids = new ArrayList<>(vectors.keySet());
        int agree = 0;
        for (String id : ids) {
            float[] v = vectors.get(id);
            String best = null;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (String other : ids) {
                if (!other.equals(id)) {
                    double score = cosine(v, vectors.get(other));
                    if (score > bestScore) {
                        bestScore = score;
                        best = other;
                    }
                }
            }
            if (best != null && labelOf.apply(best).equals(labelOf.apply(id))) {
                agree++;
            }
        }
        return ids.isEmpty() ? 0 : (double) agree / ids.size();
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of different dims: " + a.length + " vs " + b.length);
        }
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
