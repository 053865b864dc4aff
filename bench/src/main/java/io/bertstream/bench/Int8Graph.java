package io.bertstream.bench;

import io.bertstream.engine.model.onnx.GraphEdit;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxGraph.GraphField;
import io.bertstream.engine.model.onnx.OnnxProto;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;
import io.bertstream.engine.model.onnx.OnnxTensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import static io.bertstream.engine.model.onnx.OnnxProto.FLOAT;
import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_INITIALIZER;
import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_NODE;
import static io.bertstream.engine.model.onnx.OnnxProto.INT8;

/**
 * Dynamic int8 quantisation of an ONNX graph, in Java because ONNX Runtime's {@code quantize_dynamic} exists only
 * in Python. Every MatMul by a constant fp32 weight becomes DynamicQuantizeLinear → MatMulInteger → Cast → Mul,
 * the pattern ONNX Runtime fuses into one int8 kernel (VNNI where the CPU has it). Weights are int8, symmetric,
 * one scale per output column; activations uint8 with a scale computed per call. Everything else (attention
 * score products, LayerNorm, GELU) stays fp32. The graph is read and rewritten with the engine's ONNX codec
 * ({@link OnnxProto}, {@link GraphEdit}); fields it does not touch are copied as they are.
 */
public final class Int8Graph {

    /** DynamicQuantizeLinear needs opset 11. */
    private static final int MIN_OPSET = 11;

    private Int8Graph() {
    }

    /** The quantised copy of the model in a temporary file (deleted when the JVM exits). */
    public static Path quantized(OnnxGraph graph) {
        try {
            Path target = Files.createTempFile("bertstream-int8-", ".onnx");
            target.toFile().deleteOnExit();
            quantize(graph, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the int8 graph", e);
        }
    }

    /** Writes a copy of the model with every MatMul by a constant fp32 [K, N] weight quantised. */
    public static void quantize(OnnxGraph graph, Path target) {
        long opset = graph.opset("");
        if (opset < MIN_OPSET) {
            throw new IllegalArgumentException("the graph's opset " + opset + " predates DynamicQuantizeLinear (opset "
                    + MIN_OPSET + ")");
        }
        GraphEdit edit = new GraphEdit(graph);
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> newInitializers = new ArrayList<>();
        Set<String> quantized = new HashSet<>();
        Set<String> stillUsed = new HashSet<>();
        int count = 0;
        Iterator<Node> parsed = graph.nodes().iterator();
        for (GraphField field : graph.fields()) {
            if (field.number() != GRAPH_NODE) {
                continue;
            }
            Node node = parsed.next(); // the graph's nodes are its node fields, in order
            edit.drop(field); // every node is written again below, in its original order
            List<String> inputs = node.inputs();
            Tensor weight = inputs.size() == 2 ? graph.initializers().get(inputs.get(1)) : null;
            if (node.opType().equals("MatMul") && weight != null && weight.dataType() == FLOAT && weight.dims().length == 2) {
                String w = weight.name();
                String p = "int8_" + count++ + "_";
                if (quantized.add(w)) {
                    newInitializers.addAll(quantizeWeight(w, OnnxTensors.floats(weight, graph.origin()), weight.dims()));
                }
                nodes.add(OnnxProto.node("DynamicQuantizeLinear", p + "dql", List.of(inputs.get(0)),
                        List.of(p + "x_q", p + "x_scale", p + "x_zero"), List.of()));
                nodes.add(OnnxProto.node("MatMulInteger", p + "mmi", List.of(p + "x_q", w + "_q", p + "x_zero", w + "_zero"),
                        List.of(p + "y_int32"), List.of()));
                nodes.add(OnnxProto.node("Cast", p + "cast", List.of(p + "y_int32"), List.of(p + "y_float"),
                        List.of(OnnxProto.intAttribute("to", FLOAT))));
                nodes.add(OnnxProto.node("Mul", p + "scale", List.of(p + "x_scale", w + "_scale"), List.of(p + "scale"), List.of()));
                nodes.add(OnnxProto.node("Mul", p + "out", List.of(p + "y_float", p + "scale"), node.outputs(), List.of()));
            } else {
                stillUsed.addAll(inputs);
                nodes.add(edit.read(field));
            }
        }
        Iterator<Tensor> initializers = graph.initializers().values().iterator();
        for (GraphField field : graph.fields()) {
            if (field.number() == GRAPH_INITIALIZER) {
                String name = initializers.next().name();
                if (quantized.contains(name) && !stillUsed.contains(name)) {
                    edit.drop(field);
                }
            }
        }
        nodes.forEach(node -> edit.append(GRAPH_NODE, node));
        newInitializers.forEach(initializer -> edit.append(GRAPH_INITIALIZER, initializer));
        edit.writeTo(target);
    }

    /** int8 codes, one fp32 scale and a zero point (0) per output column of a [K, N] weight. */
    private static List<byte[]> quantizeWeight(String name, float[] w, long[] shape) {
        int k = (int) shape[0];
        int n = (int) shape[1];
        float[] scales = new float[n];
        for (int col = 0; col < n; col++) {
            float max = 0;
            for (int row = 0; row < k; row++) {
                max = Math.max(max, Math.abs(w[row * n + col]));
            }
            scales[col] = max == 0 ? 1 : max / 127f;
        }
        byte[] codes = new byte[k * n];
        for (int row = 0; row < k; row++) {
            for (int col = 0; col < n; col++) {
                codes[row * n + col] = (byte) Math.max(-127, Math.min(127, Math.round(w[row * n + col] / scales[col])));
            }
        }
        ByteBuffer scaleBytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        scaleBytes.asFloatBuffer().put(scales);
        return List.of(OnnxProto.tensor(name + "_q", INT8, new long[] {k, n}, codes),
                OnnxProto.tensor(name + "_scale", FLOAT, new long[] {n}, scaleBytes.array()),
                OnnxProto.tensor(name + "_zero", INT8, new long[] {n}, new byte[n]));
    }
}
