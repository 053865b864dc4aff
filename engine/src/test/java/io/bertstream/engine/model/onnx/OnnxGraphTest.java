package io.bertstream.engine.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX reading checked against ONNX Runtime running the same graph: values computed in Java from the
 * weights we named must equal the tensors ONNX Runtime produces, which proves names, orientation and eps.
 */
class OnnxGraphTest {

    private static final long[][] IDS = {{101, 7592, 2088, 1010, 2023, 2003, 1037, 3231, 102}};

    @Test
    void everyAnonymousMatMulWeightIsNamedAndTransposed() {
        LoadedModel model = TestModels.minilm();
        OnnxGraph graph = model.onnxGraph().orElseThrow();
        long anonymous = graph.nodes().stream()
                .filter(n -> n.opType().equals("MatMul") && n.inputs().get(1).startsWith("onnx::MatMul_"))
                .count();
        assertEquals(6 * 6, anonymous, "q, k, v, attention output, intermediate, output per layer");
        ModelWeights weights = model.weights();
        assertEquals(5 + 6 * 16, weights.size());
        for (int layer = 0; layer < 6; layer++) {
            String prefix = "encoder.layer." + layer + ".";
            assertArrayEquals(new long[] {384, 384}, weights.get(prefix + "attention.self.query.weight").shape());
            assertArrayEquals(new long[] {1536, 384}, weights.get(prefix + "intermediate.dense.weight").shape());
            assertArrayEquals(new long[] {384, 1536}, weights.get(prefix + "output.dense.weight").shape());
        }
    }

    @Test
    void hiddenStateOutputsAreTheLayerNormOutputsAndOnnxRuntimeReturnsThem(@TempDir Path dir) throws OrtException {
        LoadedModel model = TestModels.minilm();
        OnnxGraph graph = model.onnxGraph().orElseThrow();
        List<String> hidden = OnnxHiddenStates.outputs(graph);
        assertEquals(7, hidden.size());
        assertEquals("last_hidden_state", hidden.get(6), "the last layer's output is the graph's own output");

        String query = "/encoder/layer.0/attention/self/query/Add_output_0";
        List<String> wanted = new ArrayList<>(hidden);
        wanted.add(query);
        Path rewritten = dir.resolve("rewritten.onnx");
        OnnxHiddenStates.withExtraOutputs(graph, wanted).writeTo(rewritten);
        assertEquals(List.of("last_hidden_state"), graph.outputNames());
        OnnxGraph reparsed = OnnxGraph.parse(rewritten, "rewritten");
        assertEquals(graph.initializers().keySet(), reparsed.initializers().keySet(), "every weight copied");
        assertEquals(graph.nodes().size(), reparsed.nodes().size(), "every node copied");
        assertEquals(hidden.size() + 1 + 0, reparsed.outputNames().size(),
                "last_hidden_state is not repeated: " + reparsed.outputNames());

        Map<String, float[][]> outputs = runOnnxRuntime(rewritten, reparsed.outputNames());
        float[][] embeddings = outputs.get(hidden.get(0));
        float[][] expectedEmbeddings = embeddingLayerNorm(model, IDS[0]);
        assertClose(expectedEmbeddings, embeddings, 1e-5f);

        // layer 0's query projection from our (transposed, named) weight: hidden0 · Wᵀ + b
        float[][] expectedQuery = linear(embeddings,
                model.weights().get("encoder.layer.0.attention.self.query.weight").data(),
                model.weights().get("encoder.layer.0.attention.self.query.bias").data());
        assertClose(expectedQuery, outputs.get(query), 1e-4f);
    }

    @Test
    void unknownOutputNameIsRefused() {
        OnnxGraph graph = TestModels.minilm().onnxGraph().orElseThrow();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxHiddenStates.withExtraOutputs(graph, List.of("no-such-value")));
        assertTrue(e.getMessage().contains("no-such-value"));
    }

    @Test
    void knobsMissingFromTheWeightsComeFromTheGraph() {
        BertConfig config = TestModels.minilm().config();
        assertEquals(12, config.numAttentionHeads());
        assertEquals(1e-12, config.layerNormEps(), 1e-15);
        assertEquals("gelu", config.hiddenAct());
    }

    private static Map<String, float[][]> runOnnxRuntime(Path model, List<String> outputs) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[][] mask = {new long[IDS[0].length]};
        Arrays.fill(mask[0], 1);
        long[][] types = {new long[IDS[0].length]};
        try (OrtSession session = env.createSession(model.toString(), new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, IDS);
             OnnxTensor attention = OnnxTensor.createTensor(env, mask);
             OnnxTensor typeIds = OnnxTensor.createTensor(env, types);
             OrtSession.Result result = session.run(
                     Map.of("input_ids", ids, "attention_mask", attention, "token_type_ids", typeIds),
                     new HashSet<>(outputs))) {
            Map<String, float[][]> values = new HashMap<>();
            for (String name : outputs) {
                values.put(name, ((float[][][]) result.get(name).orElseThrow().getValue())[0]);
            }
            return values;
        }
    }

    private static float[][] embeddingLayerNorm(LoadedModel model, long[] ids) {
        ModelWeights w = model.weights(); // each get() reads the tensor from the file: once each
        float[] words = w.get("embeddings.word_embeddings.weight").data();
        float[] positions = w.get("embeddings.position_embeddings.weight").data();
        float[] types = w.get("embeddings.token_type_embeddings.weight").data();
        float[] gamma = w.get("embeddings.LayerNorm.weight").data();
        float[] beta = w.get("embeddings.LayerNorm.bias").data();
        int h = model.config().hiddenSize();
        float[][] out = new float[ids.length][h];
        for (int t = 0; t < ids.length; t++) {
            double[] x = new double[h];
            for (int i = 0; i < h; i++) {
                x[i] = words[(int) ids[t] * h + i] + positions[t * h + i] + types[i];
            }
            double mean = Arrays.stream(x).average().orElseThrow();
            double variance = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
            for (int i = 0; i < h; i++) {
                out[t][i] = (float) ((x[i] - mean) / Math.sqrt(variance + model.config().layerNormEps())
                        * gamma[i] + beta[i]);
            }
        }
        return out;
    }

    private static float[][] linear(float[][] x, float[] weightOutIn, float[] bias) {
        int in = x[0].length;
        int outSize = bias.length;
        float[][] y = new float[x.length][outSize];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < outSize; o++) {
                double sum = bias[o];
                for (int i = 0; i < in; i++) {
                    sum += x[t][i] * weightOutIn[o * in + i];
                }
                y[t][o] = (float) sum;
            }
        }
        return y;
    }

    private static void assertClose(float[][] expected, float[][] actual, float tolerance) {
        assertEquals(expected.length, actual.length);
        float worst = 0;
        for (int t = 0; t < expected.length; t++) {
            assertEquals(expected[t].length, actual[t].length);
            for (int i = 0; i < expected[t].length; i++) {
                worst = Math.max(worst, Math.abs(expected[t][i] - actual[t][i]));
            }
        }
        assertTrue(worst <= tolerance, "max abs difference " + worst + " > " + tolerance);
    }
}
