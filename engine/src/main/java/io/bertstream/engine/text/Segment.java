package io.bertstream.engine.text;

/**
 * One model input cut from a text: a whole text, its truncated form, or one chunk of it.
 * Token arrays include the special tokens ([CLS] ... [SEP]); their offsets are (0, 0).
 *
 * @param chunkIndex     0-based chunk number (0 when not chunked)
 * @param chunkCount     number of chunks the text was cut into (1 when not chunked)
 * @param tokens         WordPiece strings, for token-level output
 * @param charStart      per token: start char offset into the original text
 * @param charEnd        per token: end char offset (exclusive)
 * @param spanStart      first char of the text this segment covers
 * @param spanEnd        end (exclusive) of the text this segment covers
 * @param truncated      true when tokens of the text were dropped (not when chunked)
 * @param textTokenCount tokens of the whole text without special tokens, before any truncation
 */
public record Segment(
        int chunkIndex,
        int chunkCount,
        long[] ids,
        long[] typeIds,
        String[] tokens,
        int[] charStart,
        int[] charEnd,
        int spanStart,
        int spanEnd,
        boolean truncated,
        int textTokenCount) {

    public int length() {
        return ids.length;
    }
}
