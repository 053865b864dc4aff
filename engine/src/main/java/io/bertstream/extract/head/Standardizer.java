package io.bertstream.extract.head;

/**
 * Per-dimension centring and scaling to unit variance, fitted on the training vectors: BERT's hidden dims differ in
 * scale by orders of magnitude (a few "outlier" dims dominate), which a single L2 penalty would otherwise punish
 * unevenly. A dim that does not vary keeps scale 1.
 */
record Standardizer(float[] mean, float[] scale) {

    static Standardizer fit(float[][] x) {
        int dims = x[0].length;
        double[] sum = new double[dims];
        double[] squares = new double[dims];
        for (float[] v : x) {
            for (int d = 0; d < dims; d++) {
                sum[d] += v[d];
                squares[d] += (double) v[d] * v[d];
            }
        }
        float[] mean = new float[dims];
        float[] scale = new float[dims];
        for (int d = 0; d < dims; d++) {
            double m = sum[d] / x.length;
            double variance = Math.max(0, squares[d] / x.length - m * m);
            mean[d] = (float) m;
            scale[d] = variance > 1e-12 ? (float) (1 / Math.sqrt(variance)) : 1f;
        }
        return new Standardizer(mean, scale);
    }

    float[] apply(float[] v) {
        if (v.length != mean.length) {
            throw new IllegalArgumentException("the head expects " + mean.length + "-dim features, got " + v.length);
        }
        float[] out = new float[v.length];
        for (int d = 0; d < v.length; d++) {
            out[d] = (v[d] - mean[d]) * scale[d];
        }
        return out;
    }

    float[][] apply(float[][] x) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = apply(x[i]);
        }
        return out;
    }
}
