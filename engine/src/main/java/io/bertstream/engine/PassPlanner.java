package io.bertstream.engine;

/**
 * Cuts rows sorted by length into forward passes. Every pass pads its rows to its longest, so the plan minimises
 * padded token slots plus a fixed cost per pass, under the token budget (rows x longest) and the row cap: an exact
 * dynamic programme over the sorted rows, O(rows x maxRows), microseconds for a micro-batch.
 *
 * <p>The per-pass cost stands for the call overhead and the poorer GEMM efficiency of tiny batches: on 2 CPU
 * cores one ONNX Runtime call costs about as much as 20-30 tokens of work (engine-facts.md: 1.2 ms fixed vs
 * ~67 us per token for MiniLM). A greedy cut would either pad heavily (long rows beside short ones) or make
 * many tiny passes; the optimum does neither.
 */
public final class PassPlanner {

    /** Fixed cost of one forward pass, in padded-token slots. */
    static final int PASS_COST_TOKENS = 32;

    private PassPlanner() {
    }

    /**
     * @param sortedLengths row lengths in tokens, ascending
     * @return the exclusive end index of each pass, ascending; the last is {@code sortedLengths.length}
     */
    public static int[] plan(int[] sortedLengths, int maxPassTokens, int maxPassRows) {
        int n = sortedLengths.length;
        long[] best = new long[n + 1];
        int[] start = new int[n + 1];
        for (int end = 1; end <= n; end++) {
            int longest = sortedLengths[end - 1];
            best[end] = Long.MAX_VALUE;
            // A pass [from, end) pads every row to the longest, its last; a single row always fits.
            for (int from = end - 1; from >= 0 && end - from <= maxPassRows; from--) {
                long slots = (long) (end - from) * longest;
                if (end - from > 1 && slots > maxPassTokens) {
                    break;
                }
                long cost = best[from] + slots + PASS_COST_TOKENS;
                if (cost < best[end]) {
                    best[end] = cost;
                    start[end] = from;
                }
            }
        }
        int passes = 0;
        for (int end = n; end > 0; end = start[end]) {
            passes++;
        }
        int[] ends = new int[passes];
        for (int end = n, i = passes - 1; end > 0; end = start[end], i--) {
            ends[i] = end;
        }
        return ends;
    }
}
