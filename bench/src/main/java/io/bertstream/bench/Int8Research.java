package io.bertstream.bench;

import io.bertstream.engine.backend.onnx.Int8Quantizer;
import io.bertstream.engine.backend.onnx.Int8Quantizer.Recipe;
import io.bertstream.engine.backend.onnx.Int8Quantizer.WeightFormat;
import io.bertstream.engine.backend.onnx.LinearRewriter;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Research tool behind the int8 trade-off table in docs/performance.md: builds variants of all-MiniLM-L6-v2 with
 * the product's quantiser ({@link Int8Quantizer}, calibrated on its bundled texts), measures each one's fidelity to
 * fp32 (min / p1 / mean cosine per text, on the bench corpus and on the varied-text set) and its speed against
 * fp32 through raw ONNX Runtime with length-sorted passes ({@link OnnxRuntimePeer}), interleaved round by round in
 * one process (the ratio of each round, then the median and the range).
 *
 * <pre>
 * java -cp ... io.bertstream.bench.Int8Research VARIED_TEXTS_FILE TEXTS ROUNDS VARIANT...
 * </pre>
 * A variant is {@code fp32}, {@code shipped} ({@link Int8Quantizer#SHIPPED}) or
 * {@code SCALES[-oN][-keep:SEL+...|-only:SEL+...][-u8|-s8]}: SCALES {@code tensor} (one activation scale per pass:
 * the {@code quantize_dynamic} pattern) or {@code row} (per-token scales); {@code -oN} up to N calibrated outlier
 * input dimensions in fp32; {@code -keep:} those Linears stay fp32, {@code -only:} only those become int8, where
 * SEL is a kind (q, k, v, attn-out, ffn-up, ffn-down), a layer ({@code L3}) or both ({@code ffn-down@3}); the
 * weight format is the one this CPU gets unless {@code -u8} / {@code -s8} says otherwise. ROUNDS 0 measures
 * fidelity only.
 */
public final class Int8Research {

    private static final Pattern VARIANT = Pattern.compile(
            "(tensor|row)(?:-o(\\d+))?(?:-(keep|only):([A-Za-z0-9@+-]+?))?(?:-(u8|s8))?");

    private Int8Research() {
    }

    /** A variant: its recipe and weight format. */
    record Variant(String spec, Recipe recipe, WeightFormat format) {
    }

    public static void main(String[] args) throws IOException {
        List<String> varied = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isBlank()).toList();
        int textCount = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int threads = Runtime.getRuntime().availableProcessors();
        List<String> corpus = BenchCorpus.generate(textCount, 42);
        LoadedModel model = BuiltinModels.load(BuiltinModels.MINILM);
        OnnxGraph fp32 = model.onnxGraph().orElseThrow();
        Map<String, float[]> calibration = Int8Quantizer.calibrate(model, Int8Quantizer.calibrationTexts(), threads);
        printOutliers(fp32, calibration);

        Map<String, OnnxRuntimePeer> peers = new LinkedHashMap<>();
        peers.put("fp32", new OnnxRuntimePeer(fp32.file(), threads, 8192));
        for (String spec : List.of(args).subList(3, args.length)) {
            if (!spec.equals("fp32")) {
                Path file = graphFile(fp32, variant(spec), calibration);
                System.out.printf(Locale.ROOT, "%s: graph %.1f MB%n", spec, Files.size(file) / 1e6);
                peers.put(spec, new OnnxRuntimePeer(file, threads, 8192));
            }
        }
        List<float[]> refCorpus = peers.get("fp32").embedAll(corpus);
        List<float[]> refVaried = peers.get("fp32").embedAll(varied);
        Map<String, String> fidelity = new LinkedHashMap<>();
        peers.forEach((key, peer) -> fidelity.put(key, cosines(refCorpus, peer.embedAll(corpus)) + " | "
                + cosines(refVaried, peer.embedAll(varied))));

        Map<String, double[]> rates = new LinkedHashMap<>();
        peers.keySet().forEach(key -> rates.put(key, new double[rounds]));
        List<String> order = new ArrayList<>(peers.keySet());
        for (int round = 0; round < rounds; round++) {
            for (String key : order) {
                rates.get(key)[round] = corpus.size() / Throughput.secondsOf(() -> peers.get(key).embedAll(corpus));
            }
            Collections.rotate(order, 1); // each variant runs first, middle and last in turn
        }
        System.out.printf(Locale.ROOT, "%d corpus texts, %d varied texts, %d rounds, %d threads%n", corpus.size(),
                varied.size(), rounds, threads);
        System.out.println("variant | corpus min / p1 / mean cosine | varied min / p1 / mean | texts/s median "
                + "| ratio to fp32: median [min..max] of rounds");
        double[] base = rates.get("fp32");
        for (String key : peers.keySet()) {
            double[] r = rates.get(key);
            double[] ratios = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                ratios[i] = r[i] / base[i];
            }
            System.out.printf(Locale.ROOT, "%s | %s | %s%n", key, fidelity.get(key), rounds == 0 ? "speed not measured"
                    : String.format(Locale.ROOT, "%.1f | %.3f [%.3f..%.3f]", Throughput.median(r),
                    Throughput.median(ratios), Arrays.stream(ratios).min().orElseThrow(),
                    Arrays.stream(ratios).max().orElseThrow()));
        }
        peers.values().forEach(OnnxRuntimePeer::close);
    }

    /** The variant a spec names (see the class comment). */
    static Variant variant(String spec) {
        if (spec.equals("shipped")) {
            return new Variant(spec, Int8Quantizer.SHIPPED, WeightFormat.forThisCpu());
        }
        Matcher m = VARIANT.matcher(spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown variant " + spec);
        }
        Predicate<Linear> quantised = Recipe.allBut(java.util.Set.of());
        if (m.group(3) != null) {
            Predicate<Linear> selected = selected(m.group(4));
            quantised = m.group(3).equals("only") ? quantised.and(selected) : quantised.and(selected.negate());
        }
        WeightFormat format = m.group(5) == null ? WeightFormat.forThisCpu() : WeightFormat.valueOf(m.group(5).toUpperCase(Locale.ROOT));
        return new Variant(spec, new Recipe(spec, m.group(1).equals("row"),
                m.group(2) == null ? 0 : Integer.parseInt(m.group(2)), quantised), format);
    }

    /** The variant's graph, written to a temporary file (deleted when the JVM exits). */
    static Path graphFile(OnnxGraph fp32, Variant variant, Map<String, float[]> calibration) {
        try {
            Path file = Files.createTempFile("bertstream-int8-research-", ".onnx");
            file.toFile().deleteOnExit();
            Int8Quantizer.rewrite(fp32, variant.recipe(), calibration, variant.format()).writeTo(file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Linears matched by any selector of a {@code +}-separated list. */
    private static Predicate<Linear> selected(String selectors) {
        Predicate<Linear> any = linear -> false;
        for (String sel : selectors.split("\\+")) {
            Predicate<Linear> one;
            if (sel.matches("L\\d+")) {
                int layer = Integer.parseInt(sel.substring(1));
                one = l -> l.layer() == layer;
            } else if (sel.contains("@")) {
                String kind = sel.substring(0, sel.indexOf('@'));
                int layer = Integer.parseInt(sel.substring(sel.indexOf('@') + 1));
                one = l -> l.kind().label.equals(kind) && l.layer() == layer;
            } else {
                one = l -> l.kind().label.equals(sel);
            }
            any = any.or(one);
        }
        return any;
    }

    private static String cosines(List<float[]> reference, List<float[]> own) {
        double[] c = new double[reference.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = Vectors.cosine(reference.get(i), own.get(i));
        }
        return String.format(Locale.ROOT, "%.5f / %.5f / %.6f", Arrays.stream(c).min().orElse(1),
                Throughput.quantile(c, 0.01), Arrays.stream(c).average().orElse(1));
    }

    /** Per Linear input: which Linears read it, the median dimension's calibrated max |x| and the largest dims. */
    private static void printOutliers(OnnxGraph graph, Map<String, float[]> calibration) {
        Map<String, String> readers = new LinkedHashMap<>();
        LinearRewriter.linears(graph).forEach(l -> readers.merge(l.input(), l.kind().label + "@" + l.layer(),
                (a, b) -> a + "," + b));
        calibration.forEach((input, max) -> {
            float[] sorted = max.clone();
            Arrays.sort(sorted);
            Integer[] dims = new Integer[max.length];
            Arrays.setAll(dims, i -> i);
            Arrays.sort(dims, (a, b) -> Float.compare(max[b], max[a]));
            StringBuilder top = new StringBuilder();
            for (int i = 0; i < 6; i++) {
                top.append(String.format(Locale.ROOT, " %d:%.1f", dims[i], max[dims[i]]));
            }
            System.out.printf(Locale.ROOT, "calibration %-40s median %.2f, largest%s%n", readers.get(input),
                    sorted[sorted.length / 2], top);
        });
    }
}
