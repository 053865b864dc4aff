package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.onnx.OnnxProto.Attribute;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/** The architecture knobs an ONNX export's weights don't carry, read from its graph: heads, LayerNorm eps, activation. */
public final class OnnxArchitecture {

    private OnnxArchitecture() {
    }

    /**
     * Attention heads, from the Reshape that splits a projection into [batch, seq, heads, head_size]: its
     * shape is a Constant or a Concat of dynamic sizes and Constants. Empty when no such Reshape is found.
     */
    public static OptionalInt attentionHeads(OnnxGraph graph, int hiddenSize) {
        for (Node node : graph.nodes()) {
            if (!node.opType().equals("Reshape") || node.inputs().size() < 2) {
                continue;
            }
            long[] shape = constantShape(graph, node.inputs().get(1));
            if (shape.length == 4 && shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == hiddenSize) {
                return OptionalInt.of((int) shape[2]);
            }
        }
        return OptionalInt.empty();
    }

    /** A shape value's entries, -1 where an entry is computed at run time; empty if it cannot be read. */
    private static long[] constantShape(OnnxGraph graph, String value) {
        long[] constant = constantLongs(graph, value);
        if (constant != null) {
            return constant;
        }
        Node producer = graph.producer(value);
        if (producer == null || !producer.opType().equals("Concat")) {
            return new long[0];
        }
        List<Long> parts = new ArrayList<>();
        for (String input : producer.inputs()) {
            long[] part = constantLongs(graph, input);
            if (part == null) {
                parts.add(-1L); // a dynamic dimension (batch or sequence length), one entry
            } else {
                Arrays.stream(part).forEach(parts::add);
            }
        }
        return parts.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] constantLongs(OnnxGraph graph, String value) {
        Tensor t = constant(graph, value);
        return t == null ? null : OnnxTensors.longs(t);
    }

    /** An initializer, or the value of a Constant node; null when the value is computed. */
    private static Tensor constant(OnnxGraph graph, String value) {
        Tensor init = graph.initializers().get(value);
        if (init != null) {
            return init;
        }
        Node producer = graph.producer(value);
        if (producer != null && producer.opType().equals("Constant") && producer.attributes().containsKey("value")) {
            return producer.attributes().get("value").t();
        }
        return null;
    }

    /**
     * LayerNorm epsilon: a LayerNormalization node's attribute (ONNX default 1e-5 when absent), or in a
     * decomposed LayerNorm the constant added to the variance (the ReduceMean output). Empty if neither.
     */
    public static OptionalDouble layerNormEps(OnnxGraph graph) {
        for (Node node : graph.nodes()) {
            if (node.opType().equals("LayerNormalization")) {
                Attribute eps = node.attributes().get("epsilon");
                return OptionalDouble.of(eps == null ? 1e-5 : FloatFormat.shortestDecimal(eps.f()));
            }
        }
        for (Node node : graph.nodes()) {
            if (!node.opType().equals("Add") || node.inputs().size() != 2) {
                continue;
            }
            for (int i = 0; i < 2; i++) {
                Node variance = graph.producer(node.inputs().get(i));
                if (variance != null && variance.opType().equals("ReduceMean")) {
                    Tensor eps = constant(graph, node.inputs().get(1 - i));
                    OptionalDouble value = eps == null ? OptionalDouble.empty() : OnnxTensors.scalar(eps);
                    if (value.isPresent()) {
                        return value;
                    }
                }
            }
        }
        return OptionalDouble.empty();
    }

    /**
     * The feed-forward activation, found a few nodes downstream of layer 0's intermediate dense: Erf (exact
     * GELU), Tanh (GELU's tanh approximation), Relu, or a fused Gelu / FastGelu. Empty if none is found.
     */
    public static Optional<String> activation(OnnxGraph graph) {
        Optional<Node> dense = graph.nodeTaking("encoder.layer.0.intermediate.dense.bias");
        if (dense.isEmpty()) {
            return Optional.empty();
        }
        Deque<String> frontier = new ArrayDeque<>(dense.get().outputs());
        Set<Node> seen = new HashSet<>();
        while (!frontier.isEmpty() && seen.size() < 8) {
            for (Node next : graph.consumers(frontier.poll())) {
                if (!seen.add(next)) {
                    continue;
                }
                switch (next.opType()) {
                    case "Erf":
                        return Optional.of("gelu");
                    case "Tanh", "FastGelu":
                        return Optional.of("gelu_new");
                    case "Relu":
                        return Optional.of("relu");
                    case "Gelu":
                        Attribute approximate = next.attributes().get("approximate");
                        return Optional.of(approximate != null && approximate.s().equals("tanh") ? "gelu_new" : "gelu");
                    case "MatMul":
                        continue; // the output dense: went past the activation
                    default:
                        frontier.addAll(next.outputs());
                }
            }
        }
        return Optional.empty();
    }
}
