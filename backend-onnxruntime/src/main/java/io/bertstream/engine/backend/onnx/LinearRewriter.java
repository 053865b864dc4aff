package io.bertstream.engine.backend.onnx;

import io.bertstream.engine.model.onnx.GraphEdit;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxGraph.GraphField;
import io.bertstream.engine.model.onnx.OnnxProto;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;
import io.bertstream.engine.model.onnx.OnnxTensors;
import io.bertstream.engine.model.onnx.OnnxWeights;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_INITIALIZER;
import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_NODE;

/**
 * Replaces the Linear layers of a BERT ONNX export (a MatMul by a constant weight whose output is added to a
 * named bias, the rule {@link OnnxWeights} names weights by) with other nodes, as a {@link GraphEdit} of the model
 * file: each replaced MatMul's node gives way, in place, to the new nodes (so the node list stays in topological
 * order), weights no longer read are dropped, new initializers are appended and produced only while the file is
 * written. Everything else is copied from the original file as it is.
 */
public final class LinearRewriter {

    private static final Pattern ENCODER_LINEAR = Pattern.compile(
            "encoder\\.layer\\.(\\d+)\\.(attention\\.self\\.query|attention\\.self\\.key|attention\\.self\\.value"
                    + "|attention\\.output\\.dense|intermediate\\.dense|output\\.dense)\\.weight");

    private LinearRewriter() {
    }

    /** What a Linear computes inside a BERT layer. */
    public enum Kind {
        QUERY("q"), KEY("k"), VALUE("v"), ATTENTION_OUTPUT("attn-out"), FFN_UP("ffn-up"), FFN_DOWN("ffn-down"),
        /** a Linear outside the encoder layers (a pooler, a head) */
        OTHER("other");

        public final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * One Linear of the graph.
     *
     * @param input  the value it multiplies
     * @param output the MatMul's output (before the bias is added)
     * @param name   Hugging Face name of its weight, e.g. {@code encoder.layer.3.intermediate.dense.weight}
     * @param layer  encoder layer, -1 outside the encoder
     * @param in     input features (K)
     * @param out    output features (N)
     * @param weight the weight as the MatMul reads it, [in, out] row-major, read from the model file when called
     */
    public record Linear(String input, String output, String name, int layer, Kind kind, int in, int out,
                         Supplier<float[]> weight) {
    }

    /**
     * An initializer a replacement adds; {@code data} ({@code bytes} long, little-endian) is called only when the
     * file is written, so a quantised weight need not be held beside the others.
     */
    public record NewTensor(String name, int dataType, long[] dims, int bytes, Supplier<byte[]> data) {

        /** A tensor whose data is at hand (scales, indices: small). */
        public static NewTensor of(String name, int dataType, long[] dims, byte[] data) {
            return new NewTensor(name, dataType, dims, data.length, () -> data);
        }
    }

    /** Nodes (serialised NodeProtos) that compute {@link Linear#output()} instead, and the initializers they add. */
    public record Replacement(List<byte[]> nodes, List<NewTensor> initializers) {
    }

    private record Found(int node, Linear linear) {
    }

    /** Every Linear of the graph, in node order. */
    public static List<Linear> linears(OnnxGraph graph) {
        return find(graph).stream().map(Found::linear).toList();
    }

    /** An edit of the model with each Linear for which {@code replace} gives a replacement rewritten. */
    public static GraphEdit rewrite(OnnxGraph graph, Function<Linear, Optional<Replacement>> replace) {
        GraphEdit edit = new GraphEdit(graph);
        List<GraphField> nodeFields = graph.fields(GRAPH_NODE);
        Set<Integer> replacedNodes = new HashSet<>();
        for (Found found : find(graph)) {
            Optional<Replacement> replacement = replace.apply(found.linear());
            if (replacement.isPresent()) {
                edit.replace(nodeFields.get(found.node()), replacement.get().nodes());
                for (NewTensor t : replacement.get().initializers()) {
                    edit.append(GRAPH_INITIALIZER, OnnxProto.tensorHead(t.name(), t.dataType(), t.dims(), t.bytes()),
                            t.bytes(), t.data());
                }
                replacedNodes.add(found.node());
            }
        }
        Set<String> stillRead = new HashSet<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            if (!replacedNodes.contains(i)) {
                stillRead.addAll(graph.nodes().get(i).inputs());
            }
        }
        Set<String> unread = new HashSet<>();
        replacedNodes.forEach(i -> unread.add(graph.nodes().get(i).inputs().get(1)));
        unread.removeAll(stillRead);
        List<GraphField> initializerFields = graph.fields(GRAPH_INITIALIZER);
        int i = 0;
        for (String name : graph.initializers().keySet()) {
            if (unread.contains(name)) {
                edit.drop(initializerFields.get(i));
            }
            i++;
        }
        return edit;
    }

    /** MatMul(x, W) with W a 2-D floating-point initializer that {@link OnnxWeights} names after its bias. */
    private static List<Found> find(OnnxGraph graph) {
        List<Found> found = new ArrayList<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            Node node = graph.nodes().get(i);
            if (!node.opType().equals("MatMul") || node.inputs().size() != 2) {
                continue;
            }
            Tensor weight = graph.initializers().get(node.inputs().get(1));
            if (weight == null || weight.dims().length != 2 || !OnnxTensors.isFloatingPoint(weight)) {
                continue;
            }
            Optional<String> name = OnnxWeights.nameMatMulWeight(graph, weight.name());
            if (name.isEmpty()) {
                continue;
            }
            Matcher m = ENCODER_LINEAR.matcher(name.get());
            int layer = m.matches() ? Integer.parseInt(m.group(1)) : -1;
            Kind kind = !m.matches() ? Kind.OTHER : switch (m.group(2)) {
                case "attention.self.query" -> Kind.QUERY;
                case "attention.self.key" -> Kind.KEY;
                case "attention.self.value" -> Kind.VALUE;
                case "attention.output.dense" -> Kind.ATTENTION_OUTPUT;
                case "intermediate.dense" -> Kind.FFN_UP;
                default -> Kind.FFN_DOWN;
            };
            found.add(new Found(i, new Linear(node.inputs().get(0), node.outputs().get(0), name.get(), layer, kind,
                    Math.toIntExact(weight.dims()[0]), Math.toIntExact(weight.dims()[1]),
                    () -> OnnxTensors.floats(weight, graph.origin()))));
        }
        return found;
    }
}
