package io.bertstream.bench;

import io.bertstream.bench.BenchOptions.PhaseId;
import io.bertstream.bench.BenchOptions.PipelineShape;
import io.bertstream.cli.Bertstream;
import io.bertstream.cli.ToolCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Benchmark the engine and the pipeline against peers, in one run: (a) langchain4j embedAll, "
                + "(b) raw ONNX Runtime, (c) the engine on each backend, (d) producer -> broker -> processor -> consumer at each shape (input partitions x stream threads).",
            "Prints sentences/s (median of the runs), GFLOP/s against the measured matmul peak, and the goal ratios."})
public final class BenchCommand implements ToolCommand {

    @Option(names = "--quick", description = "Tiny sizes and one run, to check that every phase works (what CI runs).")
    boolean quick;

    @Option(names = "--texts", description = "Corpus size (default 1000; quick 32).")
    Integer texts;

    @Option(names = "--runs", description = "Timed runs per setting; the median is reported (default 3; quick 1).")
    Integer runs;

    @Option(names = "--seed", description = "Corpus seed (default 42).")
    Long seed;

    @Option(names = "--threads", description = "Intra-op threads for every runtime (default: all cores).")
    Integer threads;

    @Option(names = "--batch-tokens", split = ",", description = "Token budgets to sweep for (b) and (c) (default 1024,2048,4096,8192).")
    List<Integer> batchTokens;

    @Option(names = "--pipeline-events", description = "Events pushed through the broker in (d) (default 4000; quick 64).")
    Integer pipelineEvents;

    @Option(names = "--phases", split = ",", description = "Subset of a, b, int8, c-onnxruntime, d, c-pytorch (default: all; quick: all but int8).")
    List<String> phases;

    @Option(names = "--pipeline-set", description = "A processor setting for (d), e.g. bertstream.micro-batch.max-records=256. Repeatable.")
    Map<String, String> pipelineConfig = Map.of();

    @Option(names = "--pipeline-shapes", split = ",", description = "Input partitions x stream threads for (d), each a phase "
            + "(default 1x1,1x2,4x1,4x2,16x1,16x2; quick 16x2).")
    List<String> pipelineShapes;

    @Option(names = "--out", description = "Write the report here too: .json for JSON, anything else for markdown. Repeatable.")
    List<Path> out = List.of();

    @Override
    public Integer call() {
        BenchOptions options;
        try {
            options = options();
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            return Bertstream.USAGE_ERROR;
        }
        BenchReport report = new Benchmark(options, System.out).run();
        out.forEach(file -> ReportWriter.write(report, file));
        return report.phases().stream().allMatch(BenchReport.Phase::ok) ? Bertstream.OK : Bertstream.PARTIAL_FAILURE;
    }

    private BenchOptions options() {
        BenchOptions base = quick ? BenchOptions.quick() : BenchOptions.full();
        Set<PhaseId> selected = EnumSet.noneOf(PhaseId.class);
        (phases == null ? List.<String>of() : phases).forEach(id -> selected.add(PhaseId.of(id)));
        return new BenchOptions(
                texts != null ? texts : base.texts(),
                seed != null ? seed : base.seed(),
                runs != null ? runs : base.runs(),
                threads != null ? threads : base.threads(),
                batchTokens != null ? batchTokens : base.batchTokens(),
                base.peakMatrixSize(),
                pipelineEvents != null ? pipelineEvents : base.pipelineEvents(),
                selected.isEmpty() ? base.phases() : selected,
                pipelineConfig,
                pipelineShapes != null ? pipelineShapes.stream().map(PipelineShape::parse).toList() : base.pipelineShapes());
    }
}
