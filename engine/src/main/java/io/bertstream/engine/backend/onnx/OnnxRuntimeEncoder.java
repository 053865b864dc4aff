package io.bertstream.engine.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.TokenBatch;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BERT on ONNX Runtime's CPU provider, running an ONNX export whose hidden states (embedding output and every
 * layer's output) were made graph outputs at load time; each call fetches only the layers asked for.
 *
 * <p>Why ONNX Runtime's own Java API rather than DJL's onnxruntime engine: DJL's engine pins its own ORT release
 * (and a second DJL engine artifact), and hides two things this backend needs: the session options (intra-op
 * threads, graph optimisation level) and the per-run choice of which outputs to fetch. Here every OnnxTensor and
 * Result is closed by try-with-resources, so native memory never waits on a garbage collector.
 */
public final class OnnxRuntimeEncoder implements Encoder {

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final OrtEnvironment environment;
    private final String name;
    private final OrtSession session;
    private final List<String> hiddenStateOutputs;
    private final int maxPositions;

    /**
     * @param model              ONNX model bytes with every hidden state exposed as a graph output
     * @param hiddenStateOutputs output name of hidden state i (0 = embedding output, 1..N = layers)
     * @param maxPositions       rows longer than this are refused (the position table would overflow)
     * @param threads            intra-op threads; 0 = one per core
     */
    public OnnxRuntimeEncoder(byte[] model, List<String> hiddenStateOutputs, int maxPositions, int threads) {
        this(model, hiddenStateOutputs, maxPositions, threads, "onnxruntime-cpu");
    }

    private OnnxRuntimeEncoder(byte[] model, List<String> hiddenStateOutputs, int maxPositions, int threads, String name) {
        this.environment = OrtEnvironment.getEnvironment();
        this.name = name;
        this.hiddenStateOutputs = List.copyOf(hiddenStateOutputs);
        this.maxPositions = maxPositions;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = environment.createSession(model, options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot open the model: " + e.getMessage(), e);
        }
        try {
            requireNames(session.getOutputNames(), this.hiddenStateOutputs, "output");
            requireNames(session.getInputNames(), List.of(INPUT_IDS), "input");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static void requireNames(Set<String> present, List<String> needed, String kind) {
        for (String name : needed) {
            if (!present.contains(name)) {
                throw new IllegalStateException("ONNX graph has no " + kind + " '" + name + "' (has " + present + ")");
            }
        }
    }

    /** Opens the model's ONNX export with every hidden state added as a graph output. */
    public static OnnxRuntimeEncoder load(LoadedModel model, int threads) {
        return load(model, threads, Precision.FP32);
    }

    /**
     * Opens the model's ONNX export, fp32 or rewritten by the int8 recipe ({@link Int8Quantizer}; quantised once and
     * kept in the model cache), with every hidden state added as a graph output.
     */
    public static OnnxRuntimeEncoder load(LoadedModel model, int threads, Precision precision) {
        if (precision != Precision.FP32 && precision != Precision.INT8) {
            throw new IllegalArgumentException("the ONNX Runtime backend runs fp32 or int8, not " + precision);
        }
        byte[] original = model.onnxModel().orElseThrow(() -> new IllegalArgumentException(
                "model " + model.identity().name() + " has no ONNX graph; use the PyTorch backend"));
        byte[] graphBytes = original;
        String name = "onnxruntime-cpu";
        if (precision == Precision.INT8) {
            graphBytes = Int8Graphs.load(model, original);
            name = "onnxruntime-cpu-int8:" + Int8Quantizer.RECIPE;
        }
        OnnxGraph graph = OnnxGraph.parse(graphBytes, model.identity().name());
        List<String> hiddenStates = graph.hiddenStateOutputs();
        return new OnnxRuntimeEncoder(graph.withExtraOutputs(hiddenStates), hiddenStates, model.maxTokens(), threads, name);
    }

    /** "onnxruntime-cpu", or "onnxruntime-cpu-int8:RECIPE": it reaches every record, so int8 vectors say so. */
    @Override
    public String name() {
        return name;
    }

    @Override
    public int numLayers() {
        return hiddenStateOutputs.size() - 1;
    }

    @Override
    public HiddenStates forward(TokenBatch batch, int[] layers) {
        if (batch.seqLen() > maxPositions) {
            throw new IllegalArgumentException("sequence of " + batch.seqLen() + " tokens exceeds the model's "
                    + maxPositions + " positions");
        }
        Set<String> requested = new LinkedHashSet<>();
        for (int layer : layers) {
            if (layer < 0 || layer > numLayers()) {
                throw new IllegalArgumentException("hidden-state index " + layer + " outside 0.." + numLayers());
            }
            requested.add(hiddenStateOutputs.get(layer));
        }
        long[] shape = {batch.size(), batch.seqLen()};
        Set<String> inputNames = session.getInputNames();
        try (OnnxTensor ids = tensor(batch.inputIds(), shape);
             OnnxTensor mask = tensor(batch.attentionMask(), shape);
             OnnxTensor types = tensor(batch.tokenTypeIds(), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(INPUT_IDS, ids);
            if (inputNames.contains(ATTENTION_MASK)) {
                inputs.put(ATTENTION_MASK, mask);
            }
            if (inputNames.contains(TOKEN_TYPE_IDS)) {
                inputs.put(TOKEN_TYPE_IDS, types);
            }
            try (OrtSession.Result result = session.run(inputs, requested)) {
                float[][] data = new float[layers.length][];
                int hidden = 0;
                for (int i = 0; i < layers.length; i++) {
                    OnnxValue value = result.get(hiddenStateOutputs.get(layers[i])).orElseThrow();
                    OnnxTensor tensor = (OnnxTensor) value;
                    long[] outShape = tensor.getInfo().getShape();
                    hidden = (int) outShape[outShape.length - 1];
                    FloatBuffer buffer = tensor.getFloatBuffer();
                    data[i] = new float[buffer.remaining()];
                    buffer.get(data[i]);
                }
                return new HiddenStates(batch.size(), batch.seqLen(), hidden, layers.clone(), data);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime forward pass failed: " + e.getMessage(), e);
        }
    }

    private OnnxTensor tensor(long[] values, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(environment, LongBuffer.wrap(values), shape);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX Runtime session failed", e);
        }
    }
}
