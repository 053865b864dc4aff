package io.bertstream.extract;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How the token vectors of one layer become one vector. Segments hold real tokens only (padding is already
 * gone), so every pooling here is attention-masked by construction. {@code mean} and {@code max} include [CLS]
 * and [SEP]: they are attended tokens, and that is what sentence-transformers' mean pooling (all-MiniLM-L6-v2)
 * and bert-as-service do.
 */
public enum Pooling {
    /** The first token, [CLS]. */
    CLS("cls"),
    /** Average of all tokens. */
    MEAN("mean"),
    /** Per-dimension maximum over all tokens. */
    MAX("max"),
    /** mean followed by max: 2 x hidden dims. */
    MEAN_MAX("mean-max"),
    /** The last token, [SEP] for BERT ("last" is accepted too). */
    SEP("sep"),
    /** BERT's pooler, tanh(W . cls + b), on the [CLS] vector of the chosen layer; needs pooler.dense.* weights. */
    POOLER("pooler"),
    /** No pooling: one vector per token (token-level output). */
    NONE("none");

    private final String label;

    Pooling(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static Pooling parse(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        if (n.equals("last")) {
            return SEP;
        }
        if (n.equals("first")) {
            return CLS;
        }
        for (Pooling p : values()) {
            if (p.label.equals(n) || p.name().equalsIgnoreCase(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown pooling '" + name + "': valid are "
                + Arrays.stream(values()).map(Pooling::label).collect(Collectors.joining(", ")) + " (last = sep)");
    }

    /** Dimensions of the pooled vector of one layer with {@code hidden} dims. */
    public int dims(int hidden) {
        return this == MEAN_MAX ? 2 * hidden : hidden;
    }

    /**
     * Pools one layer's token vectors ({@code tokens} rows of {@code hidden}, row-major). {@code pooler} is needed
     * for {@link #POOLER} only; {@link #NONE} has no single vector and is refused here.
     */
    public float[] pool(float[] states, int tokens, int hidden, PoolerWeights pooler) {
        if (tokens == 0) {
            throw new IllegalArgumentException("cannot pool a segment without tokens");
        }
        return switch (this) {
            case CLS -> Arrays.copyOfRange(states, 0, hidden);
            case SEP -> Arrays.copyOfRange(states, (tokens - 1) * hidden, tokens * hidden);
            case MEAN -> mean(states, tokens, hidden);
            case MAX -> max(states, tokens, hidden);
            case MEAN_MAX -> concat(mean(states, tokens, hidden), max(states, tokens, hidden));
            case POOLER -> pooler.apply(Arrays.copyOfRange(states, 0, hidden));
            case NONE -> throw new IllegalStateException("pooling none keeps token vectors; nothing to pool");
        };
    }

    static float[] mean(float[] states, int tokens, int hidden) {
        float[] sum = new float[hidden];
        for (int t = 0; t < tokens; t++) {
            for (int d = 0; d < hidden; d++) {
                sum[d] += states[t * hidden + d];
            }
        }
        for (int d = 0; d < hidden; d++) {
            sum[d] /= tokens;
        }
        return sum;
    }

    private static float[] max(float[] states, int tokens, int hidden) {
        float[] max = Arrays.copyOfRange(states, 0, hidden);
        for (int t = 1; t < tokens; t++) {
            for (int d = 0; d < hidden; d++) {
                max[d] = Math.max(max[d], states[t * hidden + d]);
            }
        }
        return max;
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
