package io.bertstream.bench;

import java.nio.FloatBuffer;
import java.util.List;

/** The little vector maths the peers and the fidelity check need. */
public final class Vectors {

    private Vectors() {
    }

    /**
     * Mean of the first {@code tokens} token vectors of row {@code row} in a [batch, seqLen, hidden] buffer
     * (right padding, so the real tokens come first), L2-normalised: sentence-transformers' recipe.
     */
    public static float[] meanPoolNormalized(FloatBuffer states, int row, int seqLen, int hidden, int tokens) {
        float[] mean = new float[hidden];
        int base = row * seqLen * hidden;
        for (int t = 0; t < tokens; t++) {
            int offset = base + t * hidden;
            for (int h = 0; h < hidden; h++) {
                mean[h] += states.get(offset + h);
            }
        }
        return normalize(mean);
    }

    public static float[] normalize(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += v * v;
        }
        float scale = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < vector.length; i++) {
            vector[i] *= scale;
        }
        return vector;
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("dimensions differ: " + a.length + " vs " + b.length);
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    /** Lowest cosine between same-position vectors of two runs over the same texts. */
    public static double minCosine(List<float[]> a, List<float[]> b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("vector counts differ: " + a.size() + " vs " + b.size());
        }
        double min = 1;
        for (int i = 0; i < a.size(); i++) {
            min = Math.min(min, cosine(a.get(i), b.get(i)));
        }
        return min;
    }
}
