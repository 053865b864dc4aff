package io.bertstream.bench;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one bench run does.
 *
 * @param texts          corpus size (the same texts for every subject)
 * @param seed           corpus seed
 * @param runs           timed passes per setting; the median is reported
 * @param threads        intra-op threads for every runtime (0 = all cores)
 * @param batchTokens    padded-token budgets swept for (b) and (c)
 * @param peakMatrixSize n of the n x n x n matmul that measures the peak
 * @param pipelineEvents events the pipeline phase pushes through the broker at full speed
 * @param phases         which subjects to run
 * @param pipelineConfig processor settings over its defaults in (d), e.g. bertstream.micro-batch.max-records
 */
public record BenchOptions(int texts, long seed, int runs, int threads, List<Integer> batchTokens, int peakMatrixSize,
                           int pipelineEvents, Set<PhaseId> phases, Map<String, String> pipelineConfig) {

    /** The subjects, in run order, with the short names reports and the command line use. */
    public enum PhaseId {
        LANGCHAIN("a"), ONNXRUNTIME("b"), ONNXRUNTIME_INT8("int8"), ENGINE_ONNXRUNTIME("c-onnxruntime"), PIPELINE("d"),
        ENGINE_PYTORCH("c-pytorch");

        public final String id;

        PhaseId(String id) {
            this.id = id;
        }

        public static PhaseId of(String id) {
            for (PhaseId phase : values()) {
                if (phase.id.equalsIgnoreCase(id.trim())) {
                    return phase;
                }
            }
            throw new IllegalArgumentException("unknown phase '" + id + "'; phases are a, b, int8, c-onnxruntime, d, c-pytorch");
        }
    }

    public BenchOptions {
        if (texts < 1 || runs < 1 || pipelineEvents < 1 || peakMatrixSize < 1 || batchTokens.isEmpty()) {
            throw new IllegalArgumentException("texts, runs, pipeline events and peak size must be positive and the sweep non-empty");
        }
        if (threads == 0) {
            threads = Runtime.getRuntime().availableProcessors();
        }
        batchTokens = List.copyOf(batchTokens);
        phases = phases.isEmpty() ? EnumSet.noneOf(PhaseId.class) : EnumSet.copyOf(phases);
        pipelineConfig = Map.copyOf(pipelineConfig);
    }

    /** The manual benchmark: 1,000 texts, median of 3, a sweep of four budgets. */
    public static BenchOptions full() {
        return new BenchOptions(1000, 42, 3, 0, List.of(1024, 2048, 4096, 8192), 2048, 4000,
                EnumSet.allOf(PhaseId.class), Map.of());
    }

    /** What CI runs to keep the command working: tiny sizes, one run, the fp32 subjects only. */
    public static BenchOptions quick() {
        return new BenchOptions(32, 42, 1, 0, List.of(2048), 256, 64, EnumSet.complementOf(EnumSet.of(PhaseId.ONNXRUNTIME_INT8)),
                Map.of());
    }
}
