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
 * @param labels       a classification head's classes, most likely first (scores of all classes sum to 1); else null
 * @param entities     an entity head's entities in text order; else null
 */
public record Embedding(float[] vector, ChunkInfo chunk, int tokenCount, boolean truncated,
                        List<TokenVector> tokens, Quantization quantization, List<Label> labels, List<Entity> entities) {

    /** A vector without a head's output. */
    public Embedding(float[] vector, ChunkInfo chunk, int tokenCount, boolean truncated, List<TokenVector> tokens,
                     Quantization quantization) {
        this(vector, chunk, tokenCount, truncated, tokens, quantization, null, null);
    }

    /** The same vector with what a head made of its text (or chunk). */
    public Embedding withHead(List<Label> labels, List<Entity> entities) {
        return new Embedding(vector, chunk, tokenCount, truncated, tokens, quantization, labels, entities);
    }

    /** The same record without its vectors (a tagging-only output): an empty vector, no token vectors. */
    public Embedding withoutVector() {
        return new Embedding(new float[0], chunk, tokenCount, truncated, null, null, labels, entities);
    }

    /** One class of a classification head with its probability. */
    public record Label(String label, float score) {
    }

    /**
     * One entity found by an entity head: its type, its char span in the original text ({@code end} exclusive, UTF-16
     * units like Java strings), the text of that span, and the mean probability of its words' tags.
     */
    public record Entity(String type, int start, int end, String text, float score) {
    }

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
