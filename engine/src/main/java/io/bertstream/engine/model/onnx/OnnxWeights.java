package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The encoder's weights in an ONNX export, under Hugging Face names. Named initializers keep their names (minus
 * any {@code bert.} prefix); an anonymous MatMul weight ({@code onnx::MatMul_N}, stored [in, out]) is named after
 * the bias its MatMul's output is added to, and read transposed to [out, in]. Values stay in the file until a
 * backend reads them.
 */
public final class OnnxWeights {

    /** Encoder parameters keep their PyTorch names in exports; everything else is graph plumbing. */
    private static final Pattern HF_PARAMETER = Pattern.compile("(bert\\.)?(embeddings|encoder|pooler)\\..+\\.(weight|bias)");

    private OnnxWeights() {
    }

    /** Every floating-point encoder weight, sizes checked now, values read on demand. */
    public static Map<String, ModelWeights.Entry> of(OnnxGraph graph) {
        String origin = graph.origin();
        Map<String, ModelWeights.Entry> entries = new LinkedHashMap<>();
        for (Tensor init : graph.initializers().values()) {
            if (!OnnxTensors.isFloatingPoint(init)) {
                continue; // position_ids and shape constants
            }
            if (HF_PARAMETER.matcher(init.name()).matches()) {
                OnnxTensors.checkSize(init, origin);
                String name = Architecture.stripBertPrefix(init.name());
                entries.put(name, new ModelWeights.Entry(name, init.dims().clone(), () -> OnnxTensors.floats(init, origin)));
                continue;
            }
            Optional<String> weightName = nameMatMulWeight(graph, init.name());
            if (weightName.isEmpty()) {
                continue; // a float constant that is not a parameter (e.g. a folded scale)
            }
            if (init.dims().length != 2) {
                throw new ModelLoadException(origin + ": MatMul weight '" + init.name() + "' is not 2-D: "
                        + Arrays.toString(init.dims()));
            }
            OnnxTensors.checkSize(init, origin);
            int in = Math.toIntExact(init.dims()[0]);
            int out = Math.toIntExact(init.dims()[1]);
            String name = weightName.get();
            entries.put(name, new ModelWeights.Entry(name, new long[] {out, in},
                    () -> FloatFormat.transpose(OnnxTensors.floats(init, origin), in, out)));
        }
        return entries;
    }

    /**
     * MatMul(x, W) → Add(bias, ·): W is the weight of the layer whose bias is {@code X.bias}; named {@code X.weight}
     * (without any {@code bert.} prefix). Empty when the initializer feeds no MatMul as its weight.
     *
     * @throws ModelLoadException when it does, but the MatMul's output is not added to a named bias
     */
    public static Optional<String> nameMatMulWeight(OnnxGraph graph, String initializer) {
        boolean feedsMatMul = false;
        for (Node matMul : graph.consumers(initializer)) {
            if (!matMul.opType().equals("MatMul") || !initializer.equals(matMul.inputs().get(1))) {
                continue;
            }
            feedsMatMul = true;
            for (Node add : graph.consumers(matMul.outputs().get(0))) {
                if (!add.opType().equals("Add")) {
                    continue;
                }
                for (String input : add.inputs()) {
                    if (input.endsWith(".bias") && graph.initializers().containsKey(input)) {
                        String bias = Architecture.stripBertPrefix(input);
                        return Optional.of(bias.substring(0, bias.length() - "bias".length()) + "weight");
                    }
                }
            }
        }
        if (feedsMatMul) {
            throw new ModelLoadException(graph.origin() + ": cannot name MatMul weight '" + initializer
                    + "': its MatMul's output is not added to a named bias");
        }
        return Optional.empty();
    }
}
