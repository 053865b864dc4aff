package io.bertstream.engine.backend.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxHiddenStates;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
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
     * @param model              an ONNX model file with every hidden state exposed as a graph output
     * @param hiddenStateOutputs output name of hidden state i (0 = embedding output, 1..N = layers)
     * @param maxPositions       rows longer than this are refused (the position table would overflow)
     * @param threads            intra-op threads; 0 = one per core
     * @param name               what {@link #name()} reports (it reaches every record)
     */
    OnnxRuntimeEncoder(Path model, List<String> hiddenStateOutputs, int maxPositions, int threads, String name) {
        this.environment = OrtEnvironment.getEnvironment();
        this.name = name;
        this.hiddenStateOutputs = List.copyOf(hiddenStateOutputs);
        this.maxPositions = maxPositions;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // from the file: ONNX Runtime reads it itself, so the Java heap never holds the model
            this.session = environment.createSession(model.toString(), options);
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

    /** Opens the model's fp32 ONNX export with every hidden state added as a graph output. */
    public static OnnxRuntimeEncoder load(LoadedModel model, int threads) {
        return load(model, threads, Precision.FP32);
    }

    /**
     * Opens the model's ONNX export with every hidden state added as a graph output (a file in the model cache):
     * fp32 as exported, or int8 as {@link Int8Quantizer#SHIPPED} rewrites it (quantised once, then cached).
     */
    public static OnnxRuntimeEncoder load(LoadedModel model, int threads, Precision precision) {
        OnnxGraph graph = model.onnxGraph().orElseThrow(() -> new IllegalArgumentException(
                "model " + model.identity().name() + " has no ONNX graph; use the PyTorch backend"));
        List<String> hiddenStates = OnnxHiddenStates.outputs(graph);
        return switch (precision) {
            case FP32 -> new OnnxRuntimeEncoder(OnnxHiddenStates.modelFile(graph, model.identity().sha256()),
                    hiddenStates, model.maxTokens(), threads, "onnxruntime-cpu");
            case INT8 -> new OnnxRuntimeEncoder(Int8Graphs.modelFile(model, Int8Quantizer.SHIPPED, threads),
                    hiddenStates, model.maxTokens(), threads, "onnxruntime-cpu-int8:" + Int8Quantizer.SHIPPED.name());
            default -> throw new IllegalArgumentException("the ONNX Runtime backend runs fp32 or int8, not " + precision);
        };
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
    public HiddenStates forward(TokenPass pass, int[] layers) {
        if (pass.seqLen() > maxPositions) {
            throw new IllegalArgumentException("sequence of " + pass.seqLen() + " tokens exceeds the model's "
                    + maxPositions + " positions");
        }
        List<String> requested = new ArrayList<>();
        for (int layer : layers) {
            requested.add(hiddenStateOutputs.get(layer));
        }
        Map<String, OutputTensor> outputs = run(pass, requested);
        float[][] data = new float[layers.length][];
        int hidden = 0;
        for (int i = 0; i < layers.length; i++) {
            OutputTensor output = outputs.get(requested.get(i));
            hidden = output.lastDim();
            data[i] = output.values();
        }
        return new HiddenStates(pass.size(), pass.seqLen(), hidden, layers.clone(), data);
    }

    /** One output of a run, copied out of native memory. */
    record OutputTensor(int lastDim, float[] values) {
    }

    /** Runs one pass and copies out the named outputs (any of the graph's, not only hidden states). */
    Map<String, OutputTensor> run(TokenPass pass, Collection<String> outputNames) {
        long[] shape = {pass.size(), pass.seqLen()};
        Set<String> inputNames = session.getInputNames();
        try (OnnxTensor ids = tensor(pass.inputIds(), shape);
             OnnxTensor mask = tensor(pass.attentionMask(), shape);
             OnnxTensor types = tensor(pass.tokenTypeIds(), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put(INPUT_IDS, ids);
            if (inputNames.contains(ATTENTION_MASK)) {
                inputs.put(ATTENTION_MASK, mask);
            }
            if (inputNames.contains(TOKEN_TYPE_IDS)) {
                inputs.put(TOKEN_TYPE_IDS, types);
            }
            try (OrtSession.Result result = session.run(inputs, new LinkedHashSet<>(outputNames))) {
                Map<String, OutputTensor> outputs = new HashMap<>();
                for (String output : outputNames) {
                    OnnxTensor tensor = (OnnxTensor) result.get(output).orElseThrow();
                    long[] outShape = tensor.getInfo().getShape();
                    // getFloatBuffer() already copies the native tensor into a fresh heap array: keep that array
                    // rather than copying it again (a pass's states are megabytes: humongous objects for G1)
                    float[] values = wholeArray(tensor.getFloatBuffer());
                    outputs.put(output, new OutputTensor((int) outShape[outShape.length - 1], values));
                }
                return outputs;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime forward pass failed: " + e.getMessage(), e);
        }
    }

    /** The buffer's backing array when it is exactly the buffer's contents, else a copy of them. */
    static float[] wholeArray(FloatBuffer buffer) {
        if (buffer.hasArray() && buffer.arrayOffset() == 0 && buffer.position() == 0
                && buffer.remaining() == buffer.array().length) {
            return buffer.array();
        }
        float[] copy = new float[buffer.remaining()];
        buffer.get(copy);
        return copy;
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
