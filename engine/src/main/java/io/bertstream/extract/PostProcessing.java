package io.bertstream.extract;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What happens to a pooled vector, in this order: L2 normalisation; Matryoshka truncation to the first k dims;
 * PCA projection; int8 or binary quantisation. When normalising, the vector is re-normalised after each step that
 * drops dimensions, so it stays unit length until quantised.
 *
 * @param normalize    L2-normalise
 * @param truncateDims keep the first k dims (0 = keep all)
 * @param pca          project onto a fitted PCA (null = none)
 * @param quantize     int8 / binary codes (null = floats)
 */
public record PostProcessing(boolean normalize, int truncateDims, PcaProjection pca, Quantizer.Kind quantize) {

    public static PostProcessing none() {
        return new PostProcessing(false, 0, null, null);
    }

    /** A vector after post-processing, with how to dequantise it when quantised. */
    public record Processed(float[] vector, Embedding.Quantization quantization) {
    }

    /**
     * Dims of the output for {@code inputDims}-dim input; a clear error when a step does not fit (k larger than
     * the dims, a PCA fitted on other dims).
     */
    public int outputDims(int inputDims) {
        int dims = inputDims;
        if (truncateDims != 0) {
            if (truncateDims < 1 || truncateDims > dims) {
                throw new IllegalArgumentException("cannot truncate " + dims + "-dim vectors to " + truncateDims
                        + " dims: valid are 1.." + dims);
            }
            dims = truncateDims;
        }
        if (pca != null) {
            if (pca.inputDims() != dims) {
                throw new IllegalArgumentException("PCA file projects " + pca.inputDims() + "-dim vectors but this extraction gives "
                        + dims + " dims");
            }
            dims = pca.outputDims();
        }
        return quantize == null ? dims : quantize.codes(dims);
    }

    public Processed apply(float[] pooled) {
        float[] v = applyFloat(pooled);
        if (quantize == null) {
            return new Processed(v, null);
        }
        Quantizer.Quantized q = Quantizer.quantize(v, quantize);
        return new Processed(q.codes(), q.quantization());
    }

    /** Every step but quantisation; token vectors take this. */
    public float[] applyFloat(float[] pooled) {
        float[] v = normalize ? l2(pooled) : pooled;
        if (truncateDims != 0) {
            v = Arrays.copyOf(v, truncateDims);
            v = normalize ? l2(v) : v;
        }
        if (pca != null) {
            v = pca.project(v);
            v = normalize ? l2(v) : v;
        }
        return v;
    }

    /** The steps before PCA, which a PCA file must have been fitted after. */
    public PostProcessing beforePca() {
        return new PostProcessing(normalize, truncateDims, null, null);
    }

    /** Canonical chain, e.g. "l2,truncate:256,pca:64#1a2b3c4d5e6f,int8"; "none" when nothing is done. */
    @Override
    public String toString() {
        List<String> steps = new ArrayList<>();
        if (normalize) {
            steps.add("l2");
        }
        if (truncateDims != 0) {
            steps.add("truncate:" + truncateDims);
        }
        if (pca != null) {
            steps.add("pca:" + pca.outputDims() + "#" + pca.fingerprint());
        }
        if (quantize != null) {
            steps.add(quantize.label());
        }
        return steps.isEmpty() ? "none" : String.join(",", steps);
    }

    static float[] l2(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        // A zero vector stays zero rather than becoming NaN.
        double norm = Math.max(Math.sqrt(sum), 1e-12);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }
}
