package io.bertstream.bench;

import java.util.List;

/** One embedder under test at one setting: texts in, one vector per text out, in order. */
public interface Subject extends AutoCloseable {

    List<float[]> embedAll(List<String> texts);

    /** Padding share of the token slots since {@link #resetCounters()}; null when the subject cannot tell. */
    default Double paddedShare() {
        return null;
    }

    /** Rows per forward pass since {@link #resetCounters()}; null when the subject cannot tell. */
    default Double rowsPerPass() {
        return null;
    }

    default void resetCounters() {
    }

    @Override
    default void close() {
    }
}
