package io.bertstream.bench;

import java.util.Arrays;

/** Times repeated passes over the corpus and keeps the median rate, the robust figure on a noisy machine. */
public final class Throughput {

    private Throughput() {
    }

    /** Sentences/s of each run and their median. */
    public record Timing(double median, double[] runs) {
    }

    /** Runs {@code pass} {@code runs} times; each pass embeds {@code texts} texts. */
    public static Timing measure(int texts, int runs, Runnable pass) {
        double[] rates = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            pass.run();
            rates[i] = texts / seconds(System.nanoTime() - start);
        }
        return new Timing(median(rates), rates);
    }

    /** Seconds one call of {@code action} takes. */
    public static double secondsOf(Runnable action) {
        long start = System.nanoTime();
        action.run();
        return seconds(System.nanoTime() - start);
    }

    /** The median; NaN when there are no values. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** The value below which {@code q} (0..1) of the values lie, nearest-rank; NaN when there are none. */
    public static double quantile(double[] values, double q) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
