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
 * @param batchInvariance  fp32 ONNX Runtime: the largest |difference| of a vector component between texts embedded
 *                         alone and together in one mixed-length pass; null when c-onnxruntime did not run
 * @param notes            failures and caveats, in words
 */
public record BenchReport(Machine machine, Corpus corpus, double matmulPeakGflops, List<Phase> phases,
                          List<Ratio> ratios, Double batchInvariance, List<String> notes) {

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
     * @param id                 "a", "b", "int8", "c-onnxruntime", "c-pytorch", or "d@16p2t" (the pipeline at 16
     *                           input partitions and 2 stream threads)
     * @param subject            what ran, in words
     * @param settings           the best settings (or the only ones)
     * @param loadSeconds        model load, from nothing to ready
     * @param warmupSeconds      the first pass over the corpus
     * @param sentencesPerSecond median of the runs at the best settings
     * @param runs               each run's sentences/s at the best settings
     * @param paddedShare        share of token slots that were padding; null where the subject does not say
     * @param rowsPerPass        rows per forward pass (the engine's counters, at the best settings or, for (d), over
     *                           the backlog runs); null where the subject does not say
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
                        double sentencesPerSecond, double[] runs, Double paddedShare, Double rowsPerPass,
                        double gflops, double peakShare,
                        double residentMib, Double minCosineToB, List<SweepPoint> sweep, Latency latency,
                        String error) {

        public static Phase failed(String id, String subject, Throwable cause) {
            return new Phase(id, subject, "", 0, 0, 0, new double[0], null, null, 0, 0, ProcessStats.residentMib(), null,
                    List.of(), null, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        }

        public boolean ok() {
            return error == null;
        }

        public Phase withFlops(double newGflops, double newPeakShare) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare, rowsPerPass,
                    newGflops, newPeakShare, residentMib, minCosineToB, sweep, latency, error);
        }

        public Phase withFidelity(Double newMinCosineToB) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare, rowsPerPass,
                    gflops, peakShare, residentMib, newMinCosineToB, sweep, latency, error);
        }

        public Phase withSweep(List<SweepPoint> newSweep) {
            return new Phase(id, subject, settings, loadSeconds, warmupSeconds, sentencesPerSecond, runs, paddedShare, rowsPerPass,
                    gflops, peakShare, residentMib, minCosineToB, newSweep, latency, error);
        }
    }

    public record SweepPoint(String settings, double sentencesPerSecond, double[] runs, Double paddedShare) {
    }

    /**
     * Event-to-embedding latency with the producer paced at {@code offeredPerSecond}: the read_committed consumer's
     * arrival time minus the input record's timestamp (the processor keeps it on the output), so it includes the
     * micro-batch linger, the queue, the pass and the transaction commit.
     *
     * @param lingerMillis         bertstream.micro-batch.linger-ms of the run
     * @param commitIntervalMillis the Kafka Streams commit interval of the run (100 ms under exactly_once_v2)
     * @param meanPassMillis       mean forward pass time over the paced run's passes
     */
    public record Latency(double offeredPerSecond, double achievedPerSecond, double p50Millis, double p99Millis,
                          int events, double lingerMillis, double commitIntervalMillis, double meanPassMillis) {

        /** The goal for p99: linger + commit interval + twice the mean pass time. */
        @JsonProperty("p99GoalMillis")
        public double p99GoalMillis() {
            return lingerMillis + commitIntervalMillis + 2 * meanPassMillis;
        }
    }

    /**
     * A measured figure against its goal; null value when a side did not run, null goal for a figure reported
     * without one (e.g. (d)/(c) at a shape the goal is not set at).
     */
    public record Ratio(String name, Double value, Double goal, boolean atMost) {

        /** Met, missed, or null when there is no goal. */
        @JsonProperty("met")
        public Boolean met() {
            if (goal == null) {
                return null;
            }
            return value != null && (atMost ? value <= goal : value >= goal);
        }
    }
}
