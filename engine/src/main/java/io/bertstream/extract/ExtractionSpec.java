package io.bertstream.extract;

import io.bertstream.engine.text.LengthPolicy;

/**
 * What a user asks for; null / 0 / false fields mean "the model's own default" or "off". Resolved against a model
 * by {@link ExtractionPlan#resolve}, which refuses what the model cannot do.
 *
 * @param layers         hidden states to read and how to combine them (null = the model's default layer)
 * @param pooling        null = the model's default pooling
 * @param normalize      L2-normalise (null = the model's default for pooled vectors, off for token vectors)
 * @param truncateDims   Matryoshka truncation to the first k dims (0 = off)
 * @param pca            a fitted PCA projection to apply (null = off)
 * @param quantize       int8 / binary codes (null = floats)
 * @param length         what to do with texts longer than the model takes
 * @param documentVector with chunking: also one document vector, the token-weighted mean of the chunks
 * @param wordVectors    with pooling none: one vector per word (mean of its WordPieces) instead of per WordPiece
 */
public record ExtractionSpec(LayerSpec layers, Pooling pooling, Boolean normalize, int truncateDims, PcaProjection pca,
                             Quantizer.Kind quantize, LengthPolicy length, boolean documentVector, boolean wordVectors) {

    /** Everything as the model says, long texts truncated to their head. */
    public static ExtractionSpec modelDefaults() {
        return new ExtractionSpec(null, null, null, 0, null, null, LengthPolicy.truncateHead(), false, false);
    }

    public ExtractionSpec withLayers(LayerSpec l) {
        return new ExtractionSpec(l, pooling, normalize, truncateDims, pca, quantize, length, documentVector, wordVectors);
    }

    public ExtractionSpec withPooling(Pooling p) {
        return new ExtractionSpec(layers, p, normalize, truncateDims, pca, quantize, length, documentVector, wordVectors);
    }

    public ExtractionSpec withNormalize(Boolean n) {
        return new ExtractionSpec(layers, pooling, n, truncateDims, pca, quantize, length, documentVector, wordVectors);
    }

    public ExtractionSpec withTruncateDims(int k) {
        return new ExtractionSpec(layers, pooling, normalize, k, pca, quantize, length, documentVector, wordVectors);
    }

    public ExtractionSpec withPca(PcaProjection p) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, p, quantize, length, documentVector, wordVectors);
    }

    public ExtractionSpec withQuantize(Quantizer.Kind q) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, q, length, documentVector, wordVectors);
    }

    public ExtractionSpec withLength(LengthPolicy l) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, l, documentVector, wordVectors);
    }

    public ExtractionSpec withDocumentVector(boolean d) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, length, d, wordVectors);
    }

    public ExtractionSpec withWordVectors(boolean w) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, length, documentVector, w);
    }
}
