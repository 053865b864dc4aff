package io.bertstream.engine;

/**
 * What the engine's forward passes have done since it opened: cumulative, for metrics and benchmarks
 * (differences of two snapshots give a window).
 *
 * @param passes       forward passes run
 * @param rows         segments encoded
 * @param realTokens   tokens of those segments
 * @param paddedSlots  token slots the passes computed (rows x longest row per pass); padding = paddedSlots - realTokens
 * @param forwardNanos time spent inside the encoder
 */
public record EngineStats(long passes, long rows, long realTokens, long paddedSlots, long forwardNanos) {

    /** Share of computed token slots that were padding; 0 before any pass. */
    public double paddedShare() {
        return paddedSlots == 0 ? 0 : 1.0 - (double) realTokens / paddedSlots;
    }

    public EngineStats minus(EngineStats earlier) {
        return new EngineStats(passes - earlier.passes, rows - earlier.rows, realTokens - earlier.realTokens,
                paddedSlots - earlier.paddedSlots, forwardNanos - earlier.forwardNanos);
    }
}
