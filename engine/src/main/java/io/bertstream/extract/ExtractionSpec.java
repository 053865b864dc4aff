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
 * @param prefix         an instruction put before every text (e5's "query:", bge's query instruction), part of the model
 *                       identity; "" = none. Stripped, and joined to the text with one space ("query:" and "query: "
 *                       are the same prefix). Offsets in the output stay offsets into the text without it.
 */
public record ExtractionSpec(LayerSpec layers, Pooling pooling, Boolean normalize, int truncateDims, PcaProjection pca,
                             Quantizer.Kind quantize, LengthPolicy length, boolean documentVector, boolean wordVectors, String prefix) {

    public ExtractionSpec {
        prefix = prefix == null ? "" : prefix.strip();
    }

    /** Everything as the model says, long texts truncated to their head. */
    public static ExtractionSpec modelDefaults() {
        return new ExtractionSpec(null, null, null, 0, null, null, LengthPolicy.truncateHead(), false, false, "");
    }

    public ExtractionSpec withLayers(LayerSpec l) {
        return new ExtractionSpec(l, pooling, normalize, truncateDims, pca, quantize, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withPooling(Pooling p) {
        return new ExtractionSpec(layers, p, normalize, truncateDims, pca, quantize, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withNormalize(Boolean n) {
        return new ExtractionSpec(layers, pooling, n, truncateDims, pca, quantize, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withTruncateDims(int k) {
        return new ExtractionSpec(layers, pooling, normalize, k, pca, quantize, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withPca(PcaProjection p) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, p, quantize, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withQuantize(Quantizer.Kind q) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, q, length, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withLength(LengthPolicy l) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, l, documentVector, wordVectors, prefix);
    }

    public ExtractionSpec withDocumentVector(boolean d) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, length, d, wordVectors, prefix);
    }

    public ExtractionSpec withWordVectors(boolean w) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, length, documentVector, w, prefix);
    }

    public ExtractionSpec withPrefix(String p) {
        return new ExtractionSpec(layers, pooling, normalize, truncateDims, pca, quantize, length, documentVector, wordVectors, p);
    }
}
