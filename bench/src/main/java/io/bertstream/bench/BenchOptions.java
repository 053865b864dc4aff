package io.bertstream.bench;

import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
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
 * @param pipelineShapes the input partitions x stream threads (d) runs at, each a phase of its own
 */
public record BenchOptions(int texts, long seed, int runs, int threads, List<Integer> batchTokens, int peakMatrixSize,
                           int pipelineEvents, Set<PhaseId> phases, Map<String, String> pipelineConfig,
                           List<PipelineShape> pipelineShapes) {

    /** The full bench's (d) shapes: 1, 4 and 16 input partitions, each at 1 and 2 stream threads. */
    public static final List<PipelineShape> ALL_SHAPES = List.of(new PipelineShape(1, 1), new PipelineShape(1, 2),
            new PipelineShape(4, 1), new PipelineShape(4, 2), new PipelineShape(16, 1), new PipelineShape(16, 2));

    /**
     * One (d) configuration: the input topic's partitions (one task each) and the app's stream threads
     * (num.stream.threads), all sharing one inference queue.
     */
    public record PipelineShape(int partitions, int threads) {

        public PipelineShape {
            if (partitions < 1 || threads < 1) {
                throw new IllegalArgumentException("a pipeline shape needs at least one partition and one stream thread");
            }
        }

        /** "16x2" = 16 input partitions, 2 stream threads. */
        public static PipelineShape parse(String shape) {
            String[] parts = shape.trim().toLowerCase(Locale.ROOT).split("x");
            try {
                if (parts.length == 2) {
                    return new PipelineShape(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
                }
            } catch (NumberFormatException e) {
                // the message below says what is valid
            }
            throw new IllegalArgumentException("pipeline shape '" + shape + "' is not PARTITIONSxTHREADS, e.g. 16x2");
        }

        /** The phase id: "d@16p2t". */
        public String phaseId() {
            return "d@" + partitions + "p" + threads + "t";
        }
    }

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
        pipelineShapes = List.copyOf(new LinkedHashSet<>(pipelineShapes));
        if (pipelineShapes.isEmpty()) {
            throw new IllegalArgumentException("the pipeline phase needs at least one shape");
        }
    }

    /** The manual benchmark: 1,000 texts, median of 3, a sweep of four budgets. */
    public static BenchOptions full() {
        return new BenchOptions(1000, 42, 3, 0, List.of(1024, 2048, 4096, 8192), 2048, 4000,
                EnumSet.allOf(PhaseId.class), Map.of(), ALL_SHAPES);
    }

    /**
     * What CI runs to keep the command working: tiny sizes, one run, the fp32 subjects only, and (d) at one shape,
     * the one its goals are set at (16 partitions; 2 threads, so tasks of two threads share the queue).
     */
    public static BenchOptions quick() {
        return new BenchOptions(32, 42, 1, 0, List.of(2048), 256, 64, EnumSet.complementOf(EnumSet.of(PhaseId.ONNXRUNTIME_INT8)),
                Map.of(), List.of(new PipelineShape(16, 2)));
    }
}
