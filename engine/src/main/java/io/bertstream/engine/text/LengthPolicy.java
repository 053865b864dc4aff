package io.bertstream.engine.text;

/**
 * What to do with a text longer than {@code maxTokens} (special tokens included; 0 = the model's maximum):
 * keep its head, its tail, or both ends; or cut it into overlapping windows that each get their own vector.
 * Never silent: every segment records whether it was truncated.
 */
public record LengthPolicy(Mode mode, int maxTokens, int overlap) {

    public enum Mode { HEAD, TAIL, HEAD_TAIL, CHUNK }

    public static LengthPolicy truncateHead() {
        return new LengthPolicy(Mode.HEAD, 0, 0);
    }
}
