package io.bertstream.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.backend.onnx.Int8Quantizer;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * ONNX Runtime's own profile of {@link Int8Research}'s variants: kernel time per operator type (after ONNX Runtime's
 * graph optimisations, so fused operators show under their fused names) over the corpus, in fixed 20-row passes of
 * 64 tokens.
 *
 * <pre>
 * java -cp ... io.bertstream.bench.Int8Profile TEXTS VARIANT...
 * </pre>
 */
public final class Int8Profile {

    private static final int ROWS = 20;
    private static final int TOKENS = 64;

    private Int8Profile() {
    }

    public static void main(String[] args) throws Exception {
        List<String> texts = BenchCorpus.generate(Integer.parseInt(args[0]), 42);
        int threads = Runtime.getRuntime().availableProcessors();
        LoadedModel model = BuiltinModels.load(BuiltinModels.MINILM);
        OnnxGraph fp32 = model.onnxGraph().orElseThrow();
        Map<String, float[]> calibration = Int8Quantizer.calibrate(model, Int8Quantizer.calibrationTexts(), threads);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (String spec : List.of(args).subList(1, args.length)) {
            Path graph = spec.equals("fp32") ? fp32.file()
                    : Int8Research.graphFile(fp32, Int8Research.variant(spec), calibration);
            Path profile = Files.createTempFile("bertstream-int8-profile-", "");
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                 HuggingFaceTokenizer tokenizer = MiniLmFiles.tokenizer()) {
                options.setIntraOpNumThreads(threads);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.enableProfiling(profile.toString());
                String file;
                long start;
                try (OrtSession session = env.createSession(graph.toString(), options)) {
                    start = System.nanoTime();
                    for (int i = 0; i + ROWS <= texts.size(); i += ROWS) {
                        long[] ids = new long[ROWS * TOKENS];
                        long[] mask = new long[ROWS * TOKENS];
                        for (int r = 0; r < ROWS; r++) {
                            Encoding e = tokenizer.encode(texts.get(i + r));
                            int len = Math.min(TOKENS, e.getIds().length);
                            System.arraycopy(e.getIds(), 0, ids, r * TOKENS, len);
                            System.arraycopy(e.getAttentionMask(), 0, mask, r * TOKENS, len);
                        }
                        long[] shape = {ROWS, TOKENS};
                        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                             OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                             OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
                             OrtSession.Result result = session.run(Map.of("input_ids", a, "attention_mask", b,
                                     "token_type_ids", c))) {
                            result.get(0);
                        }
                    }
                    file = session.endProfiling();
                }
                double wall = (System.nanoTime() - start) / 1e6;
                Map<String, double[]> byOp = new TreeMap<>();
                double total = 0;
                for (JsonNode event : new ObjectMapper().readTree(Path.of(file).toFile())) {
                    if (event.path("cat").asText().equals("Node") && event.path("name").asText().endsWith("_kernel_time")) {
                        double ms = event.path("dur").asDouble() / 1000;
                        double[] op = byOp.computeIfAbsent(event.path("args").path("op_name").asText(), k -> new double[2]);
                        op[0] += ms;
                        op[1]++;
                        total += ms;
                    }
                }
                Files.deleteIfExists(Path.of(file));
                System.out.printf(Locale.ROOT, "== %s: wall %.0f ms, kernels %.0f ms%n", spec, wall, total);
                double t = total;
                byOp.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]))
                        .forEach(e -> System.out.printf(Locale.ROOT, "  %-28s %8.1f ms %5.1f %% %6.0f calls%n", e.getKey(),
                                e.getValue()[0], 100 * e.getValue()[0] / t, e.getValue()[1]));
            } finally {
                Files.deleteIfExists(profile);
            }
        }
    }
}
