package io.bertstream.extract;

import java.util.List;

/**
 * One output vector.
 *
 * @param vector       the vector; for int8 / binary quantisation the codes as numbers (-128..127), ready for
 *                     Elasticsearch byte / bit vectors, with {@code quantization} telling how to dequantise;
 *                     empty for token-level output (the vectors are in {@code tokens})
 * @param chunk        null unless the text was chunked
 * @param tokenCount   tokens the vector was computed from (special tokens included)
 * @param truncated    true when part of the text was not seen by the model
 * @param tokens       per-token vectors for token-level output (pooling none), else null
 * @param quantization null unless quantised
 */
public record Embedding(float[] vector, ChunkInfo chunk, int tokenCount, boolean truncated,
                        List<TokenVector> tokens, Quantization quantization) {

    /**
     * Where a chunk sits in its text. {@code index == count} marks the document vector (token-weighted mean
     * of the chunks).
     */
    public record ChunkInfo(int index, int count, int charStart, int charEnd) {
    }

    /** One WordPiece (or word) with its char span in the original text. */
    public record TokenVector(String token, int start, int end, float[] vector) {
    }

    /**
     * {@code value ≈ code * scale + offset}; for binary, bits packed 8 per code, MSB first, each bit dequantising
     * to {@code bit * scale + offset}. See {@link Quantizer#dequantize}.
     */
    public record Quantization(String kind, float scale, float offset) {
    }
}
