package io.bertstream.extract;

import java.util.List;

/** The answer for one input text: its vectors (one per chunk, or one) or why it was rejected. */
public sealed interface EmbedOutcome {

    /** The text's vectors: one, or one per chunk (plus an optional document vector, last). */
    record Embedded(List<Embedding> vectors) implements EmbedOutcome {
    }

    /** A text that cannot be embedded: goes to the dead-letter topic with this reason. */
    record Rejected(String errorClass, String reason) implements EmbedOutcome {
    }
}
