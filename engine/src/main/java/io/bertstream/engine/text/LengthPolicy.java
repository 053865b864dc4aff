package io.bertstream.engine.text;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What to do with a text longer than {@code maxTokens} (special tokens included; 0 = the model's maximum):
 * keep its head, its tail, or both ends; or cut it into overlapping windows that each get their own vector.
 * Never silent: every segment records whether it was truncated.
 */
public record LengthPolicy(Mode mode, int maxTokens, int overlap) {

    public enum Mode {
        HEAD("head", "truncate-head"), TAIL("tail", "truncate-tail"), HEAD_TAIL("head-tail", "truncate-head-tail"),
        CHUNK("chunk");

        private final List<String> spellings;

        Mode(String... spellings) {
            this.spellings = List.of(spellings);
        }

        /** The canonical spelling, e.g. {@code head-tail}. */
        public String label() {
            return spellings.get(0);
        }

        /**
         * The one parser of length modes, for the command line and the configuration alike: {@code head},
         * {@code tail}, {@code head-tail}, {@code chunk}, each truncating mode also as {@code truncate-<mode>};
         * any case, '_' for '-'.
         */
        public static Mode parse(String text) {
            String name = text == null ? "" : text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
            return Arrays.stream(values()).filter(m -> m.spellings.contains(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown length mode '" + text + "': valid are "
                            + String.join(", ", Arrays.stream(values()).map(Mode::label).toList())
                            + " (truncate-head, truncate-tail, truncate-head-tail are the same as the first three)"));
        }
    }

    public static LengthPolicy truncateHead() {
        return new LengthPolicy(Mode.HEAD, 0, 0);
    }
}
