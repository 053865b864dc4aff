package io.bertstream.bench;

import io.bertstream.bench.BenchOptions.PhaseId;
import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.bench.BenchReport.Ratio;
import io.bertstream.bench.BenchReport.SweepPoint;
import io.bertstream.engine.BatchInvariance;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.onnx.Int8Quantizer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * One bench run: the same generated texts through every subject, each in its own phase (DJL and ONNX Runtime
 * interleaved in one process contend for threads), then the ratios the issue sets as goals.
 * Phases run in the order peak, (a), (b), int8, (c) ONNX Runtime (then the batch-invariance check on the same
 * backend), (d) at each shape, (c) PyTorch: PyTorch last, so its thread pool never sits beside ONNX Runtime's while
 * those are measured.
 */
public final class Benchmark {

    private static final String C_ONNXRUNTIME = PhaseId.ENGINE_ONNXRUNTIME.id;
    private static final String PIPELINE_PREFIX = "d@";
    /** The (d) goals are set at 16 input partitions, the production case, with the best thread count. */
    private static final String GOAL_SHAPE = "d@16p";
    private static final Pattern GOAL_SHAPES = Pattern.compile(Pattern.quote(GOAL_SHAPE) + "\\d+t");
    /** Rows of the batch-invariance pass. */
    private static final int INVARIANCE_TEXTS = 16;

    private final BenchOptions options;
    private final PrintStream log;
    /** Each phase's vectors of the corpus (from its warm-up pass), for the fidelity check. */
    private final Map<String, List<float[]>> vectorsByPhase = new HashMap<>();

    public Benchmark(BenchOptions options, PrintStream log) {
        this.options = options;
        this.log = log;
    }

    public BenchReport run() {
        List<String> texts = BenchCorpus.generate(options.texts(), options.seed());
        int[] tokens = MiniLmFiles.tokenCounts(texts);
        FlopModel flops = FlopModel.of(EngineSubjects.minilmConfig());
        BenchReport.Corpus corpus = describe(tokens, flops);
        log.printf(Locale.ROOT, "corpus: %d texts, tokens min %d / median %d / mean %.1f / max %d, %.2f GFLOP per pass%n",
                corpus.texts(), corpus.minTokens(), corpus.medianTokens(), corpus.meanTokens(), corpus.maxTokens(),
                corpus.gflopPerPass());

        double peak = MatmulPeak.measure(options.peakMatrixSize(), options.runs() + 2, options.threads());
        log.printf(Locale.ROOT, "fp32 matmul peak (ONNX Runtime, %d^3, %d threads): %.1f GFLOP/s%n",
                options.peakMatrixSize(), options.threads(), peak);

        List<Phase> phases = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        int[] langchainTokens = Arrays.stream(tokens).map(t -> Math.min(t, LangchainPeer.TRUNCATES_AT)).toArray();
        long truncatedByLangchain = Arrays.stream(tokens).filter(t -> t > LangchainPeer.TRUNCATES_AT).count();
        if (truncatedByLangchain > 0 && options.phases().contains(PhaseId.LANGCHAIN)) {
            notes.add(String.format(Locale.ROOT, "(a) silently truncates at %d tokens (the tokenizer.json it ships): "
                    + "%d of %d texts lose their tail, so (a) does %.1f %% less work than the others; its GFLOP/s "
                    + "counts only what it computed", LangchainPeer.TRUNCATES_AT, truncatedByLangchain, tokens.length,
                    100 * (1 - flops.flops(langchainTokens) / flops.flops(tokens))));
        }
        Double invariance = null;
        for (PhaseId id : PhaseId.values()) {
            if (!options.phases().contains(id)) {
                continue;
            }
            double gflopPerText = flops.flops(id == PhaseId.LANGCHAIN ? langchainTokens : tokens) / 1e9 / texts.size();
            for (Phase phase : runPhase(id, texts)) {
                phases.add(withFlops(phase, gflopPerText, peak));
                if (!phase.ok()) {
                    notes.add(phase.id() + " failed: " + phase.error());
                }
            }
            if (id == PhaseId.ENGINE_ONNXRUNTIME) {
                invariance = batchInvariance(texts, tokens, notes);
            }
        }
        phases.replaceAll(this::withFidelity);
        phases.forEach(phase -> log.println(ReportWriter.phaseLine(phase)));
        List<Ratio> ratios = ratios(phases, invariance);
        ratios.forEach(ratio -> log.println(ReportWriter.ratioLine(ratio)));
        return new BenchReport(BenchReport.Machine.describe(), corpus, peak, phases, ratios, invariance, notes);
    }

    /** Texts of the corpus spread over its lengths, shortest to longest: one pass of very mixed row lengths. */
    static List<String> mixedLengths(List<String> texts, int[] tokens, int count) {
        Integer[] byLength = new Integer[texts.size()];
        Arrays.setAll(byLength, i -> i);
        Arrays.sort(byLength, Comparator.comparingInt(i -> tokens[i]));
        int n = Math.min(count, texts.size());
        return IntStream.range(0, n).mapToObj(k -> texts.get(byLength[n == 1 ? 0 : k * (texts.size() - 1) / (n - 1)]))
                .toList();
    }

    /**
     * Batch invariance on the fp32 ONNX Runtime engine: 16 corpus texts from shortest to longest, each embedded
     * alone against all of them in one pass padded to the longest ({@link BatchInvariance}, the measurement the
     * backend tests hold to 1e-6).
     */
    private Double batchInvariance(List<String> texts, int[] tokens, List<String> notes) {
        try (EmbeddingEngine engine = EngineSubjects.openEngine(Backend.ONNXRUNTIME, options.batchTokens().get(0),
                options.threads())) {
            double worst = BatchInvariance.maxAbsDifference(engine, mixedLengths(texts, tokens, INVARIANCE_TEXTS));
            log.printf(Locale.ROOT, "batch invariance (fp32, onnxruntime, %d texts of %d-%d tokens in one pass): max abs "
                    + "difference %.3g%n", Math.min(INVARIANCE_TEXTS, texts.size()), Arrays.stream(tokens).min().orElse(0),
                    Arrays.stream(tokens).max().orElse(0), worst);
            return worst;
        } catch (RuntimeException | LinkageError e) {
            notes.add("batch invariance failed: " + e);
            return null;
        }
    }

    private List<Phase> runPhase(PhaseId id, List<String> texts) {
        if (id == PhaseId.PIPELINE) {
            PipelineBench.Result result = PipelineBench.run(options, texts, log);
            result.vectorsByPhase().forEach((phase, vectors) -> {
                if (vectors.stream().allMatch(Objects::nonNull)) {
                    vectorsByPhase.put(phase, vectors);
                }
            });
            return result.phases();
        }
        return List.of(switch (id) {
            case LANGCHAIN -> sweep(id.id, "langchain4j AllMiniLmL6V2EmbeddingModel.embedAll", texts,
                    List.of(new Setting("default executor, one text per ONNX call", LangchainPeer::new)));
            case ONNXRUNTIME -> sweep(id.id, "raw ONNX Runtime, length-sorted batches, mean pooling + L2", texts,
                    onnxRuntimeSettings(() -> MiniLmFiles.graph().file()));
            case ONNXRUNTIME_INT8 -> sweep(id.id, "bertstream engine via the extraction API, ONNX Runtime, precision int8 "
                    + "(recipe " + Int8Quantizer.SHIPPED.name() + ")", texts,
                    EngineSubjects.settings(Backend.ONNXRUNTIME, Precision.INT8, options));
            case ENGINE_ONNXRUNTIME -> sweep(id.id, "bertstream engine via the extraction API, ONNX Runtime", texts,
                    EngineSubjects.settings(Backend.ONNXRUNTIME, options));
            case ENGINE_PYTORCH -> sweep(id.id, "bertstream engine via the extraction API, PyTorch", texts,
                    EngineSubjects.settings(Backend.PYTORCH, options));
            case PIPELINE -> throw new AssertionError("measured above");
        });
    }

    /** A setting to try: a label and how to open the subject at it. */
    public record Setting(String label, Supplier<Subject> opener) {
    }

    /** One raw ONNX Runtime setting per swept token budget. */
    private List<Setting> onnxRuntimeSettings(Supplier<Path> graph) {
        return options.batchTokens().stream().map(budget -> new Setting("max-batch-tokens " + budget,
                () -> new OnnxRuntimePeer(graph.get(), options.threads(), budget))).toList();
    }

    /** A phase measured at one setting, with the vectors of its warm-up pass. */
    private record Measured(Phase phase, List<float[]> vectors) {
    }

    /** Opens, warms up and times each setting in turn; the phase reports the fastest. */
    private Phase sweep(String id, String subject, List<String> texts, List<Setting> settings) {
        try {
            List<SweepPoint> points = new ArrayList<>();
            Measured best = null;
            for (Setting setting : settings) {
                Measured measured = measure(id, subject, setting, texts);
                Phase phase = measured.phase();
                log.printf(Locale.ROOT, "  %s %s: %.1f sentences/s%n", id, setting.label(), phase.sentencesPerSecond());
                points.add(new SweepPoint(setting.label(), phase.sentencesPerSecond(), phase.runs(), phase.paddedShare()));
                if (best == null || phase.sentencesPerSecond() > best.phase().sentencesPerSecond()) {
                    best = measured;
                }
            }
            vectorsByPhase.put(id, best.vectors());
            return best.phase().withSweep(points);
        } catch (RuntimeException | LinkageError e) {
            return Phase.failed(id, subject, e);
        }
    }

    private Measured measure(String id, String subject, Setting setting, List<String> texts) {
        long start = System.nanoTime();
        try (Subject embedder = setting.opener().get()) {
            double load = Throughput.seconds(System.nanoTime() - start);
            List<float[]> vectors = new ArrayList<>();
            double warmup = Throughput.secondsOf(() -> vectors.addAll(checked(embedder.embedAll(texts), texts.size())));
            embedder.resetCounters();
            Throughput.Timing timing = Throughput.measure(texts.size(), options.runs(),
                    () -> checked(embedder.embedAll(texts), texts.size()));
            return new Measured(new Phase(id, subject, setting.label(), load, warmup, timing.median(), timing.runs(),
                    embedder.paddedShare(), embedder.rowsPerPass(), 0, 0, ProcessStats.residentMib(), null, List.of(), null, null), vectors);
        }
    }

    private static List<float[]> checked(List<float[]> vectors, int expected) {
        if (vectors.size() != expected || vectors.stream().anyMatch(v -> v == null || v.length == 0)) {
            throw new IllegalStateException("expected " + expected + " vectors, got " + vectors.size() + " (or empty ones)");
        }
        return vectors;
    }

    /** Lowest cosine to the fp32 reference, raw ONNX Runtime (b), over the same texts. */
    private Phase withFidelity(Phase p) {
        List<float[]> reference = vectorsByPhase.get("b");
        List<float[]> own = vectorsByPhase.get(p.id());
        if (reference == null || own == null || !p.ok()) {
            return p;
        }
        return p.withFidelity(Vectors.minCosine(reference, own));
    }

    private static Phase withFlops(Phase p, double gflopPerText, double peak) {
        double gflops = p.sentencesPerSecond() * gflopPerText;
        return p.withFlops(gflops, gflops / peak);
    }

    private BenchReport.Corpus describe(int[] tokens, FlopModel flops) {
        IntSummaryStatistics stats = Arrays.stream(tokens).summaryStatistics();
        int[] sorted = tokens.clone();
        Arrays.sort(sorted);
        return new BenchReport.Corpus(tokens.length, options.seed(), stats.getMin(), sorted[sorted.length / 2],
                stats.getAverage(), stats.getMax(), flops.flops(tokens) / 1e9);
    }

    /**
     * The issue's goals, all from the same run. (a) and (b) are compared with the engine's faster backend; (d),
     * which runs ONNX Runtime, with c-onnxruntime: at each shape without a goal, and at 16 partitions with the best
     * thread count (the shape production runs at) against the goals.
     */
    static List<Ratio> ratios(List<Phase> phases, Double batchInvariance) {
        Double a = rate(phases, "a");
        Double b = rate(phases, "b");
        Phase bestEngine = phases.stream().filter(p -> p.ok() && p.id().startsWith("c-"))
                .max(Comparator.comparingDouble(Phase::sentencesPerSecond)).orElse(null);
        Double c = bestEngine == null ? null : bestEngine.sentencesPerSecond();
        String engine = bestEngine == null ? "c" : bestEngine.id();
        Phase fp32Engine = phases.stream().filter(p -> p.ok() && p.id().equals(C_ONNXRUNTIME)).findFirst().orElse(null);
        Double cOnnx = fp32Engine == null ? null : fp32Engine.sentencesPerSecond();
        List<Ratio> ratios = new ArrayList<>(List.of(
                new Ratio(engine + " / a", divide(c, a), 1.5, false),
                new Ratio(engine + " / b", divide(c, b), 0.95, false)));
        List<Phase> pipelines = phases.stream().filter(p -> p.id().startsWith(PIPELINE_PREFIX)).toList();
        for (Phase d : pipelines) {
            ratios.add(new Ratio(d.id() + " / " + C_ONNXRUNTIME, d.ok() ? divide(d.sentencesPerSecond(), cOnnx) : null,
                    null, false));
        }
        if (!pipelines.isEmpty()) {
            Phase best = pipelines.stream().filter(p -> p.ok() && GOAL_SHAPES.matcher(p.id()).matches())
                    .max(Comparator.comparingDouble(Phase::sentencesPerSecond)).orElse(null);
            String name = GOAL_SHAPE + " best";
            ratios.add(new Ratio(name + " / " + C_ONNXRUNTIME, best == null ? null : divide(best.sentencesPerSecond(), cOnnx),
                    0.95, false));
            ratios.add(new Ratio("rows per pass " + name + " / " + C_ONNXRUNTIME,
                    best == null ? null : divide(best.rowsPerPass(), fp32Engine == null ? null : fp32Engine.rowsPerPass()),
                    0.85, false));
            ratios.add(new Ratio("padded share " + name, best == null ? null : best.paddedShare(), 0.10, true));
            BenchReport.Latency latency = best == null ? null : best.latency();
            ratios.add(new Ratio("p99 latency " + name + " / (linger + commit interval + 2 x mean pass)",
                    latency == null ? null : divide(latency.p99Millis(), latency.p99GoalMillis()), 1.0, true));
        }
        if (batchInvariance != null || phases.stream().anyMatch(p -> p.id().equals(C_ONNXRUNTIME))) {
            ratios.add(new Ratio("batch invariance max abs difference (fp32)", batchInvariance, 1e-6, true));
        }
        phases.stream().filter(p -> p.id().equals("int8")).findFirst().ifPresent(int8 -> {
            ratios.add(new Ratio("int8 / " + C_ONNXRUNTIME, int8.ok() ? divide(int8.sentencesPerSecond(), cOnnx) : null,
                    2.0, false));
            ratios.add(new Ratio("int8 min cosine", int8.minCosineToB(), 0.999, false));
        });
        return ratios;
    }

    private static Double rate(List<Phase> phases, String id) {
        return phases.stream().filter(p -> p.ok() && p.id().equals(id)).map(Phase::sentencesPerSecond).findFirst()
                .orElse(null);
    }

    private static Double divide(Double numerator, Double denominator) {
        return numerator == null || denominator == null || denominator == 0 ? null : numerator / denominator;
    }
}
