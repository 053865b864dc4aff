package io.bertstream.bench;

import io.bertstream.engine.backend.onnx.Int8Quantizer;
import io.bertstream.engine.backend.onnx.LinearRewriter;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.backend.onnx.LinearRewriter.Replacement;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import static io.bertstream.engine.model.onnx.OnnxFields.FLOAT;
import static io.bertstream.engine.model.onnx.OnnxFields.INT8;

/**
 * Research tool for the reduced-precision mode: builds graph variants of all-MiniLM-L6-v2, measures each one's
 * fidelity to fp32 (min / p1 / mean cosine per text, on the bench corpus and on the varied-text set) and its
 * speed against fp32, interleaved round by round in one process (the ratio of each round, then the median).
 *
 * <pre>
 * java -cp ... io.bertstream.bench.Int8Research VARIED_TEXTS_FILE TEXTS ROUNDS VARIANT...
 * </pre>
 * A variant is {@code fp32}, {@code dq} (per-tensor dynamic uint8 activations, int8 per-column weights: the
 * {@code quantize_dynamic} pattern) or {@code nb<bits>-<block>-<accuracy level>} (MatMulNBits), optionally
 * followed by {@code -keep:SEL+SEL...} where SEL is a kind label (q, k, v, attn-out, ffn-up, ffn-down), a layer
 * {@code L3}, or both {@code ffn-down@3}: those Linears stay fp32.
 */
public final class Int8Research {

    private Int8Research() {
    }

    public static void main(String[] args) throws IOException {
        List<String> varied = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8).stream()
                .filter(line -> !line.isBlank()).toList();
        int textCount = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        List<String> specs = List.of(args).subList(3, args.length);
        int threads = Runtime.getRuntime().availableProcessors();
        List<String> corpus = BenchCorpus.generate(textCount, 42);
        byte[] fp32 = MiniLmFiles.graph();

        Map<String, OnnxRuntimePeer> peers = new LinkedHashMap<>();
        peers.put("fp32", new OnnxRuntimePeer(fp32, threads, 8192));
        for (String spec : specs) {
            if (!spec.equals("fp32")) {
                byte[] graph = graph(fp32, spec);
                System.out.printf(Locale.ROOT, "%s: graph %.1f MB%n", spec, graph.length / 1e6);
                peers.put(spec, new OnnxRuntimePeer(graph, threads, 8192));
            }
        }
        List<float[]> refCorpus = peers.get("fp32").embedAll(corpus);
        List<float[]> refVaried = peers.get("fp32").embedAll(varied);
        Map<String, String> fidelity = new LinkedHashMap<>();
        for (Map.Entry<String, OnnxRuntimePeer> e : peers.entrySet()) {
            List<float[]> ownVaried = e.getValue().embedAll(varied);
            fidelity.put(e.getKey(), cosines(refCorpus, e.getValue().embedAll(corpus)) + " | "
                    + cosines(refVaried, ownVaried));
            if (System.getenv("WORST") != null) {
                Integer[] idx = java.util.stream.IntStream.range(0, varied.size()).boxed().sorted(
                        java.util.Comparator.comparingDouble(i -> Vectors.cosine(refVaried.get(i), ownVaried.get(i))))
                        .limit(Integer.parseInt(System.getenv("WORST"))).toArray(Integer[]::new);
                for (int i : idx) {
                    String t = varied.get(i);
                    System.out.printf(Locale.ROOT, "  worst %s: %.5f %s%n", e.getKey(),
                            Vectors.cosine(refVaried.get(i), ownVaried.get(i)), t.substring(0, Math.min(60, t.length())));
                }
            }
        }
        Map<String, double[]> rates = new LinkedHashMap<>();
        peers.keySet().forEach(k -> rates.put(k, new double[rounds]));
        List<String> order = new ArrayList<>(peers.keySet());
        for (int round = 0; round < rounds; round++) {
            for (String key : order) {
                OnnxRuntimePeer peer = peers.get(key);
                long start = System.nanoTime();
                peer.embedAll(corpus);
                rates.get(key)[round] = corpus.size() / ((System.nanoTime() - start) / 1e9);
            }
            java.util.Collections.rotate(order, 1);
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
            System.out.printf(Locale.ROOT, "%s | %s | %.1f | %.3f [%.3f..%.3f]%n", key, fidelity.get(key),
                    rounds == 0 ? 0 : Throughput.median(r), rounds == 0 ? 0 : Throughput.median(ratios),
                    Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0));
        }
        peers.values().forEach(OnnxRuntimePeer::close);
    }

    private static String cosines(List<float[]> reference, List<float[]> own) {
        double[] c = new double[reference.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = Vectors.cosine(reference.get(i), own.get(i));
        }
        return String.format(Locale.ROOT, "%.5f / %.5f / %.6f", Arrays.stream(c).min().orElse(1),
                Throughput.quantile(c, 0.01), Arrays.stream(c).average().orElse(1));
    }

    /** The variant's graph. */
    static byte[] graph(byte[] fp32, String spec) {
        String[] parts = spec.split("-(keep|only):", 2);
        Predicate<Linear> quantize = parts.length == 1 ? linear -> true
                : spec.contains("-only:") ? keep(parts[1]) : keep(parts[1]).negate();
        String scheme = parts[0];
        if (scheme.equals("dq")) {
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l) ? Optional.of(perTensor(l))
                    : Optional.empty(), Map.of());
        }
        if (scheme.startsWith("sq")) {
            // sqW_aALPHA[_r]: SmoothQuant (x / s_k, s_k = calibrated max^ALPHA folded into W-bit per-column weights),
            // then per-tensor dynamic uint8 (DynamicQuantizeLinear pattern); _r first scales each row to max 1
            String[] t = scheme.substring(2).split("_");
            int wbits = Integer.parseInt(t[0]);
            double alpha = Double.parseDouble(t[1].substring(1));
            boolean rows = t.length > 2 && t[2].equals("r");
            Map<String, float[]> max = Int8Calibration.absMax(fp32, BenchCorpus.generate(100, 7));
            java.util.Set<String> shared = new java.util.HashSet<>();
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(smooth(l, wbits, alpha, rows, max.get(l.input()), shared.add(l.input())))
                    : Optional.empty(), Map.of());
        }
        if (scheme.startsWith("rq")) {
            // rqW_oTAU_MAX: rows scaled to max 1 (outlier dims excluded, computed in fp32), then the
            // DynamicQuantizeLinear pattern with W-bit weights
            String[] t = scheme.substring(2).split("_o");
            boolean unsigned = t[0].endsWith("u");
            int wbits = Integer.parseInt(t[0].replace("u", ""));
            String[] o = t[1].split("_");
            Map<String, int[]> outliers = outliers(fp32, Double.parseDouble(o[0]), Integer.parseInt(o[1]));
            java.util.Set<String> shared = new java.util.HashSet<>();
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(rowDq(l, wbits, unsigned, outliers.get(l.input()), shared.add(l.input()))) : Optional.empty(),
                    Map.of());
        }
        if (scheme.startsWith("rs")) {
            // rsA_W_oTAU_MAX: rows scaled to max 1 (outlier dims excluded, computed in fp32), quantised with a fixed
            // scale to A bits (uint8, zero point 2^(A-1)), MatMulIntegerToFloat with W-bit per-column weights
            String[] t = scheme.substring(2).split("_o");
            int abits = t[0].charAt(0) - '0';
            int wbits = t[0].charAt(1) - '0';
            String[] o = t[1].split("_");
            Map<String, int[]> outliers = outliers(fp32, Double.parseDouble(o[0]), Integer.parseInt(o[1]));
            java.util.Set<String> shared = new java.util.HashSet<>();
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(rowStatic(l, abits, wbits, outliers.get(l.input()), shared.add(l.input())))
                    : Optional.empty(), Map.of("com.microsoft", 1L));
        }
        if (scheme.startsWith("st")) {
            // stAW_aALPHA: static per-channel activation scales (calibrated max^ALPHA folded into the weights), A-bit
            // activations, W-bit weights, com.microsoft QuantizeLinear + MatMulIntegerToFloat
            String[] t = scheme.substring(2).split("_a");
            int abits = t[0].charAt(0) - '0';
            int wbits = t[0].charAt(1) - '0';
            double alpha = Double.parseDouble(t[1]);
            Map<String, float[]> max = Int8Calibration.absMax(fp32, BenchCorpus.generate(100, 7));
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(staticChannel(l, abits, wbits, alpha, max.get(l.input()))) : Optional.empty(),
                    Map.of("com.microsoft", 1L));
        }
        if (scheme.startsWith("dr")) {
            // drBITS or drBITS_oTAU_MAX: outlier input dims (calibrated max |x| > TAU x the median dim's) stay fp32
            String[] o = scheme.substring(2).split("_o");
            int bits = Integer.parseInt(o[0]);
            Map<String, int[]> outliers = new java.util.HashMap<>();
            if (o.length > 1) {
                String[] t = o[1].split("_");
                outliers.putAll(outliers(fp32, Double.parseDouble(t[0]), Integer.parseInt(t[1])));
            }
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(perRow(l, bits, outliers.getOrDefault(l.input(), new int[0]))) : Optional.empty(), Map.of());
        }
        if (scheme.startsWith("fq")) {
            String[] fq = scheme.substring(2).split("-");
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l)
                    ? Optional.of(fakeQuant(l, Integer.parseInt(fq[0]), Integer.parseInt(fq[1]))) : Optional.empty(), Map.of());
        }
        if (scheme.startsWith("nb")) {
            String[] nb = scheme.substring(2).split("-");
            return LinearRewriter.rewrite(fp32, "minilm", l -> quantize.test(l) ? Optional.of(matMulNBits(l,
                    Integer.parseInt(nb[0]), Integer.parseInt(nb[1]), Integer.parseInt(nb[2]))) : Optional.empty(),
                    Map.of("com.microsoft", 1L));
        }
        if (scheme.equals("int8") || scheme.equals("int8u")) {
            // the shipped recipe, calibrated on its bundled texts, in either weight format
            return Int8Quantizer.quantize(fp32, "minilm", MiniLmFiles.tokenizerJson(),
                    scheme.equals("int8u") ? Int8Quantizer.WeightFormat.U8 : Int8Quantizer.WeightFormat.S8);
        }
        throw new IllegalArgumentException("unknown variant " + spec);
    }

    /**
     * ONNX Runtime's com.microsoft.MatMulNBits: weights block-wise along K (one scale per {@code block} weights of
     * an output feature, symmetric, zero point 2^(bits-1)); with accuracy level 4 the kernel quantises activations
     * per row and block to int8 itself.
     */
    private static Replacement matMulNBits(Linear linear, int bits, int block, int accuracyLevel) {
        int k = linear.in();
        int n = linear.out();
        int blocks = (k + block - 1) / block;
        int blobBytes = block * bits / 8;
        int zero = 1 << (bits - 1);
        int maxCode = zero - 1;
        float[] w = linear.weight().data();
        byte[] codes = new byte[n * blocks * blobBytes];
        float[] scales = new float[n * blocks];
        for (int row = 0; row < n; row++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * block;
                int to = Math.min(k, from + block);
                float max = 0;
                for (int i = from; i < to; i++) {
                    max = Math.max(max, Math.abs(w[row * k + i]));
                }
                float scale = max == 0 ? 1 : max / maxCode;
                scales[row * blocks + b] = scale;
                int blob = (row * blocks + b) * blobBytes;
                for (int i = 0; i < block; i++) {
                    int q = from + i < to ? Math.round(w[row * k + from + i] / scale) : 0;
                    int code = Math.max(-maxCode, Math.min(maxCode, q)) + zero;
                    if (bits == 8) {
                        codes[blob + i] = (byte) code;
                    } else {
                        codes[blob + i / 2] |= (byte) (i % 2 == 0 ? code : code << 4);
                    }
                }
            }
        }
        String p = linear.name().replace(".weight", "") + ".nbits";
        Map<String, Long> attributes = new LinkedHashMap<>();
        attributes.put("K", (long) k);
        attributes.put("N", (long) n);
        attributes.put("bits", (long) bits);
        attributes.put("block_size", (long) block);
        attributes.put("accuracy_level", (long) accuracyLevel);
        return new Replacement(List.of(LinearRewriter.node("MatMulNBits", "com.microsoft", p,
                List.of(linear.input(), p + ".B", p + ".scales"), List.of(linear.output()), attributes)),
                List.of(LinearRewriter.tensor(p + ".B", LinearRewriter.UINT8, new long[] {n, blocks, blobBytes}, codes),
                        LinearRewriter.tensor(p + ".scales", FLOAT, new long[] {n * (long) blocks}, floats(scales))));
    }

    /** Linears matched by any selector of a {@code +}-separated list. */
    static Predicate<Linear> keep(String selectors) {
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

    /**
     * Per-row (per-token) symmetric activation quantisation in plain ONNX ops, stored as uint8 with zero point 128
     * so MatMulInteger runs ONNX Runtime's u8s8 kernel; weights int8 symmetric per output column, {@code bits} wide.
     */
    private static Replacement perRow(Linear linear, int bits, int[] outlierDims) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        boolean[] outlier = new boolean[k];
        for (int d : outlierDims) {
            outlier[d] = true;
        }
        int maxCode = (1 << (bits - 1)) - 1;
        float[] scales = new float[n];
        byte[] codes = new byte[k * n]; // [k, n] as MatMul reads it
        float[] outlierRows = new float[outlierDims.length * n]; // [|O|, n]
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                if (!outlier[row]) {
                    max = Math.max(max, Math.abs(w[col * k + row]));
                }
            }
            scales[col] = max == 0 ? 1 : max / maxCode;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = outlier[row] ? 0
                        : (byte) Math.max(-maxCode, Math.min(maxCode, Math.round(w[col * k + row] / scales[col])));
            }
            for (int i = 0; i < outlierDims.length; i++) {
                outlierRows[i * n + col] = w[col * k + outlierDims[i]];
            }
        }
        String p = linear.name().replace(".weight", "") + ".dr";
        String x = linear.input();
        List<byte[]> extraNodes = new ArrayList<>();
        List<byte[]> extraInits = new ArrayList<>();
        String y = linear.output();
        if (outlierDims.length > 0) {
            float[] mask = new float[k];
            java.util.Arrays.fill(mask, 1);
            long[] idx = new long[outlierDims.length];
            for (int i = 0; i < idx.length; i++) {
                mask[outlierDims[i]] = 0;
                idx[i] = outlierDims[i];
            }
            java.nio.ByteBuffer ib = java.nio.ByteBuffer.allocate(idx.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            ib.asLongBuffer().put(idx);
            extraInits.add(LinearRewriter.tensor(p + ".mask", FLOAT, new long[] {k}, floats(mask)));
            extraInits.add(LinearRewriter.tensor(p + ".oidx", io.bertstream.engine.model.onnx.OnnxFields.INT64,
                    new long[] {idx.length}, ib.array()));
            extraInits.add(LinearRewriter.tensor(p + ".oW", FLOAT, new long[] {idx.length, n}, floats(outlierRows)));
            extraNodes.add(LinearRewriter.node("Mul", "", p + ".masked", List.of(linear.input(), p + ".mask"),
                    List.of(p + ".masked"), Map.of()));
            extraNodes.add(LinearRewriter.node("Gather", "", p + ".ox", List.of(linear.input(), p + ".oidx"),
                    List.of(p + ".ox"), Map.of("axis", -1L)));
            extraNodes.add(LinearRewriter.node("MatMul", "", p + ".oy", List.of(p + ".ox", p + ".oW"),
                    List.of(p + ".oy"), Map.of()));
            extraNodes.add(LinearRewriter.node("Add", "", p + ".sum", List.of(p + ".qy", p + ".oy"),
                    List.of(linear.output()), Map.of()));
            x = p + ".masked";
            y = p + ".qy";
        }
        List<byte[]> nodes = new ArrayList<>(extraNodes.subList(0, Math.min(3, extraNodes.size())));
        nodes.addAll(List.of(
                LinearRewriter.node("Abs", "", p + ".abs", List.of(x), List.of(p + ".abs"), Map.of()),
                LinearRewriter.node("ReduceMax", "", p + ".amax", List.of(p + ".abs"), List.of(p + ".amax"),
                        Map.of("axes", new long[] {-1}, "keepdims", 1L)),
                LinearRewriter.node("Mul", "", p + ".s0", List.of(p + ".amax", p + ".inv127"), List.of(p + ".s0"), Map.of()),
                LinearRewriter.node("Max", "", p + ".s", List.of(p + ".s0", p + ".tiny"), List.of(p + ".s"), Map.of()),
                LinearRewriter.node("Div", "", p + ".xs", List.of(x, p + ".s"), List.of(p + ".xs"), Map.of()),
                LinearRewriter.node("Round", "", p + ".xr", List.of(p + ".xs"), List.of(p + ".xr"), Map.of()),
                LinearRewriter.node("Add", "", p + ".xo", List.of(p + ".xr", p + ".c128"), List.of(p + ".xo"), Map.of()),
                LinearRewriter.node("Cast", "", p + ".xq", List.of(p + ".xo"), List.of(p + ".xq"),
                        Map.of("to", (long) LinearRewriter.UINT8)),
                LinearRewriter.node("MatMulInteger", "", p + ".mmi", List.of(p + ".xq", p + ".W", p + ".azp"),
                        List.of(p + ".y32"), Map.of()),
                LinearRewriter.node("Cast", "", p + ".yf", List.of(p + ".y32"), List.of(p + ".yf"), Map.of("to", (long) FLOAT)),
                LinearRewriter.node("Mul", "", p + ".yc", List.of(p + ".yf", p + ".Ws"), List.of(p + ".yc"), Map.of()),
                LinearRewriter.node("Mul", "", p + ".out", List.of(p + ".yc", p + ".s"), List.of(y), Map.of())));
        nodes.addAll(extraNodes.subList(Math.min(3, extraNodes.size()), extraNodes.size()));
        List<byte[]> inits = new ArrayList<>(extraInits);
        inits.addAll(List.of(
                LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes),
                LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, floats(scales)),
                LinearRewriter.tensor(p + ".inv127", FLOAT, new long[0], floats(new float[] {1 / 127f})),
                LinearRewriter.tensor(p + ".tiny", FLOAT, new long[0], floats(new float[] {1e-30f})),
                LinearRewriter.tensor(p + ".c128", FLOAT, new long[0], floats(new float[] {128f})),
                LinearRewriter.tensor(p + ".azp", LinearRewriter.UINT8, new long[0], new byte[] {(byte) 128})));
        return new Replacement(nodes, inits);
    }

    /** Per Linear input: the dims whose calibrated max |x| exceeds {@code tau} x the median dim's, at most {@code max}. */
    static Map<String, int[]> outliers(byte[] fp32, double tau, int max) {
        Map<String, int[]> result = new java.util.HashMap<>();
        Int8Calibration.absMax(fp32, BenchCorpus.generate(100, 7)).forEach((input, m) -> {
            float[] sorted = m.clone();
            Arrays.sort(sorted);
            float median = sorted[sorted.length / 2];
            int[] dims = java.util.stream.IntStream.range(0, m.length).boxed().filter(i -> m[i] > tau * median)
                    .sorted((a, b) -> Float.compare(m[b], m[a])).limit(max).mapToInt(Integer::intValue).sorted().toArray();
            result.put(input, dims);
        });
        return result;
    }

    private static Replacement staticChannel(Linear linear, int abits, int wbits, double alpha, float[] channelMax) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        int aMax = (1 << (abits - 1)) - 1;
        int aZero = 1 << (abits - 1);
        int wMax = (1 << (wbits - 1)) - 1;
        double[] pow = new double[k];
        double c = 0;
        for (int i = 0; i < k; i++) {
            double m = Math.max(channelMax[i], 1e-6);
            pow[i] = Math.pow(m, alpha);
            c = Math.max(c, m / pow[i]);
        }
        float[] a = new float[k]; // activation scale per input channel
        for (int i = 0; i < k; i++) {
            a[i] = (float) (pow[i] * c / aMax);
        }
        float[] scales = new float[n];
        byte[] codes = new byte[k * n];
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                max = Math.max(max, Math.abs(w[col * k + row] * a[row]));
            }
            scales[col] = max == 0 ? 1 : max / wMax;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = (byte) Math.max(-wMax, Math.min(wMax, Math.round(w[col * k + row] * a[row] / scales[col])));
            }
        }
        byte[] zeros = new byte[k];
        Arrays.fill(zeros, (byte) aZero);
        String p = linear.name().replace(".weight", "") + ".st";
        List<byte[]> nodes = List.of(
                LinearRewriter.node("QuantizeLinear", "com.microsoft", p + ".q", List.of(linear.input(), p + ".as", p + ".az"),
                        List.of(p + ".xq"), Map.of("axis", 2L)),
                LinearRewriter.node("MatMulIntegerToFloat", "com.microsoft", p + ".mm",
                        List.of(p + ".xq", p + ".W", p + ".one", p + ".Ws", p + ".azs"), List.of(linear.output()), Map.of()));
        return new Replacement(nodes, List.of(
                LinearRewriter.tensor(p + ".as", FLOAT, new long[] {k}, floats(a)),
                LinearRewriter.tensor(p + ".az", LinearRewriter.UINT8, new long[] {k}, zeros),
                LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes),
                LinearRewriter.tensor(p + ".one", FLOAT, new long[0], floats(new float[] {1f})),
                LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, floats(scales)),
                LinearRewriter.tensor(p + ".azs", LinearRewriter.UINT8, new long[0], new byte[] {(byte) aZero})));
    }

    /** SmoothQuant migration + optional per-row normalisation + the DynamicQuantizeLinear → MatMulInteger pattern. */
    private static Replacement smooth(Linear linear, int wbits, double alpha, boolean rows, float[] channelMax,
                                      boolean firstReader) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        int wMax = (1 << (wbits - 1)) - 1;
        float[] sk = new float[k];
        double[] sorted = new double[k];
        for (int i = 0; i < k; i++) {
            sorted[i] = Math.pow(Math.max(channelMax[i], 1e-6), alpha);
        }
        double[] copy = sorted.clone();
        Arrays.sort(copy);
        float[] inv = new float[k];
        for (int i = 0; i < k; i++) {
            sk[i] = (float) (sorted[i] / copy[k / 2]);
            inv[i] = 1 / sk[i];
        }
        float[] scales = new float[n];
        byte[] codes = new byte[k * n];
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                max = Math.max(max, Math.abs(w[col * k + row] * sk[row]));
            }
            scales[col] = max == 0 ? 1 : max / wMax;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = (byte) Math.max(-wMax, Math.min(wMax, Math.round(w[col * k + row] * sk[row] / scales[col])));
            }
        }
        String in = "sq." + linear.input() + ".";
        String p = linear.name().replace(".weight", "") + ".sq";
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> inits = new ArrayList<>();
        if (firstReader) {
            inits.add(LinearRewriter.tensor(in + "inv", FLOAT, new long[] {k}, floats(inv)));
            nodes.add(LinearRewriter.node("Mul", "", in + "smooth", List.of(linear.input(), in + "inv"),
                    List.of(in + "x"), Map.of()));
            if (rows) {
                inits.add(LinearRewriter.tensor(in + "tiny", FLOAT, new long[0], floats(new float[] {1e-30f})));
                nodes.add(LinearRewriter.node("Abs", "", in + "abs", List.of(in + "x"), List.of(in + "abs"), Map.of()));
                nodes.add(LinearRewriter.node("ReduceMax", "", in + "amax", List.of(in + "abs"), List.of(in + "amax0"),
                        Map.of("axes", new long[] {-1}, "keepdims", 1L)));
                nodes.add(LinearRewriter.node("Max", "", in + "r", List.of(in + "amax0", in + "tiny"), List.of(in + "r"), Map.of()));
                nodes.add(LinearRewriter.node("Div", "", in + "norm", List.of(in + "x", in + "r"), List.of(in + "xn"), Map.of()));
            }
        }
        String x = rows ? in + "xn" : in + "x";
        nodes.add(LinearRewriter.node("DynamicQuantizeLinear", "", p + ".dql", List.of(x),
                List.of(p + ".xq", p + ".xs", p + ".xz"), Map.of()));
        nodes.add(LinearRewriter.node("MatMulInteger", "", p + ".mmi", List.of(p + ".xq", p + ".W", p + ".xz", p + ".Wz"),
                List.of(p + ".y32"), Map.of()));
        nodes.add(LinearRewriter.node("Cast", "", p + ".cast", List.of(p + ".y32"), List.of(p + ".yf"), Map.of("to", (long) FLOAT)));
        nodes.add(LinearRewriter.node("Mul", "", p + ".s", List.of(p + ".xs", p + ".Ws"), List.of(p + ".scale"), Map.of()));
        nodes.add(LinearRewriter.node("Mul", "", p + ".out", List.of(p + ".yf", p + ".scale"),
                List.of(rows ? p + ".yr" : linear.output()), Map.of()));
        if (rows) {
            nodes.add(LinearRewriter.node("Mul", "", p + ".rows", List.of(p + ".yr", in + "r"), List.of(linear.output()), Map.of()));
        }
        inits.add(LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes));
        inits.add(LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, floats(scales)));
        inits.add(LinearRewriter.tensor(p + ".Wz", INT8, new long[] {n}, new byte[n]));
        return new Replacement(nodes, inits);
    }

    private static Replacement rowDq(Linear linear, int wbits, boolean unsigned, int[] outlierDims, boolean firstReader) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        boolean[] outlier = new boolean[k];
        for (int d : outlierDims) {
            outlier[d] = true;
        }
        int wMax = (1 << (wbits - 1)) - 1;
        float[] scales = new float[n];
        byte[] codes = new byte[k * n];
        float[] outlierRows = new float[outlierDims.length * n];
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                if (!outlier[row]) {
                    max = Math.max(max, Math.abs(w[col * k + row]));
                }
            }
            scales[col] = max == 0 ? 1 : max / wMax;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = outlier[row] ? 0
                        : (byte) Math.max(-wMax, Math.min(wMax, Math.round(w[col * k + row] / scales[col])));
            }
            for (int i = 0; i < outlierDims.length; i++) {
                outlierRows[i * n + col] = w[col * k + outlierDims[i]];
            }
        }
        String in = "rq." + linear.input() + ".";
        String p = linear.name().replace(".weight", "") + ".rq";
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> inits = new ArrayList<>();
        if (firstReader) {
            float[] mask = new float[k];
            Arrays.fill(mask, 1);
            long[] idx = new long[outlierDims.length];
            for (int i = 0; i < idx.length; i++) {
                mask[outlierDims[i]] = 0;
                idx[i] = outlierDims[i];
            }
            java.nio.ByteBuffer ib = java.nio.ByteBuffer.allocate(idx.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            ib.asLongBuffer().put(idx);
            inits.add(LinearRewriter.tensor(in + "mask", FLOAT, new long[] {k}, floats(mask)));
            inits.add(LinearRewriter.tensor(in + "oidx", io.bertstream.engine.model.onnx.OnnxFields.INT64,
                    new long[] {idx.length}, ib.array()));
            inits.add(LinearRewriter.tensor(in + "tiny", FLOAT, new long[0], floats(new float[] {1e-30f})));
            nodes.add(LinearRewriter.node("Mul", "", in + "masked", List.of(linear.input(), in + "mask"), List.of(in + "xm"), Map.of()));
            nodes.add(LinearRewriter.node("Gather", "", in + "ox", List.of(linear.input(), in + "oidx"), List.of(in + "xo"),
                    Map.of("axis", -1L)));
            nodes.add(LinearRewriter.node("Abs", "", in + "abs", List.of(in + "xm"), List.of(in + "abs"), Map.of()));
            nodes.add(LinearRewriter.node("ReduceMax", "", in + "amax", List.of(in + "abs"), List.of(in + "amax0"),
                    Map.of("axes", new long[] {-1}, "keepdims", 1L)));
            nodes.add(LinearRewriter.node("Max", "", in + "r", List.of(in + "amax0", in + "tiny"), List.of(in + "r"), Map.of()));
            nodes.add(LinearRewriter.node("Div", "", in + "norm", List.of(in + "xm", in + "r"), List.of(in + "xn"), Map.of()));
        }
        nodes.add(LinearRewriter.node("DynamicQuantizeLinear", "", p + ".dql", List.of(in + "xn"),
                List.of(p + ".xq", p + ".xs", p + ".xz"), Map.of()));
        nodes.add(LinearRewriter.node("MatMulInteger", "", p + ".mmi", List.of(p + ".xq", p + ".W", p + ".xz", p + ".Wz"),
                List.of(p + ".y32"), Map.of()));
        nodes.add(LinearRewriter.node("Cast", "", p + ".cast", List.of(p + ".y32"), List.of(p + ".yf"), Map.of("to", (long) FLOAT)));
        nodes.add(LinearRewriter.node("Mul", "", p + ".s", List.of(p + ".xs", p + ".Ws"), List.of(p + ".scale"), Map.of()));
        nodes.add(LinearRewriter.node("Mul", "", p + ".out", List.of(p + ".yf", p + ".scale"), List.of(p + ".yr"), Map.of()));
        nodes.add(LinearRewriter.node("Mul", "", p + ".rows", List.of(p + ".yr", in + "r"), List.of(p + ".yq"), Map.of()));
        nodes.add(LinearRewriter.node("MatMul", "", p + ".oy", List.of(in + "xo", p + ".oW"), List.of(p + ".oy"), Map.of()));
        nodes.add(LinearRewriter.node("Add", "", p + ".sum", List.of(p + ".yq", p + ".oy"), List.of(linear.output()), Map.of()));
        if (unsigned) {
            byte[] zp = new byte[n];
            Arrays.fill(zp, (byte) 128);
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (byte) (codes[i] + 128);
            }
            inits.add(LinearRewriter.tensor(p + ".W", LinearRewriter.UINT8, new long[] {k, n}, codes));
            inits.add(LinearRewriter.tensor(p + ".Wz", LinearRewriter.UINT8, new long[] {n}, zp));
        } else {
            inits.add(LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes));
            inits.add(LinearRewriter.tensor(p + ".Wz", INT8, new long[] {n}, new byte[n]));
        }
        inits.add(LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, floats(scales)));
        inits.add(LinearRewriter.tensor(p + ".oW", FLOAT, new long[] {outlierDims.length, n}, floats(outlierRows)));
        return new Replacement(nodes, inits);
    }

    private static Replacement rowStatic(Linear linear, int abits, int wbits, int[] outlierDims, boolean firstReader) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        boolean[] outlier = new boolean[k];
        for (int d : outlierDims) {
            outlier[d] = true;
        }
        int wMax = (1 << (wbits - 1)) - 1;
        int aMax = (1 << (abits - 1)) - 1;
        int aZero = 1 << (abits - 1);
        float[] scales = new float[n];
        byte[] codes = new byte[k * n];
        float[] outlierRows = new float[outlierDims.length * n];
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                if (!outlier[row]) {
                    max = Math.max(max, Math.abs(w[col * k + row]));
                }
            }
            scales[col] = max == 0 ? 1 : max / wMax;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = outlier[row] ? 0
                        : (byte) Math.max(-wMax, Math.min(wMax, Math.round(w[col * k + row] / scales[col])));
            }
            for (int i = 0; i < outlierDims.length; i++) {
                outlierRows[i * n + col] = w[col * k + outlierDims[i]];
            }
        }
        String in = "rs." + linear.input() + ".";
        String p = linear.name().replace(".weight", "") + ".rs";
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> inits = new ArrayList<>();
        if (firstReader) {
            float[] mask = new float[k];
            Arrays.fill(mask, 1);
            long[] idx = new long[outlierDims.length];
            for (int i = 0; i < idx.length; i++) {
                mask[outlierDims[i]] = 0;
                idx[i] = outlierDims[i];
            }
            java.nio.ByteBuffer ib = java.nio.ByteBuffer.allocate(idx.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            ib.asLongBuffer().put(idx);
            inits.add(LinearRewriter.tensor(in + "mask", FLOAT, new long[] {k}, floats(mask)));
            inits.add(LinearRewriter.tensor(in + "oidx", io.bertstream.engine.model.onnx.OnnxFields.INT64,
                    new long[] {idx.length}, ib.array()));
            inits.add(LinearRewriter.tensor(in + "tiny", FLOAT, new long[0], floats(new float[] {1e-30f})));
            inits.add(LinearRewriter.tensor(in + "as", FLOAT, new long[0], floats(new float[] {1f / aMax})));
            inits.add(LinearRewriter.tensor(in + "az", LinearRewriter.UINT8, new long[0], new byte[] {(byte) aZero}));
            nodes.add(LinearRewriter.node("Mul", "", in + "masked", List.of(linear.input(), in + "mask"), List.of(in + "xm"), Map.of()));
            nodes.add(LinearRewriter.node("Gather", "", in + "ox", List.of(linear.input(), in + "oidx"), List.of(in + "xo"),
                    Map.of("axis", -1L)));
            nodes.add(LinearRewriter.node("Abs", "", in + "abs", List.of(in + "xm"), List.of(in + "abs"), Map.of()));
            nodes.add(LinearRewriter.node("ReduceMax", "", in + "amax", List.of(in + "abs"), List.of(in + "amax0"),
                    Map.of("axes", new long[] {-1}, "keepdims", 1L)));
            nodes.add(LinearRewriter.node("Max", "", in + "r", List.of(in + "amax0", in + "tiny"), List.of(in + "r"), Map.of()));
            nodes.add(LinearRewriter.node("Div", "", in + "norm", List.of(in + "xm", in + "r"), List.of(in + "xn"), Map.of()));
            nodes.add(LinearRewriter.node("QuantizeLinear", "", in + "q", List.of(in + "xn", in + "as", in + "az"),
                    List.of(in + "xq"), Map.of()));
        }
        nodes.add(LinearRewriter.node("MatMulIntegerToFloat", "com.microsoft", p + ".mm",
                List.of(in + "xq", p + ".W", in + "as", p + ".Ws", in + "az"), List.of(p + ".yr"), Map.of()));
        nodes.add(LinearRewriter.node("Mul", "", p + ".rows", List.of(p + ".yr", in + "r"), List.of(p + ".yq"), Map.of()));
        nodes.add(LinearRewriter.node("MatMul", "", p + ".oy", List.of(in + "xo", p + ".oW"), List.of(p + ".oy"), Map.of()));
        nodes.add(LinearRewriter.node("Add", "", p + ".sum", List.of(p + ".yq", p + ".oy"), List.of(linear.output()), Map.of()));
        inits.add(LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes));
        inits.add(LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, floats(scales)));
        inits.add(LinearRewriter.tensor(p + ".oW", FLOAT, new long[] {outlierDims.length, n}, floats(outlierRows)));
        return new Replacement(nodes, inits);
    }

    static byte[] floats(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    /** A plain MatMul by the weight as block-wise symmetric quantisation would give it back (weight error only). */
    private static Replacement fakeQuant(Linear linear, int bits, int block) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data();
        int maxCode = (1 << (bits - 1)) - 1;
        float[] back = new float[k * n]; // [k, n]
        for (int col = 0; col < n; col++) {
            for (int from = 0; from < k; from += block) {
                float max = 0;
                for (int i = from; i < Math.min(k, from + block); i++) {
                    max = Math.max(max, Math.abs(w[col * k + i]));
                }
                float scale = max == 0 ? 1 : max / maxCode;
                for (int i = from; i < Math.min(k, from + block); i++) {
                    back[i * n + col] = Math.round(w[col * k + i] / scale) * scale;
                }
            }
        }
        ByteBuffer bytes = ByteBuffer.allocate(back.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(back);
        String p = linear.name().replace(".weight", "") + ".fq";
        return new Replacement(List.of(LinearRewriter.node("MatMul", "", p, List.of(linear.input(), p + ".W"),
                List.of(linear.output()), Map.of())),
                List.of(LinearRewriter.tensor(p + ".W", FLOAT, new long[] {k, n}, bytes.array())));
    }

    /** DynamicQuantizeLinear → MatMulInteger → Cast → Mul (the pattern ONNX Runtime fuses into DynamicQuantizeMatMul). */
    private static Replacement perTensor(Linear linear) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        float[] scales = new float[n];
        byte[] codes = new byte[k * n]; // [k, n] as MatMul reads it
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                max = Math.max(max, Math.abs(w[col * k + row]));
            }
            scales[col] = max == 0 ? 1 : max / 127f;
            for (int row = 0; row < k; row++) {
                codes[row * n + col] = (byte) Math.max(-127, Math.min(127, Math.round(w[col * k + row] / scales[col])));
            }
        }
        ByteBuffer scaleBytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        scaleBytes.asFloatBuffer().put(scales);
        String p = linear.name().replace(".weight", "") + ".dq";
        List<byte[]> nodes = List.of(
                LinearRewriter.node("DynamicQuantizeLinear", "", p + ".dql", List.of(linear.input()),
                        List.of(p + ".xq", p + ".xs", p + ".xz"), Map.of()),
                LinearRewriter.node("MatMulInteger", "", p + ".mmi", List.of(p + ".xq", p + ".W", p + ".xz", p + ".Wz"),
                        List.of(p + ".y32"), Map.of()),
                LinearRewriter.node("Cast", "", p + ".cast", List.of(p + ".y32"), List.of(p + ".yf"),
                        Map.of("to", (long) FLOAT)),
                LinearRewriter.node("Mul", "", p + ".s", List.of(p + ".xs", p + ".Ws"), List.of(p + ".scale"), Map.of()),
                LinearRewriter.node("Mul", "", p + ".out", List.of(p + ".yf", p + ".scale"), List.of(linear.output()),
                        Map.of()));
        return new Replacement(nodes, List.of(
                LinearRewriter.tensor(p + ".W", INT8, new long[] {k, n}, codes),
                LinearRewriter.tensor(p + ".Ws", FLOAT, new long[] {n}, scaleBytes.array()),
                LinearRewriter.tensor(p + ".Wz", INT8, new long[] {n}, new byte[n])));
    }
}
