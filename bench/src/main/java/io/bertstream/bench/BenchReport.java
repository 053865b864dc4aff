package io.bertstream.bench;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * Everything one bench run measured; written as JSON or markdown by {@link ReportWriter}.
 *
 * @param machine          where it ran
 * @param corpus           what every peer embedded
 * @param matmulPeakGflops fp32 MatMul peak measured in the same run (ONNX Runtime)
 * @param phases           one per measured subject, in run order
 * @param ratios           the goals, computed from the phases
 * @param notes            failures and caveats, in words
 */
public record BenchReport(Machine machine, Corpus corpus, double matmulPeakGflops, List<Phase> phases,
                          List<Ratio> ratios, List<String> notes) {

    public record Machine(String cpu, int cores, double memoryGib, String java, String os) {

        /** This machine, from /proc where it exists. */
        public static Machine describe() {
            return new Machine(ProcessStats.cpuModel(), Runtime.getRuntime().availableProcessors(),
                    ProcessStats.totalMemoryGib(), System.getProperty("java.vm.name") + " " + Runtime.version(),
                    System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        }
    }

    public record Corpus(int texts, long seed, int minTokens, int medianTokens, double meanTokens, int maxTokens,
                         double gflopPerPass) {
    }

    /**
     * One subject's result.
     *
     * @param id                 "a", "b", "c-onnxruntime", "c-pytorch", "d"
     * @param subject            what ran, in words
     * @param settings           the best settings (or the only ones)
     * @param loadSeconds        model load, from nothing to ready
     * @param warmupSeconds      the first pass over the corpus
     * @param sentencesPerSecond median of the runs at the best settings
     * @param runs               each run's sentences/s at the best settings
     * @param paddedShare        share of token slots that were padding; null where the subject does not say
     * @param gflops             achieved useful GFLOP/s (real tokens only)
     * @param peakShare          gflops / the measured matmul peak
     * @param residentMib        VmRSS right after the phase (cumulative: phases share one process)
     * @param minCosineToB       lowest cosine to the fp32 reference (b)'s vector of the same text; null when (b)
     *                           did not run
     * @param sweep              every setting tried
     * @param latency            pipeline only: event-to-embedding latency under paced load
     * @param error              why the phase failed; null when it ran
     */
    public record Phase(String id, String subject, String settings, double loadSeconds, double warmupSeconds,
                        double sentencesPerSecond, double[] runs, Double paddedShare, double gflops, double peakShare,
                        double residentMib, Double minCosineToB, List<SweepPoint> sweep, Latency latency,
                        String error) {

        public static Phase failed(String id, String subject, Throwable cause) {
            return new Phase(id, subject, "", 0, 0, 0, new double[0], null, 0, 0, ProcessStats.residentMib(), null,
                    List.of(), null, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }

        public boolean ok() {
            return error == null;
        }

        public Phase withFlops(double newGflops, double newPeakShare) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare,
                    newGflops, newPeakShare, residentMib, minCosineToB, sweep, latency, error);
        }

        public Phase withFidelity(Double newMinCosineToB) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare,
                    gflops, peakShare, residentMib, newMinCosineToB, sweep, latency, error);
        }

        public Phase withSweep(List<SweepPoint> newSweep) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare,
                    gflops, peakShare, residentMib, minCosineToB, newSweep, latency, error);
        }
    }

    public record SweepPoint(String settings, double sentencesPerSecond, double[] runs, Double paddedShare) {
    }

    /** End-to-end latency with the producer paced at {@code offeredPerSecond}. */
    public record Latency(double offeredPerSecond, double achievedPerSecond, double p50Millis, double p99Millis,
                          int events) {
    }

    /** {@code numerator / denominator} against a goal; null value when either side did not run. */
    public record Ratio(String name, Double value, double goal, boolean atMost) {

        @JsonProperty("met")
        public boolean met() {
            return value != null && (atMost ? value <= goal : value >= goal);
        }
    }
}
