package io.bertstream.engine.model.tf;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.Protobuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The architecture knobs a TF1 BERT SavedModel's graph ({@code saved_model.pb}) holds but its variables
 * don't: attention heads (the constant in {@code attention/self/Reshape}'s shape), the feed-forward
 * activation (Erf, or Tanh for GELU's tanh approximation) and the LayerNorm epsilon. Node names follow
 * Google's modeling.py, under whatever scope the module was applied in.
 */
final class SavedModelGraph {

    // saved_model.proto, meta_graph.proto, graph.proto, node_def.proto, attr_value.proto, tensor.proto
    private static final int SAVED_MODEL_META_GRAPHS = 2;
    private static final int META_GRAPH_GRAPH_DEF = 2;
    private static final int GRAPH_NODE = 1;
    private static final int NODE_NAME = 1;
    private static final int NODE_OP = 2;
    private static final int NODE_ATTR = 5;
    private static final int MAP_KEY = 1;
    private static final int MAP_VALUE = 2;
    private static final int ATTR_TENSOR = 8;
    private static final int TENSOR_DTYPE = 1;
    private static final int TENSOR_CONTENT = 4;
    private static final int TENSOR_FLOAT_VAL = 5;
    private static final int TENSOR_INT_VAL = 7;
    private static final int DT_FLOAT = 1;
    private static final int DT_INT32 = 3;

    private static final String HEADS = "bert/encoder/layer_0/attention/self/Reshape/shape/2";
    private static final String RESHAPE_SHAPE = "bert/encoder/layer_0/attention/self/Reshape/shape";
    private static final String EPSILON = "bert/embeddings/LayerNorm/batchnorm/add/y";
    private static final String INTERMEDIATE = "bert/encoder/layer_0/intermediate/dense/";

    /** A node's op and, for a Const, its numbers. */
    private record Node(String op, List<Double> values) {
    }

    private final Map<String, Node> nodes;

    private SavedModelGraph(Map<String, Node> nodes) {
        this.nodes = nodes;
    }

    static SavedModelGraph read(Path file) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(Files.readAllBytes(file));
            in.setSizeLimit(Integer.MAX_VALUE);
            Map<String, Node> nodes = new LinkedHashMap<>();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                if (WireFormat.getTagFieldNumber(tag) == SAVED_MODEL_META_GRAPHS && nodes.isEmpty()) {
                    readMessage(in, metaGraph -> readField(metaGraph, META_GRAPH_GRAPH_DEF,
                            graph -> readField(graph, GRAPH_NODE, node -> readNode(node, nodes))));
                } else {
                    in.skipField(tag);
                }
            }
            return new SavedModelGraph(nodes);
        } catch (IOException e) {
            throw new ModelLoadException(file, "not a readable SavedModel graph: " + e.getMessage(), e);
        }
    }

    OptionalInt attentionHeads() {
        Optional<Node> scalar = find(HEADS);
        if (scalar.isPresent() && scalar.get().values().size() == 1) {
            return OptionalInt.of(scalar.get().values().get(0).intValue());
        }
        return find(RESHAPE_SHAPE)
                .filter(n -> n.values().size() == 4) // a fully static [batch, seq, heads, head_size]
                .map(n -> OptionalInt.of(n.values().get(2).intValue()))
                .orElse(OptionalInt.empty());
    }

    OptionalDouble layerNormEps() {
        return find(EPSILON).filter(n -> n.values().size() == 1)
                .map(n -> OptionalDouble.of(FloatFormat.shortestDecimal(n.values().get(0).floatValue())))
                .orElse(OptionalDouble.empty());
    }

    Optional<String> activation() {
        for (Map.Entry<String, Node> e : nodes.entrySet()) {
            if (!e.getKey().contains(INTERMEDIATE)) {
                continue;
            }
            switch (e.getValue().op()) {
                case "Erf":
                    return Optional.of("gelu");
                case "Tanh":
                    return Optional.of("gelu_new");
                case "Relu":
                    return Optional.of("relu");
                default:
                    break;
            }
        }
        return Optional.empty();
    }

    /** The first node whose name is {@code suffix} under any scope (module/, module_apply_tokens/, none). */
    private Optional<Node> find(String suffix) {
        return nodes.entrySet().stream()
                .filter(e -> e.getKey().equals(suffix) || e.getKey().endsWith("/" + suffix))
                .map(Map.Entry::getValue)
                .findFirst();
    }

    private interface MessageReader {
        void read(CodedInputStream in) throws IOException;
    }

    private static void readMessage(CodedInputStream in, MessageReader reader) throws IOException {
        Protobuf.nested(in, message -> {
            reader.read(message);
            return null;
        });
    }

    /** Reads every occurrence of one length-delimited field with {@code reader}, skipping the rest. */
    private static void readField(CodedInputStream in, int field, MessageReader reader) throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == field
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                readMessage(in, reader);
            } else {
                in.skipField(tag);
            }
        }
    }

    private static void readNode(CodedInputStream in, Map<String, Node> nodes) throws IOException {
        String name = "";
        String op = "";
        List<Double> values = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_NAME -> name = in.readStringRequireUtf8();
                case NODE_OP -> op = in.readStringRequireUtf8();
                case NODE_ATTR -> readMessage(in, entry -> readAttrEntry(entry, values));
                default -> in.skipField(tag);
            }
        }
        nodes.putIfAbsent(name, new Node(op, values));
    }

    /** attr map entry: only "value" (a Const's tensor) matters. */
    private static void readAttrEntry(CodedInputStream in, List<Double> values) throws IOException {
        String key = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == MAP_KEY) {
                key = in.readStringRequireUtf8();
            } else if (field == MAP_VALUE && key.equals("value")) {
                readMessage(in, attr -> readField(attr, ATTR_TENSOR, tensor -> readTensor(tensor, values)));
            } else {
                in.skipField(tag);
            }
        }
    }

    private static void readTensor(CodedInputStream in, List<Double> values) throws IOException {
        int dtype = 0;
        ByteString content = ByteString.EMPTY;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_DTYPE -> dtype = in.readEnum();
                case TENSOR_CONTENT -> content = in.readBytes();
                case TENSOR_FLOAT_VAL -> Protobuf.repeated(in, tag, v -> values.add((double) v.readFloat()));
                case TENSOR_INT_VAL -> Protobuf.repeated(in, tag, v -> values.add((double) v.readInt32()));
                default -> in.skipField(tag);
            }
        }
        ByteBuffer bytes = content.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        while (dtype == DT_FLOAT && bytes.remaining() >= Float.BYTES) {
            values.add((double) bytes.getFloat());
        }
        while (dtype == DT_INT32 && bytes.remaining() >= Integer.BYTES) {
            values.add((double) bytes.getInt());
        }
    }
}
