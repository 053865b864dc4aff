package io.bertstream.engine.backend.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.Tensor;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.bertstream.engine.model.onnx.OnnxFields.*;

/**
 * Replaces the Linear layers of a BERT ONNX export (a MatMul by a constant weight whose output is added to a
 * named bias) with other nodes, leaving every other byte of the model as it was. A Linear is found with
 * {@link OnnxGraph}'s reading of the graph; the rewrite works on the protobuf wire format (field numbers from
 * {@code OnnxFields}): replaced nodes are swapped in place (so the node order stays topological), weights no
 * longer read are dropped, new initializers are appended to the graph and new operator domains to the model.
 */
public final class LinearRewriter {

    /** NodeProto.domain; TensorProto.DataType UINT8. */
    private static final int NODE_DOMAIN = 7;
    public static final int UINT8 = 2;
    /** AttributeProto.AttributeType INTS. */
    private static final int ATTRIBUTE_TYPE_INTS = 7;

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
     * @param input      the value it multiplies
     * @param output     the MatMul's output (before the bias is added)
     * @param name       Hugging Face name of its weight, e.g. {@code encoder.layer.3.intermediate.dense.weight}
     * @param layer      encoder layer, -1 outside the encoder
     * @param weight     [out, in] fp32, row-major (PyTorch orientation: one row per output feature)
     */
    public record Linear(String input, String output, String name, int layer, Kind kind, Tensor weight) {

        public int in() {
            return (int) weight.shape()[1];
        }

        public int out() {
            return (int) weight.shape()[0];
        }
    }

    /** Nodes (serialised NodeProto) that compute {@link Linear#output()} instead, and the initializers they read. */
    public record Replacement(List<byte[]> nodes, List<byte[]> initializers) {
    }

    /** Every Linear of the graph, in node order. */
    public static List<Linear> linears(OnnxGraph graph) {
        return List.copyOf(find(graph).values());
    }

    /**
     * The model with each Linear for which {@code replace} gives a replacement rewritten; {@code domains} are
     * operator-set domains (with their version) the new nodes need, added when the model lacks them.
     */
    public static byte[] rewrite(byte[] model, String origin, Function<Linear, Optional<Replacement>> replace,
                                 Map<String, Long> domains) {
        OnnxGraph graph = OnnxGraph.parse(model, origin);
        Map<Integer, Linear> linears = find(graph);
        Map<Integer, Replacement> replacements = new HashMap<>();
        linears.forEach((index, linear) -> replace.apply(linear).ifPresent(r -> replacements.put(index, r)));
        Set<String> stillRead = new HashSet<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            if (!replacements.containsKey(i)) {
                stillRead.addAll(graph.nodes().get(i).inputs());
            }
        }
        Set<String> dropped = new HashSet<>();
        replacements.keySet().forEach(i -> dropped.add(graph.nodes().get(i).inputs().get(1)));
        dropped.removeAll(stillRead);
        try {
            CodedInputStream in = newInput(model);
            ByteArrayOutputStream result = new ByteArrayOutputStream(model.length);
            Set<String> present = new HashSet<>();
            for (int start = 0, tag = in.readTag(); tag != 0; start = in.getTotalBytesRead(), tag = in.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH) {
                    byte[] graphBytes = in.readByteArray();
                    writeField(result, MODEL_GRAPH, rewriteGraph(graphBytes, replacements, dropped));
                    continue;
                }
                if (WireFormat.getTagFieldNumber(tag) == MODEL_OPSET) {
                    present.add(opsetDomain(model, start, in));
                }
                in.skipField(tag);
                result.write(model, start, in.getTotalBytesRead() - start);
            }
            for (Map.Entry<String, Long> domain : domains.entrySet()) {
                if (!present.contains(domain.getKey())) {
                    writeField(result, MODEL_OPSET, message(out -> {
                        out.writeString(OPSET_DOMAIN, domain.getKey());
                        out.writeInt64(OPSET_VERSION, domain.getValue());
                    }));
                }
            }
            return result.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("rewriting " + origin + " failed", e);
        }
    }

    private static byte[] rewriteGraph(byte[] graph, Map<Integer, Replacement> replacements, Set<String> dropped)
            throws IOException {
        CodedInputStream in = newInput(graph);
        ByteArrayOutputStream result = new ByteArrayOutputStream(graph.length);
        int nodeIndex = 0;
        for (int start = 0, tag = in.readTag(); tag != 0; start = in.getTotalBytesRead(), tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == GRAPH_NODE) {
                Replacement replacement = replacements.get(nodeIndex++);
                if (replacement != null) {
                    in.skipField(tag);
                    for (byte[] node : replacement.nodes()) {
                        writeField(result, GRAPH_NODE, node);
                    }
                    continue;
                }
            } else if (field == GRAPH_INITIALIZER && dropped.contains(tensorName(graph, start, in))) {
                in.skipField(tag);
                continue;
            }
            in.skipField(tag);
            result.write(graph, start, in.getTotalBytesRead() - start);
        }
        for (Replacement replacement : replacements.values()) {
            for (byte[] initializer : replacement.initializers()) {
                writeField(result, GRAPH_INITIALIZER, initializer);
            }
        }
        return result.toByteArray();
    }

    /** Linears by node index: MatMul(x, W) with W a 2-D weight, its output read by an Add of a named bias. */
    private static Map<Integer, Linear> find(OnnxGraph graph) {
        Map<String, Tensor> weights = graph.weights();
        Map<String, List<OnnxGraph.Node>> readers = new HashMap<>();
        Set<String> produced = new HashSet<>(graph.inputNames());
        for (OnnxGraph.Node node : graph.nodes()) {
            node.inputs().forEach(input -> readers.computeIfAbsent(input, k -> new ArrayList<>()).add(node));
            produced.addAll(node.outputs());
        }
        Map<Integer, Linear> linears = new java.util.TreeMap<>();
        for (int i = 0; i < graph.nodes().size(); i++) {
            OnnxGraph.Node node = graph.nodes().get(i);
            if (!node.opType().equals("MatMul") || node.inputs().size() != 2 || produced.contains(node.inputs().get(1))) {
                continue;
            }
            for (OnnxGraph.Node add : readers.getOrDefault(node.outputs().get(0), List.of())) {
                Optional<String> weightName = add.opType().equals("Add") ? add.inputs().stream()
                        .filter(input -> input.endsWith(".bias"))
                        .map(bias -> bias.replaceFirst("^bert\\.", ""))
                        .map(bias -> bias.substring(0, bias.length() - "bias".length()) + "weight")
                        .filter(weights::containsKey).findFirst() : Optional.empty();
                if (weightName.isPresent()) {
                    Tensor weight = weights.get(weightName.get());
                    Matcher m = ENCODER_LINEAR.matcher(weightName.get());
                    int layer = m.matches() ? Integer.parseInt(m.group(1)) : -1;
                    Kind kind = !m.matches() ? Kind.OTHER : switch (m.group(2)) {
                        case "attention.self.query" -> Kind.QUERY;
                        case "attention.self.key" -> Kind.KEY;
                        case "attention.self.value" -> Kind.VALUE;
                        case "attention.output.dense" -> Kind.ATTENTION_OUTPUT;
                        case "intermediate.dense" -> Kind.FFN_UP;
                        default -> Kind.FFN_DOWN;
                    };
                    linears.put(i, new Linear(node.inputs().get(0), node.outputs().get(0), weightName.get(), layer,
                            kind, weight));
                    break;
                }
            }
        }
        return linears;
    }

    // ---- protobuf writing ----

    /** A NodeProto; {@code attributes} are INT ({@code Long}) or INTS ({@code long[]}) attributes. */
    public static byte[] node(String opType, String domain, String name, List<String> inputs, List<String> outputs,
                              Map<String, ?> attributes) {
        return message(out -> {
            for (String input : inputs) {
                out.writeString(NODE_INPUT, input);
            }
            for (String output : outputs) {
                out.writeString(NODE_OUTPUT, output);
            }
            out.writeString(NODE_NAME, name);
            out.writeString(NODE_OP_TYPE, opType);
            for (Map.Entry<String, ?> attribute : attributes.entrySet()) {
                out.writeByteArray(NODE_ATTRIBUTE, message(a -> {
                    a.writeString(ATTRIBUTE_NAME, attribute.getKey());
                    if (attribute.getValue() instanceof long[] values) {
                        for (long value : values) {
                            a.writeInt64(ATTRIBUTE_INTS, value);
                        }
                        a.writeInt32(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INTS);
                    } else {
                        a.writeInt64(ATTRIBUTE_I, (Long) attribute.getValue());
                        a.writeInt32(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT);
                    }
                }));
            }
            if (!domain.isEmpty()) {
                out.writeString(NODE_DOMAIN, domain);
            }
        });
    }

    /** A TensorProto with its data in raw_data (little-endian). */
    public static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        return message(out -> {
            for (long dim : dims) {
                out.writeInt64(TENSOR_DIMS, dim);
            }
            out.writeInt32(TENSOR_DATA_TYPE, dataType);
            out.writeString(TENSOR_NAME, name);
            out.writeByteArray(TENSOR_RAW_DATA, raw);
        });
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Writer writer) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            writer.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeField(ByteArrayOutputStream result, int field, byte[] payload) throws IOException {
        CodedOutputStream out = CodedOutputStream.newInstance(result);
        out.writeByteArray(field, payload);
        out.flush();
    }

    private static CodedInputStream newInput(byte[] bytes) {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        in.setSizeLimit(Integer.MAX_VALUE);
        return in;
    }

    /** The name of the TensorProto field whose tag was just read at {@code start}; leaves {@code in} unmoved. */
    private static String tensorName(byte[] graph, int start, CodedInputStream at) throws IOException {
        return stringField(graph, at, TENSOR_NAME);
    }

    private static String opsetDomain(byte[] model, int start, CodedInputStream at) throws IOException {
        return stringField(model, at, OPSET_DOMAIN);
    }

    /** A string field of the length-delimited message that starts at {@code at}'s position, read from a copy. */
    private static String stringField(byte[] bytes, CodedInputStream at, int field) throws IOException {
        CodedInputStream peek = newInput(bytes);
        peek.skipRawBytes(at.getTotalBytesRead());
        int limit = peek.pushLimit(peek.readRawVarint32());
        for (int tag = peek.readTag(); tag != 0; tag = peek.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field) {
                return peek.readStringRequireUtf8();
            }
            peek.skipField(tag);
        }
        peek.popLimit(limit);
        return "";
    }
}
