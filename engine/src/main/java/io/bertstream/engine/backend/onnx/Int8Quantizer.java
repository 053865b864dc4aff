package io.bertstream.engine.backend.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.backend.onnx.LinearRewriter.Kind;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.backend.onnx.LinearRewriter.Replacement;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;

import static io.bertstream.engine.model.onnx.OnnxFields.FLOAT;
import static io.bertstream.engine.model.onnx.OnnxFields.INT64;
import static io.bertstream.engine.model.onnx.OnnxFields.INT8;

/**
 * The int8 recipe of the ONNX Runtime backend ({@code bertstream.precision=int8}), chosen by measurement
 * (docs/performance.md, "int8"): each quantised Linear multiplies 8-bit activations by 8-bit weights in ONNX
 * Runtime's integer GEMM, and three things keep the vectors within cosine 0.999 of fp32:
 * <ul>
 *   <li><b>per-token activation scales</b>: each row of the Linear's input is first divided by its own largest
 *       magnitude (then DynamicQuantizeLinear sees rows of equal range), and the output row multiplied back;</li>
 *   <li><b>outlier input dimensions in fp32</b>: the {@value #OUTLIER_DIMS} input dimensions whose calibrated
 *       maximum exceeds {@value #OUTLIER_RATIO}x the median dimension's (BERT's LayerNorm outputs have a few
 *       channels 5-15x larger than the rest) are left out of the int8 product and computed by a small fp32
 *       MatMul, so they neither coarsen the activation scale nor the weight scale;</li>
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

    /** Names the recipe in the model cache and in every record's backend; change it whenever the rewrite changes. */
    public static final String RECIPE = "rowdq8-o16-fp32:v,ffn-down";
    static final int OUTLIER_DIMS = 16;
    static final double OUTLIER_RATIO = 2.0;
    /** Kept fp32: the attention value projection, the FFN down-projection, and anything outside the encoder. */
    static final Set<Kind> KEPT_FP32 = EnumSet.of(Kind.VALUE, Kind.FFN_DOWN, Kind.OTHER);
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

    /** The fp32 graph rewritten by the recipe; calibrates on the bundled calibration texts first. */
    public static byte[] quantize(byte[] fp32, String origin, String tokenizerJson, WeightFormat format) {
        return quantize(fp32, origin, calibrate(fp32, origin, tokenizerJson, calibrationTexts()), format);
    }

    /** The fp32 graph rewritten by the recipe, with each Linear input's calibrated per-dimension max |x|. */
    public static byte[] quantize(byte[] fp32, String origin, Map<String, float[]> inputAbsMax, WeightFormat format) {
        Map<String, int[]> outliers = new HashMap<>();
        inputAbsMax.forEach((input, max) -> outliers.put(input, outlierDims(max)));
        Set<String> quantisedInputs = new HashSet<>();
        return LinearRewriter.rewrite(fp32, origin, linear -> {
            if (KEPT_FP32.contains(linear.kind())) {
                return Optional.empty();
            }
            int[] dims = outliers.get(linear.input());
            if (dims == null) {
                throw new IllegalStateException(origin + ": no calibration for the input of " + linear.name());
            }
            return Optional.of(replace(linear, dims, format, quantisedInputs.add(linear.input())));
        }, Map.of());
    }

    /** The dimensions over {@link #OUTLIER_RATIO} x the median dimension's max, the largest {@link #OUTLIER_DIMS}. */
    static int[] outlierDims(float[] max) {
        float[] sorted = max.clone();
        Arrays.sort(sorted);
        float median = sorted[sorted.length / 2];
        return IntStream.range(0, max.length).boxed().filter(i -> max[i] > OUTLIER_RATIO * median)
                .sorted((a, b) -> Float.compare(max[b], max[a])).limit(OUTLIER_DIMS)
                .mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The texts the outlier dimensions are calibrated on (bundled; never the texts the fidelity is measured on). */
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

    /** Per-dimension max |x| of every Linear's input over {@code texts}, run one text at a time in fp32. */
    public static Map<String, float[]> calibrate(byte[] fp32, String origin, String tokenizerJson, List<String> texts) {
        OnnxGraph graph = OnnxGraph.parse(fp32, origin);
        List<String> inputs = new ArrayList<>(new LinkedHashSet<>(
                LinearRewriter.linears(graph).stream().map(Linear::input).toList()));
        Map<String, float[]> max = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, String> noPadding = Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true");
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                     new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8)), noPadding);
             OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(graph.withExtraOutputs(inputs), options)) {
            Set<String> inputNames = session.getInputNames();
            for (String text : texts) {
                Encoding e = tokenizer.encode(text);
                long[] shape = {1, e.getIds().length};
                try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getIds()), shape);
                     OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getAttentionMask()), shape);
                     OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getTypeIds()), shape)) {
                    Map<String, OnnxTensor> feed = new HashMap<>();
                    feed.put("input_ids", ids);
                    if (inputNames.contains("attention_mask")) {
                        feed.put("attention_mask", mask);
                    }
                    if (inputNames.contains("token_type_ids")) {
                        feed.put("token_type_ids", types);
                    }
                    try (OrtSession.Result result = session.run(feed, new LinkedHashSet<>(inputs))) {
                        for (String name : inputs) {
                            OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
                            long[] s = t.getInfo().getShape();
                            int dims = (int) s[s.length - 1];
                            FloatBuffer b = t.getFloatBuffer();
                            float[] m = max.computeIfAbsent(name, k -> new float[dims]);
                            for (int i = 0; b.hasRemaining(); i = (i + 1) % dims) {
                                m[i] = Math.max(m[i], Math.abs(b.get()));
                            }
                        }
                    }
                }
            }
        } catch (OrtException | IOException e) {
            throw new IllegalStateException(origin + ": int8 calibration failed: " + e.getMessage(), e);
        }
        return max;
    }

    /**
     * One Linear: (shared per input) outlier dims split off, rows scaled to max 1; then the DynamicQuantizeLinear →
     * MatMulInteger → Cast → Mul pattern ONNX Runtime fuses into its int8 kernel; rows scaled back; plus the fp32
     * product of the outlier dims.
     */
    private static Replacement replace(Linear linear, int[] outlierDims, WeightFormat format, boolean firstReader) {
        int k = linear.in();
        int n = linear.out();
        float[] w = linear.weight().data(); // [n, k]
        boolean[] outlier = new boolean[k];
        for (int d : outlierDims) {
            outlier[d] = true;
        }
        float[] scales = new float[n];
        byte[] codes = new byte[k * n]; // [k, n], as MatMulInteger reads it
        float[] outlierRows = new float[outlierDims.length * n];
        int offset = format == WeightFormat.U8 ? 128 : 0;
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                if (!outlier[row]) {
                    max = Math.max(max, Math.abs(w[col * k + row]));
                }
            }
            scales[col] = max == 0 ? 1 : max / 127;
            for (int row = 0; row < k; row++) {
                int q = outlier[row] ? 0 : Math.max(-127, Math.min(127, Math.round(w[col * k + row] / scales[col])));
                codes[row * n + col] = (byte) (q + offset);
            }
            for (int i = 0; i < outlierDims.length; i++) {
                outlierRows[i * n + col] = w[col * k + outlierDims[i]];
            }
        }
        boolean outliers = outlierDims.length > 0;
        String in = "int8." + linear.input() + ".";
        String p = "int8." + linear.name().replace(".weight", "") + ".";
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> inits = new ArrayList<>();
        if (firstReader) {
            String x = linear.input();
            if (outliers) {
                float[] mask = new float[k];
                Arrays.fill(mask, 1);
                long[] idx = new long[outlierDims.length];
                for (int i = 0; i < idx.length; i++) {
                    mask[outlierDims[i]] = 0;
                    idx[i] = outlierDims[i];
                }
                ByteBuffer idxBytes = ByteBuffer.allocate(idx.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                idxBytes.asLongBuffer().put(idx);
                inits.add(LinearRewriter.tensor(in + "mask", FLOAT, new long[] {k}, floats(mask)));
                inits.add(LinearRewriter.tensor(in + "outlier_dims", INT64, new long[] {idx.length}, idxBytes.array()));
                nodes.add(LinearRewriter.node("Mul", "", in + "mask", List.of(x, in + "mask"), List.of(in + "masked"), Map.of()));
                nodes.add(LinearRewriter.node("Gather", "", in + "outliers", List.of(x, in + "outlier_dims"),
                        List.of(in + "outliers"), Map.of("axis", -1L)));
                x = in + "masked";
            }
            inits.add(LinearRewriter.tensor(in + "tiny", FLOAT, new long[0], floats(new float[] {1e-30f})));
            nodes.add(LinearRewriter.node("Abs", "", in + "abs", List.of(x), List.of(in + "abs"), Map.of()));
            nodes.add(LinearRewriter.node("ReduceMax", "", in + "row_max", List.of(in + "abs"), List.of(in + "row_max"),
                    Map.of("axes", new long[] {-1}, "keepdims", 1L)));
            nodes.add(LinearRewriter.node("Max", "", in + "row_scale", List.of(in + "row_max", in + "tiny"),
                    List.of(in + "row_scale"), Map.of()));
            nodes.add(LinearRewriter.node("Div", "", in + "rows", List.of(x, in + "row_scale"), List.of(in + "rows"), Map.of()));
        }
        nodes.add(LinearRewriter.node("DynamicQuantizeLinear", "", p + "quantize", List.of(in + "rows"),
                List.of(p + "xq", p + "x_scale", p + "x_zero"), Map.of()));
        nodes.add(LinearRewriter.node("MatMulInteger", "", p + "matmul", List.of(p + "xq", p + "w", p + "x_zero", p + "w_zero"),
                List.of(p + "y_int32"), Map.of()));
        nodes.add(LinearRewriter.node("Cast", "", p + "cast", List.of(p + "y_int32"), List.of(p + "y_float"),
                Map.of("to", (long) FLOAT)));
        nodes.add(LinearRewriter.node("Mul", "", p + "scale", List.of(p + "x_scale", p + "w_scale"), List.of(p + "scale"), Map.of()));
        nodes.add(LinearRewriter.node("Mul", "", p + "dequantize", List.of(p + "y_float", p + "scale"),
                List.of(p + "y_rows"), Map.of()));
        String scaledBack = outliers ? p + "y_int8" : linear.output();
        nodes.add(LinearRewriter.node("Mul", "", p + "rows_back", List.of(p + "y_rows", in + "row_scale"),
                List.of(scaledBack), Map.of()));
        if (outliers) {
            inits.add(LinearRewriter.tensor(p + "outlier_w", FLOAT, new long[] {outlierDims.length, n}, floats(outlierRows)));
            nodes.add(LinearRewriter.node("MatMul", "", p + "outlier_matmul", List.of(in + "outliers", p + "outlier_w"),
                    List.of(p + "y_outliers"), Map.of()));
            nodes.add(LinearRewriter.node("Add", "", p + "sum", List.of(scaledBack, p + "y_outliers"),
                    List.of(linear.output()), Map.of()));
        }
        int type = format == WeightFormat.U8 ? LinearRewriter.UINT8 : INT8;
        byte[] zero = new byte[n];
        Arrays.fill(zero, (byte) offset);
        inits.add(LinearRewriter.tensor(p + "w", type, new long[] {k, n}, codes));
        inits.add(LinearRewriter.tensor(p + "w_zero", type, new long[] {n}, zero));
        inits.add(LinearRewriter.tensor(p + "w_scale", FLOAT, new long[] {n}, floats(scales)));
        return new Replacement(nodes, inits);
    }

    private static byte[] floats(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }

    /** For log lines: the recipe, the weight format and the CPU flags that chose it. */
    public static String describe(WeightFormat format) {
        Set<String> flags = cpuFlags();
        return String.format(Locale.ROOT, "int8 recipe %s, %s weights (CPU: %s%s%s)", RECIPE,
                format == WeightFormat.S8 ? "int8 (u8s8 kernel)" : "uint8 (u8u8 kernel)",
                flags.contains("avx512_vnni") || flags.contains("avx_vnni") ? "VNNI" : "no VNNI",
                flags.contains("avx512f") ? ", AVX-512" : flags.contains("avx2") ? ", AVX2" : "",
                flags.contains("avx512_bf16") ? ", avx512_bf16 present but unused: ONNX Runtime's CPU provider has no bf16 GEMM on x86" : "");
    }
}
