package io.bertstream.engine.backend;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedSegment;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both backends against ONNX Runtime running the ORIGINAL, unmodified ONNX graph of the model's Maven Central
 * artifact (ORT's Java API used directly here, none of the backend code), and the two backends against each
 * other on every hidden state. The NDArray BERT (PyTorch) and the exported ONNX graph are independent
 * implementations of the same network, so agreement on every layer checks both.
 */
class BackendParityTest {

    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {BuiltinModels.MINILM, BuiltinModels.BGE_SMALL})
    void everyLayerOfBothBackendsMatchesTheOriginalGraph(String name) throws Exception {
        LoadedModel model = ModelLoader.load(name);
        int layers = model.config().numHiddenLayers();
        int[] all = IntStream.rangeClosed(0, layers).toArray();
        // batches with padding: the long text and the one-character text share no forward pass shapes
        List<EncodedText> onnx = encode(model, Backend.ONNXRUNTIME, all);
        List<EncodedText> torch = encode(model, Backend.PYTORCH, all);

        try (OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession reference = env.createSession(originalGraph(name), new OrtSession.SessionOptions())) {
            for (int t = 0; t < SampleTexts.VARIED.size(); t++) {
                EncodedSegment o = onnx.get(t).segments().get(0);
                EncodedSegment p = torch.get(t).segments().get(0);
                float[] expected = lastHiddenState(env, reference, o.segment().ids());
                String where = name + " text " + t + " (" + o.segment().length() + " tokens)";
                assertClose(expected, o.hidden()[layers], "onnxruntime vs original graph, " + where);
                assertClose(expected, p.hidden()[layers], "pytorch vs original graph, " + where);
                for (int layer = 0; layer <= layers; layer++) {
                    assertClose(o.hidden()[layer], p.hidden()[layer], "pytorch vs onnxruntime layer " + layer
                            + ", " + where);
                }
            }
        }
        assertEquals(512, onnx.get(SampleTexts.VARIED.size() - 1).segments().get(0).segment().length(),
                "the long text fills the whole position table");
    }

    private static List<EncodedText> encode(LoadedModel model, Backend backend, int[] layers) {
        try (EmbeddingEngine engine = EmbeddingEngine.open(model, TestEngines.on(backend))) {
            List<EncodedText> encoded = engine.encodeAll(SampleTexts.VARIED, layers, LengthPolicy.truncateHead());
            encoded.forEach(e -> assertTrue(e.ok(), () -> e.error().getMessage()));
            return encoded;
        }
    }

    /** One unpadded row through the untouched graph; returns its only output, last_hidden_state. */
    private static float[] lastHiddenState(OrtEnvironment env, OrtSession session, long[] ids) throws OrtException {
        long[] shape = {1, ids.length};
        try (OnnxTensor inputIds = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(ones(ids.length)), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", inputIds);
            inputs.put("attention_mask", mask);
            if (session.getInputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", types);
            }
            try (OrtSession.Result result = session.run(inputs)) {
                FloatBuffer buffer = ((OnnxTensor) result.get("last_hidden_state").orElseThrow()).getFloatBuffer();
                float[] out = new float[buffer.remaining()];
                buffer.get(out);
                return out;
            }
        }
    }

    private static long[] ones(int n) {
        long[] a = new long[n];
        java.util.Arrays.fill(a, 1L);
        return a;
    }

    private static byte[] originalGraph(String name) throws IOException {
        String resource = name.equals(BuiltinModels.MINILM) ? "/all-minilm-l6-v2.onnx" : "/bge-small-en-v1.5.onnx";
        try (InputStream in = BackendParityTest.class.getResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= TOLERANCE, what + ": max abs diff " + max);
    }
}
