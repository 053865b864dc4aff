package io.bertstream.engine.backend.onnx;

import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.backend.onnx.LinearRewriter.Kind;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.backend.onnx.LinearRewriter.NewTensor;
import io.bertstream.engine.backend.onnx.LinearRewriter.Replacement;
import io.bertstream.engine.backend.onnx.OnnxRuntimeEncoder.OutputTensor;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.onnx.GraphEdit;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxHiddenStates;
import io.bertstream.engine.model.onnx.OnnxProto;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;
import io.bertstream.engine.text.TextSegmenter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static io.bertstream.engine.model.onnx.OnnxProto.FLOAT;
import static io.bertstream.engine.model.onnx.OnnxProto.INT64;
import static io.bertstream.engine.model.onnx.OnnxProto.INT8;
import static io.bertstream.engine.model.onnx.OnnxProto.UINT8;
import static io.bertstream.engine.model.onnx.OnnxProto.intAttribute;
import static io.bertstream.engine.model.onnx.OnnxProto.intsAttribute;

/**
 * The int8 rewrite of the ONNX Runtime backend ({@code bertstream.precision=int8}), chosen by measurement
 * (docs/performance.md, "int8 mode"): each quantised Linear multiplies 8-bit activations by 8-bit weights in
 * ONNX Runtime's integer GEMM, and three things keep the vectors within cosine 0.999 of fp32 ({@link #SHIPPED}):
 * <ul>
 *   <li><b>per-token activation scales</b>: each row of the Linear's input is first divided by its own largest
 *       magnitude (then DynamicQuantizeLinear sees rows of equal range), and the output row multiplied back;</li>
 *   <li><b>outlier input dimensions in fp32</b>: up to 16 input dimensions whose calibrated maximum exceeds
 *       {@value #OUTLIER_RATIO}x the median dimension's (BERT's LayerNorm outputs have a few channels 5-15x larger
 *       than the rest) are left out of the int8 product and computed by a small fp32 MatMul, so they coarsen
 *       neither the activation scale nor the weight scale;</li>
 *   <li><b>the sensitive Linears stay fp32</b>: the attention value projection and the FFN down-projection (they
 *       carried most of the error, layer by layer and kind by kind).</li>
 * </ul>
 * Weights are symmetric per output column, 8 bits. The integer sums are exact on every CPU: where the CPU has
 * VNNI (or AMX) ONNX Runtime's u8s8 kernel accumulates in 32 bits; without it (plain AVX2, AVX-512 without VNNI)
 * that kernel adds pairs of products in saturating 16 bits, so the weights are then stored as uint8 with zero
 * point 128 and ONNX Runtime runs its u8u8 kernel, which widens to 16 bits first and cannot saturate. Both give the
 * same integers, so the vectors do not depend on the machine's instruction set.
 */
public final class Int8Quantizer {

    /**
     * What a rewrite does. Its name keys the model cache and reaches every record's backend, so a change to what
     * the rewrite computes needs a new name.
     *
     * @param rowScales   each row of a Linear's input scaled to max |x| = 1 before quantising (per-token scales);
     *                    false: one activation scale per pass (per tensor)
     * @param outlierDims at most this many calibrated outlier input dimensions per Linear input stay fp32; 0 = none
     *                    (and no calibration)
     * @param quantised   which Linears become int8; the others stay fp32
     */
    public record Recipe(String name, boolean rowScales, int outlierDims, Predicate<Linear> quantised) {

        /** Every Linear of the encoder in int8 except those of the given kinds. */
        public static Predicate<Linear> allBut(Set<Kind> keptFp32) {
            Set<Kind> kept = EnumSet.of(Kind.OTHER);
            kept.addAll(keptFp32);
            return linear -> !kept.contains(linear.kind());
        }
    }

    /** What {@code bertstream.precision=int8} runs. */
    public static final Recipe SHIPPED = new Recipe("rowdq8-o16-fp32:v,ffn-down", true, 16,
            Recipe.allBut(EnumSet.of(Kind.VALUE, Kind.FFN_DOWN)));

    /** An outlier dimension's calibrated max |x| exceeds this many times the median dimension's. */
    static final double OUTLIER_RATIO = 2.0;
    /** DynamicQuantizeLinear came with opset 11. */
    private static final long MIN_OPSET = 11;
    /** From opset 18, ReduceMax takes its axes as an input instead of an attribute. */
    private static final long AXES_AS_INPUT = 18;
    private static final String CALIBRATION_TEXTS = "int8-calibration.txt";

    private Int8Quantizer() {
    }

    /** How the int8 weights are stored, which decides ONNX Runtime's integer kernel. */
    public enum WeightFormat {
        /** int8 weights: the u8s8 kernel (32-bit accumulation with VNNI / AMX / ARM dot products) */
        S8,
        /** uint8 weights, zero point 128: the u8u8 kernel (16-bit products, no saturation on AVX2) */
        U8;

        /** S8 where the u8s8 kernel cannot saturate, U8 on x86 CPUs without VNNI or AMX. */
        public static WeightFormat forThisCpu() {
            String arch = System.getProperty("os.arch", "");
            if (!arch.equals("amd64") && !arch.equals("x86_64")) {
                return S8;
            }
            return cpuFlags().stream().anyMatch(f -> f.equals("avx512_vnni") || f.equals("avx_vnni") || f.equals("amx_int8"))
                    ? S8 : U8;
        }
    }

    /** The CPU's feature flags from /proc/cpuinfo (Linux); empty where that file does not exist. */
    public static Set<String> cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return new HashSet<>(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no flags known
        }
        return Set.of();
    }

    /** For log lines: the recipe, the weight format and the CPU flags that chose it. */
    public static String describe(Recipe recipe, WeightFormat format) {
        Set<String> flags = cpuFlags();
        return String.format(Locale.ROOT, "int8 recipe %s, %s weights (CPU: %s%s%s)", recipe.name(),
                format == WeightFormat.S8 ? "int8 (u8s8 kernel)" : "uint8 (u8u8 kernel)",
                flags.contains("avx512_vnni") || flags.contains("avx_vnni") ? "VNNI" : "no VNNI",
                flags.contains("avx512f") ? ", AVX-512" : flags.contains("avx2") ? ", AVX2" : "",
                flags.contains("avx512_bf16") ? ", avx512_bf16 present but unused: ONNX Runtime's CPU provider has no bf16 GEMM on x86" : "");
    }

    /**
     * The edit of the graph that applies the recipe (the caller writes it). Each quantised weight is read twice
     * from the model file, for its scales now and for its codes while the edit is written, so the heap holds one
     * weight at a time.
     *
     * @param inputAbsMax each Linear input's calibrated per-dimension max |x| ({@link #calibrate}); unused (may
     *                    be empty) when the recipe keeps no outlier dimensions
     */
    public static GraphEdit rewrite(OnnxGraph graph, Recipe recipe, Map<String, float[]> inputAbsMax, WeightFormat format) {
        long opset = Math.max(graph.opset(""), graph.opset("ai.onnx"));
        if (opset < MIN_OPSET) {
            throw new ModelLoadException(graph.origin() + ": the graph's opset " + opset + " predates DynamicQuantizeLinear "
                    + "(opset " + MIN_OPSET + "), which int8 needs");
        }
        Set<String> rewrittenInputs = new HashSet<>();
        return LinearRewriter.rewrite(graph, linear -> {
            if (!recipe.quantised().test(linear)) {
                return Optional.empty();
            }
            int[] outliers = new int[0];
            if (recipe.outlierDims() > 0) {
                float[] max = inputAbsMax.get(linear.input());
                if (max == null) {
                    throw new IllegalStateException(graph.origin() + ": no calibration for the input of " + linear.name());
                }
                outliers = outlierDims(max, recipe.outlierDims());
            }
            // the nodes shared by every Linear reading this input go with the first one (first in node order)
            return Optional.of(replace(linear, recipe, outliers, format, rewrittenInputs.add(linear.input()), opset));
        });
    }

    /** The dimensions over {@link #OUTLIER_RATIO} x the median dimension's max, the largest {@code limit}, ascending. */
    static int[] outlierDims(float[] max, int limit) {
        float[] sorted = max.clone();
        Arrays.sort(sorted);
        float median = sorted[sorted.length / 2];
        return IntStream.range(0, max.length).boxed().filter(i -> max[i] > OUTLIER_RATIO * median)
                .sorted((a, b) -> Float.compare(max[b], max[a])).limit(limit)
                .mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The texts the outlier dimensions are calibrated on (bundled; never the texts fidelity is measured on). */
    public static List<String> calibrationTexts() {
        try (InputStream in = Int8Quantizer.class.getResourceAsStream(CALIBRATION_TEXTS)) {
            if (in == null) {
                throw new IllegalStateException(CALIBRATION_TEXTS + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Per-dimension max |x| of every Linear's input over {@code texts}, each text run alone (no padding) in fp32,
     * by ONNX Runtime on a temporary copy of the graph that has those inputs as outputs.
     */
    public static Map<String, float[]> calibrate(LoadedModel model, List<String> texts, int threads) {
        OnnxGraph graph = model.onnxGraph().orElseThrow(() -> new IllegalArgumentException(
                "model " + model.identity().name() + " has no ONNX graph to quantise"));
        Map<String, Integer> widths = new LinkedHashMap<>();
        LinearRewriter.linears(graph).forEach(linear -> widths.putIfAbsent(linear.input(), linear.in()));
        List<String> inputs = List.copyOf(widths.keySet());
        Map<String, float[]> max = new LinkedHashMap<>();
        Path file = null;
        try {
            file = Files.createTempFile("bertstream-int8-calibration-", ".onnx");
            OnnxHiddenStates.withExtraOutputs(graph, inputs).writeTo(file);
            try (OnnxRuntimeEncoder encoder = new OnnxRuntimeEncoder(file, inputs, model.maxTokens(), threads, "calibration");
                 TextSegmenter segmenter = TextSegmenter.forModel(model)) {
                for (String text : texts) {
                    Segment segment = segmenter.segment(text, LengthPolicy.truncateHead()).get(0);
                    long[] mask = new long[segment.length()];
                    Arrays.fill(mask, 1);
                    Map<String, OutputTensor> out = encoder.run(
                            new TokenPass(1, segment.length(), segment.ids(), mask, segment.typeIds()), inputs);
                    for (String input : inputs) {
                        int width = widths.get(input);
                        float[] values = out.get(input).values();
                        float[] m = max.computeIfAbsent(input, k -> new float[width]);
                        for (int i = 0; i < values.length; i++) {
                            m[i % width] = Math.max(m[i % width], Math.abs(values[i]));
                        }
                    }
                }
            }
            return max;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the calibration graph: " + e.getMessage(), e);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file; the JVM's temp directory is cleaned by the OS
                }
            }
        }
    }

    /**
     * One Linear: (shared per input) outlier dims split off and rows scaled to max 1; then the DynamicQuantizeLinear
     * → MatMulInteger → Cast → Mul pattern ONNX Runtime fuses into its int8 kernel; rows scaled back; plus the fp32
     * product of the outlier dims.
     */
    private static Replacement replace(Linear linear, Recipe recipe, int[] outlierDims, WeightFormat format,
                                       boolean firstReader, long opset) {
        int k = linear.in();
        int n = linear.out();
        boolean[] outlier = new boolean[k];
        for (int d : outlierDims) {
            outlier[d] = true;
        }
        float[] w = linear.weight().get(); // [k, n]
        float[] scales = new float[n];
        for (int row = 0; row < k; row++) {
            if (!outlier[row]) {
                for (int col = 0; col < n; col++) {
                    scales[col] = Math.max(scales[col], Math.abs(w[row * n + col]));
                }
            }
        }
        for (int col = 0; col < n; col++) {
            scales[col] = scales[col] == 0 ? 1 : scales[col] / 127;
        }
        float[] outlierRows = new float[outlierDims.length * n];
        for (int i = 0; i < outlierDims.length; i++) {
            System.arraycopy(w, outlierDims[i] * n, outlierRows, i * n, n);
        }
        int offset = format == WeightFormat.U8 ? 128 : 0;
        int type = format == WeightFormat.U8 ? UINT8 : INT8;

        boolean outliers = outlierDims.length > 0;
        String in = "int8." + linear.input() + ".";
        String p = "int8." + linear.name().replace(".weight", "") + ".";
        List<byte[]> nodes = new ArrayList<>();
        List<NewTensor> inits = new ArrayList<>();
        String x = linear.input();
        if (outliers) {
            if (firstReader) {
                float[] mask = new float[k];
                Arrays.fill(mask, 1);
                long[] idx = new long[outlierDims.length];
                for (int i = 0; i < idx.length; i++) {
                    mask[outlierDims[i]] = 0;
                    idx[i] = outlierDims[i];
                }
                inits.add(NewTensor.of(in + "mask", FLOAT, new long[] {k}, floats(mask)));
                inits.add(NewTensor.of(in + "outlier_dims", INT64, new long[] {idx.length}, longs(idx)));
                nodes.add(node("Mul", in + "masked", List.of(x, in + "mask"), in + "masked"));
                nodes.add(node("Gather", in + "outliers", List.of(x, in + "outlier_dims"), in + "outliers",
                        intAttribute("axis", -1)));
            }
            x = in + "masked";
        }
        if (recipe.rowScales()) {
            if (firstReader) {
                inits.add(NewTensor.of(in + "tiny", FLOAT, new long[0], floats(new float[] {1e-30f})));
                nodes.add(node("Abs", in + "abs", List.of(x), in + "abs"));
                if (opset < AXES_AS_INPUT) {
                    nodes.add(node("ReduceMax", in + "row_max", List.of(in + "abs"), in + "row_max",
                            intsAttribute("axes", -1), intAttribute("keepdims", 1)));
                } else {
                    inits.add(NewTensor.of(in + "axes", INT64, new long[] {1}, longs(new long[] {-1})));
                    nodes.add(node("ReduceMax", in + "row_max", List.of(in + "abs", in + "axes"), in + "row_max",
                            intAttribute("keepdims", 1)));
                }
                nodes.add(node("Max", in + "row_scale", List.of(in + "row_max", in + "tiny"), in + "row_scale"));
                nodes.add(node("Div", in + "rows", List.of(x, in + "row_scale"), in + "rows"));
            }
            x = in + "rows";
        }
        nodes.add(OnnxProto.node("DynamicQuantizeLinear", p + "quantize", List.of(x),
                List.of(p + "xq", p + "x_scale", p + "x_zero"), List.of()));
        nodes.add(node("MatMulInteger", p + "matmul", List.of(p + "xq", p + "w", p + "x_zero", p + "w_zero"), p + "y_int32"));
        nodes.add(node("Cast", p + "cast", List.of(p + "y_int32"), p + "y_float", intAttribute("to", FLOAT)));
        nodes.add(node("Mul", p + "scale", List.of(p + "x_scale", p + "w_scale"), p + "scale"));
        String dequantized = recipe.rowScales() || outliers ? p + "dequantized" : linear.output();
        nodes.add(node("Mul", p + "dequantize", List.of(p + "y_float", p + "scale"), dequantized));
        String scaledBack = dequantized;
        if (recipe.rowScales()) {
            scaledBack = outliers ? p + "rows_back" : linear.output();
            nodes.add(node("Mul", p + "rows_back", List.of(dequantized, in + "row_scale"), scaledBack));
        }
        if (outliers) {
            inits.add(NewTensor.of(p + "outlier_w", FLOAT, new long[] {outlierDims.length, n}, floats(outlierRows)));
            nodes.add(node("MatMul", p + "outlier_matmul", List.of(in + "outliers", p + "outlier_w"), p + "y_outliers"));
            nodes.add(node("Add", p + "sum", List.of(scaledBack, p + "y_outliers"), linear.output()));
        }
        byte[] zero = new byte[n];
        Arrays.fill(zero, (byte) offset);
        // the codes (k x n bytes) are made again from the weight while the edit is written
        inits.add(new NewTensor(p + "w", type, new long[] {k, n}, k * n,
                () -> codes(linear.weight().get(), k, n, outlier, scales, offset)));
        inits.add(NewTensor.of(p + "w_zero", type, new long[] {n}, zero));
        inits.add(NewTensor.of(p + "w_scale", FLOAT, new long[] {n}, floats(scales)));
        return new Replacement(nodes, inits);
    }

    /** [k, n] codes: round(w / column scale) in [-127, 127], plus {@code offset}; outlier rows are 0 (+ offset). */
    private static byte[] codes(float[] w, int k, int n, boolean[] outlier, float[] scales, int offset) {
        byte[] codes = new byte[k * n];
        for (int row = 0; row < k; row++) {
            for (int col = 0; col < n; col++) {
                int q = outlier[row] ? 0 : Math.max(-127, Math.min(127, Math.round(w[row * n + col] / scales[col])));
                codes[row * n + col] = (byte) (q + offset);
            }
        }
        return codes;
    }

    private static byte[] node(String opType, String name, List<String> inputs, String output, byte[]... attributes) {
        return OnnxProto.node(opType, name, inputs, List.of(output), List.of(attributes));
    }

    private static byte[] floats(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    private static byte[] longs(long[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return bytes.array();
    }
}
