package io.bertstream.bench;

import io.bertstream.bench.BenchOptions.PhaseId;
import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.bench.BenchReport.Ratio;
import io.bertstream.bench.BenchReport.SweepPoint;
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

/**
 * One bench run: the same generated texts through every subject, each in its own phase (DJL and ONNX Runtime
 * interleaved in one process contend for threads), then the ratios the issue sets as goals.
 * Phases run in the order peak, (a), (b), (c) ONNX Runtime, (d), (c) PyTorch: PyTorch last, so its thread
 * pool never sits beside ONNX Runtime's while those are measured.
 */
public final class Benchmark {

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
        for (PhaseId id : PhaseId.values()) {
            if (!options.phases().contains(id)) {
                continue;
            }
            Phase phase = runPhase(id, texts);
            double gflopPerText = flops.flops(id == PhaseId.LANGCHAIN ? langchainTokens : tokens) / 1e9 / texts.size();
            phases.add(withFlops(phase, gflopPerText, peak));
            if (!phase.ok()) {
                notes.add(phase.id() + " failed: " + phase.error());
            }
        }
        phases.replaceAll(this::withFidelity);
        phases.forEach(phase -> log.println(ReportWriter.phaseLine(phase)));
        List<Ratio> ratios = ratios(phases);
        ratios.forEach(ratio -> log.println(ReportWriter.ratioLine(ratio)));
        return new BenchReport(BenchReport.Machine.describe(), corpus, peak, phases, ratios, notes);
    }

    private Phase runPhase(PhaseId id, List<String> texts) {
        return switch (id) {
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
            case PIPELINE -> {
                PipelineBench.Result result = PipelineBench.run(options, texts, log);
                if (result.vectors() != null && result.vectors().stream().allMatch(Objects::nonNull)) {
                    vectorsByPhase.put(id.id, result.vectors());
                }
                yield result.phase();
            }
        };
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
                    embedder.paddedShare(), 0, 0, ProcessStats.residentMib(), null, List.of(), null, null), vectors);
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

    /** The goals; the engine side is its faster backend. */
    static List<Ratio> ratios(List<Phase> phases) {
        Double a = rate(phases, "a");
        Double b = rate(phases, "b");
        Phase bestEngine = phases.stream().filter(p -> p.ok() && p.id().startsWith("c-"))
                .max(Comparator.comparingDouble(Phase::sentencesPerSecond)).orElse(null);
        Double c = bestEngine == null ? null : bestEngine.sentencesPerSecond();
        Double d = rate(phases, "d");
        Phase pipeline = phases.stream().filter(p -> p.ok() && p.id().equals("d")).findFirst().orElse(null);
        String engine = bestEngine == null ? "c" : bestEngine.id();
        List<Ratio> ratios = new ArrayList<>(List.of(
                new Ratio(engine + " / a", divide(c, a), 1.5, false),
                new Ratio(engine + " / b", divide(c, b), 0.95, false),
                new Ratio("d / " + engine, divide(d, c), 0.9, false),
                new Ratio("padded share (d, forward passes at steady load)",
                        pipeline == null ? null : pipeline.paddedShare(), 0.10, true)));
        phases.stream().filter(p -> p.id().equals("int8")).findFirst().ifPresent(int8 -> {
            Double fp32Engine = rate(phases, "c-onnxruntime");
            ratios.add(new Ratio("int8 / c-onnxruntime", int8.ok() ? divide(int8.sentencesPerSecond(), fp32Engine) : null,
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
