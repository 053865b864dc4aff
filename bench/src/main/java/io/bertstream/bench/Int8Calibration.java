package io.bertstream.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.backend.onnx.LinearRewriter;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Per input dimension absolute maxima of every Linear's input over calibration texts, one text at a time. */
public final class Int8Calibration {

    private Int8Calibration() {
    }

    /** Linear input value name → max |x| per input dimension. */
    public static Map<String, float[]> absMax(byte[] fp32, List<String> texts) {
        OnnxGraph graph = OnnxGraph.parse(fp32, "minilm");
        List<String> inputs = new ArrayList<>(new LinkedHashSet<>(LinearRewriter.linears(graph).stream().map(Linear::input).toList()));
        Map<String, float[]> max = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             HuggingFaceTokenizer tokenizer = MiniLmFiles.tokenizer()) {
            options.setIntraOpNumThreads(Runtime.getRuntime().availableProcessors());
            try (OrtSession session = env.createSession(graph.withExtraOutputs(inputs), options)) {
                for (String text : texts) {
                    Encoding e = tokenizer.encode(text);
                    long[] shape = {1, e.getIds().length};
                    try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getIds()), shape);
                         OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getAttentionMask()), shape);
                         OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(e.getTypeIds()), shape);
                         OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", mask,
                                 "token_type_ids", types), new LinkedHashSet<>(inputs))) {
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
        } catch (OrtException ex) {
            throw new IllegalStateException(ex);
        }
        return max;
    }

    public static void main(String[] args) {
        byte[] fp32 = MiniLmFiles.graph();
        OnnxGraph graph = OnnxGraph.parse(fp32, "minilm");
        Map<String, String> names = new LinkedHashMap<>();
        LinearRewriter.linears(graph).forEach(l -> names.merge(l.input(), l.kind().label + "@" + l.layer(), (a, b) -> a + "," + b));
        Map<String, float[]> max = absMax(fp32, BenchCorpus.generate(Integer.parseInt(args[0]), 7));
        for (Map.Entry<String, float[]> e : max.entrySet()) {
            float[] m = e.getValue();
            float[] sorted = m.clone();
            Arrays.sort(sorted);
            float median = sorted[sorted.length / 2];
            StringBuilder top = new StringBuilder();
            Integer[] idx = new Integer[m.length];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = i;
            }
            Arrays.sort(idx, (a, b) -> Float.compare(m[b], m[a]));
            for (int i = 0; i < 8; i++) {
                top.append(String.format(Locale.ROOT, " %d:%.1f", idx[i], m[idx[i]]));
            }
            System.out.printf(Locale.ROOT, "%-40s median %.2f top%s%n", names.get(e.getKey()), median, top);
        }
    }
}
