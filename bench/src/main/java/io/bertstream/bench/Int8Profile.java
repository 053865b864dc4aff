package io.bertstream.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** ONNX Runtime's own profile of one variant: kernel time per operator type over the corpus, in fixed 20-row passes. */
public final class Int8Profile {

    private Int8Profile() {
    }

    public static void main(String[] args) throws Exception {
        byte[] fp32 = MiniLmFiles.graph();
        List<String> texts = BenchCorpus.generate(Integer.parseInt(args[0]), 42);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (int v = 1; v < args.length; v++) {
            byte[] graph = args[v].equals("fp32") ? fp32 : Int8Research.graph(fp32, args[v]);
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                 HuggingFaceTokenizer tokenizer = MiniLmFiles.tokenizer()) {
                options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.enableProfiling("/tmp/int8-prof-" + v);
                options.setOptimizedModelFilePath("/tmp/int8-opt-" + v + ".onnx");
                String file;
                long start;
                try (OrtSession session = env.createSession(graph, options)) {
                    start = System.nanoTime();
                    // fixed-shape passes: 20 texts padded to 64 tokens (truncated), like a typical sorted pass
                    for (int i = 0; i + 20 <= texts.size(); i += 20) {
                        long[] ids = new long[20 * 64];
                        long[] mask = new long[20 * 64];
                        for (int r = 0; r < 20; r++) {
                            Encoding e = tokenizer.encode(texts.get(i + r));
                            int len = Math.min(64, e.getIds().length);
                            System.arraycopy(e.getIds(), 0, ids, r * 64, len);
                            System.arraycopy(e.getAttentionMask(), 0, mask, r * 64, len);
                        }
                        long[] shape = {20, 64};
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
                        String op = event.path("args").path("op_name").asText();
                        double us = event.path("dur").asDouble();
                        byOp.computeIfAbsent(op, k -> new double[2])[0] += us / 1000;
                        byOp.get(op)[1]++;
                        total += us / 1000;
                    }
                }
                System.out.printf(Locale.ROOT, "== %s: wall %.0f ms, kernels %.0f ms%n", args[v], wall, total);
                double t = total;
                byOp.entrySet().stream().sorted((x, y) -> Double.compare(y.getValue()[0], x.getValue()[0]))
                        .forEach(e -> System.out.printf(Locale.ROOT, "  %-28s %8.1f ms %5.1f %% %6.0f calls%n", e.getKey(),
                                e.getValue()[0], 100 * e.getValue()[0] / t, e.getValue()[1]));
            }
        }
    }
}
