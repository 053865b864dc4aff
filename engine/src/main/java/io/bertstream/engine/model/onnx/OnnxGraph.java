package io.bertstream.engine.model.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;

import static io.bertstream.engine.model.onnx.OnnxFields.*;

/**
 * The parts of an ONNX BERT export bertstream needs, read straight from the protobuf wire format (field numbers
 * from onnx.proto; no generated ONNX classes): the weights under Hugging Face names, the architecture knobs the
 * weights don't carry, the tensor names of every hidden state, and a copy of the model with those tensors added
 * as graph outputs for ONNX Runtime.
 */
public final class OnnxGraph {

    /** Encoder parameters keep their PyTorch names in exports; everything else is graph plumbing. */
    private static final Pattern HF_PARAMETER = Pattern.compile("(bert\\.)?(embeddings|encoder|pooler)\\..+\\.(weight|bias)");

    /** One graph node: its operator, the value names it reads and writes, and its attributes. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {
    }

    /** A node attribute; only the kinds a BERT export uses (float, int, string, tensor, ints). */
    public record Attribute(String name, float f, long i, String s, RawTensor t, long[] ints) {
    }

    /** A TensorProto as stored: data either in raw_data (little-endian) or in the typed repeated fields. */
    public record RawTensor(String name, long[] dims, int dataType, ByteString rawData, float[] floatData,
                            long[] int64Data, boolean external) {

        public long elementCount() {
            return Arrays.stream(dims).reduce(1, Math::multiplyExact);
        }

        boolean isFloatingPoint() {
            return dataType == FLOAT || dataType == FLOAT16 || dataType == BFLOAT16;
        }

        /** The values widened to fp32; raw_data sizes are checked so a corrupt file fails here. */
        float[] floats(String origin) {
            if (external) {
                throw new ModelLoadException(origin + ": tensor '" + name + "' is stored as external data, "
                        + "which bertstream does not read; export with the weights inside the .onnx file");
            }
            long count = elementCount();
            FloatFormat format = switch (dataType) {
                case FLOAT -> FloatFormat.F32;
                case FLOAT16 -> FloatFormat.F16;
                case BFLOAT16 -> FloatFormat.BF16;
                default -> throw new ModelLoadException(origin + ": tensor '" + name + "' has data type " + dataType
                        + ", not a floating-point type");
            };
            if (!rawData.isEmpty() || floatData.length == 0) {
                if (rawData.size() != count * format.bytes()) {
                    throw new ModelLoadException(origin + ": tensor '" + name + "' " + Arrays.toString(dims)
                            + " should hold " + count * format.bytes() + " bytes but holds " + rawData.size());
                }
                return format.decode(rawData.asReadOnlyByteBuffer(), (int) count);
            }
            if (dataType != FLOAT || floatData.length != count) {
                throw new ModelLoadException(origin + ": tensor '" + name + "' " + Arrays.toString(dims)
                        + " holds " + floatData.length + " values");
            }
            return floatData;
        }

        /** Integer values (shape constants); empty when the tensor is not INT64. */
        long[] longs() {
            if (dataType != INT64) {
                return new long[0];
            }
            if (!rawData.isEmpty()) {
                long[] out = new long[rawData.size() / Long.BYTES];
                rawData.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
                return out;
            }
            return int64Data;
        }

        /** A single floating-point value (a scalar constant), if this is one. */
        OptionalDouble scalar() {
            if (dataType != FLOAT || elementCount() != 1 || external) {
                return OptionalDouble.empty();
            }
            if (rawData.size() == Float.BYTES) {
                return OptionalDouble.of(FloatFormat.shortestDecimal(FloatFormat.F32.decode(rawData.asReadOnlyByteBuffer(), 1)[0]));
            }
            return floatData.length == 1 ? OptionalDouble.of(FloatFormat.shortestDecimal(floatData[0])) : OptionalDouble.empty();
        }
    }

    private final String origin;
    private final byte[] model;
    private final int graphFieldStart;
    private final int graphPayloadStart;
    private final int graphEnd;
    private final List<Node> nodes;
    private final Map<String, RawTensor> initializers;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    private OnnxGraph(String origin, byte[] model, int graphFieldStart, int graphPayloadStart, int graphEnd,
                      GraphParts graph) {
        this.origin = origin;
        this.model = model;
        this.graphFieldStart = graphFieldStart;
        this.graphPayloadStart = graphPayloadStart;
        this.graphEnd = graphEnd;
        this.nodes = List.copyOf(graph.nodes);
        this.initializers = graph.initializers;
        this.inputNames = List.copyOf(graph.inputs);
        this.outputNames = List.copyOf(graph.outputs);
        for (Node node : nodes) {
            node.outputs().forEach(output -> producers.put(output, node));
            node.inputs().forEach(input -> consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node));
        }
    }

    /** Parses a serialised ModelProto; {@code origin} (file or resource name) prefixes every error. */
    public static OnnxGraph parse(byte[] model, String origin) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(model);
            in.enableAliasing(true); // tensors' raw_data stay views of the model bytes: no copy of 100s of MB
            in.setSizeLimit(Integer.MAX_VALUE);
            int graphFieldStart = -1;
            int graphPayloadStart = -1;
            int graphEnd = -1;
            GraphParts graph = null;
            while (true) {
                int fieldStart = in.getTotalBytesRead();
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    if (graph != null) {
                        throw new ModelLoadException(origin + ": the ONNX model has more than one graph field");
                    }
                    int length = in.readRawVarint32();
                    graphFieldStart = fieldStart;
                    graphPayloadStart = in.getTotalBytesRead();
                    int limit = in.pushLimit(length);
                    graph = readGraph(in);
                    in.popLimit(limit);
                    graphEnd = in.getTotalBytesRead();
                } else {
                    in.skipField(tag);
                }
            }
            if (graph == null || graph.nodes.isEmpty()) {
                throw new ModelLoadException(origin + ": not an ONNX model (no graph)");
            }
            return new OnnxGraph(origin, model, graphFieldStart, graphPayloadStart, graphEnd, graph);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelLoadException(origin + ": not a valid ONNX model (truncated or corrupt): " + e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException(origin + ": cannot parse ONNX model: " + e.getMessage());
        }
    }

    private static final class GraphParts {
        final List<Node> nodes = new ArrayList<>();
        final Map<String, RawTensor> initializers = new LinkedHashMap<>();
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
    }

    private static GraphParts readGraph(CodedInputStream in) throws IOException {
        GraphParts graph = new GraphParts();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case GRAPH_NODE -> graph.nodes.add(nested(in, OnnxGraph::readNode));
                case GRAPH_INITIALIZER -> {
                    RawTensor t = nested(in, OnnxGraph::readTensor);
                    graph.initializers.put(t.name(), t);
                }
                case GRAPH_INPUT -> graph.inputs.add(nested(in, OnnxGraph::readValueInfoName));
                case GRAPH_OUTPUT -> graph.outputs.add(nested(in, OnnxGraph::readValueInfoName));
                default -> in.skipField(tag);
            }
        }
        return graph;
    }

    private interface MessageReader<T> {
        T read(CodedInputStream in) throws IOException;
    }

    private static <T> T nested(CodedInputStream in, MessageReader<T> reader) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        T value = reader.read(in);
        in.popLimit(limit);
        return value;
    }

    private static Node readNode(CodedInputStream in) throws IOException {
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        String name = "";
        String opType = "";
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case NODE_INPUT -> inputs.add(in.readStringRequireUtf8());
                case NODE_OUTPUT -> outputs.add(in.readStringRequireUtf8());
                case NODE_NAME -> name = in.readStringRequireUtf8();
                case NODE_OP_TYPE -> opType = in.readStringRequireUtf8();
                case NODE_ATTRIBUTE -> {
                    Attribute a = nested(in, OnnxGraph::readAttribute);
                    attributes.put(a.name(), a);
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(name, opType, inputs, outputs, attributes);
    }

    private static Attribute readAttribute(CodedInputStream in) throws IOException {
        String name = "";
        float f = 0;
        long i = 0;
        String s = "";
        RawTensor t = null;
        List<Long> ints = new ArrayList<>();
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ATTRIBUTE_NAME -> name = in.readStringRequireUtf8();
                case ATTRIBUTE_F -> f = in.readFloat();
                case ATTRIBUTE_I -> i = in.readInt64();
                case ATTRIBUTE_S -> s = in.readBytes().toStringUtf8();
                case ATTRIBUTE_T -> t = nested(in, OnnxGraph::readTensor);
                case ATTRIBUTE_INTS -> readInt64s(in, tag, ints);
                default -> in.skipField(tag);
            }
        }
        return new Attribute(name, f, i, s, t, ints.stream().mapToLong(Long::longValue).toArray());
    }

    private static RawTensor readTensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        List<Long> int64Data = new ArrayList<>();
        List<Float> floatData = new ArrayList<>();
        int dataType = 0;
        String name = "";
        ByteString raw = ByteString.EMPTY;
        boolean external = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case TENSOR_DIMS -> readInt64s(in, tag, dims);
                case TENSOR_DATA_TYPE -> dataType = in.readInt32();
                case TENSOR_FLOAT_DATA -> readFloats(in, tag, floatData);
                case TENSOR_INT64_DATA -> readInt64s(in, tag, int64Data);
                case TENSOR_NAME -> name = in.readStringRequireUtf8();
                case TENSOR_RAW_DATA -> raw = in.readBytes();
                case TENSOR_EXTERNAL_DATA -> {
                    external = true;
                    in.skipField(tag);
                }
                default -> in.skipField(tag);
            }
        }
        float[] floats = new float[floatData.size()];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = floatData.get(i);
        }
        return new RawTensor(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType, raw, floats,
                int64Data.stream().mapToLong(Long::longValue).toArray(), external);
    }

    private static String readValueInfoName(CodedInputStream in) throws IOException {
        String name = "";
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == VALUE_INFO_NAME) {
                name = in.readStringRequireUtf8();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    /** A repeated int64 field, packed or not (both encodings are legal). */
    private static void readInt64s(CodedInputStream in, int tag, List<Long> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readInt64());
        }
    }

    private static void readFloats(CodedInputStream in, int tag, List<Float> into) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                into.add(in.readFloat());
            }
            in.popLimit(limit);
        } else {
            into.add(in.readFloat());
        }
    }

    // ---- what the graph says about the model ----

    public List<Node> nodes() {
        return nodes;
    }

    public List<String> inputNames() {
        return inputNames;
    }

    public List<String> outputNames() {
        return outputNames;
    }

    /**
     * Every floating-point encoder weight under its Hugging Face name, Linear weights [out, in]. Named
     * initializers keep their names (minus any {@code bert.} prefix); an anonymous MatMul weight
     * ({@code onnx::MatMul_N}, stored [in, out]) is named after the bias its MatMul's output is added to.
     */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (RawTensor init : initializers.values()) {
            if (!init.isFloatingPoint()) {
                continue; // position_ids and shape constants
            }
            if (HF_PARAMETER.matcher(init.name()).matches()) {
                String name = Architecture.stripBertPrefix(init.name());
                tensors.put(name, new Tensor(name, init.dims().clone(), init.floats(origin)));
                continue;
            }
            Optional<String> weightName = nameMatMulWeight(init.name());
            if (weightName.isEmpty()) {
                continue; // a float constant that is not a parameter (e.g. a folded scale)
            }
            if (init.dims().length != 2) {
                throw new ModelLoadException(origin + ": MatMul weight '" + init.name() + "' is not 2-D: "
                        + Arrays.toString(init.dims()));
            }
            int in = Math.toIntExact(init.dims()[0]);
            int out = Math.toIntExact(init.dims()[1]);
            String name = weightName.get();
            tensors.put(name, new Tensor(name, new long[] {out, in},
                    FloatFormat.transpose(init.floats(origin), in, out)));
        }
        return tensors;
    }

    /** MatMul(x, W) → Add(bias, ·): W is the weight of the layer whose bias is {@code X.bias}. */
    private Optional<String> nameMatMulWeight(String initializer) {
        boolean feedsMatMul = false;
        for (Node matMul : consumers.getOrDefault(initializer, List.of())) {
            if (!matMul.opType().equals("MatMul") || !initializer.equals(matMul.inputs().get(1))) {
                continue;
            }
            feedsMatMul = true;
            for (Node add : consumers.getOrDefault(matMul.outputs().get(0), List.of())) {
                if (!add.opType().equals("Add")) {
                    continue;
                }
                for (String input : add.inputs()) {
                    if (input.endsWith(".bias") && initializers.containsKey(input)) {
                        String bias = Architecture.stripBertPrefix(input);
                        return Optional.of(bias.substring(0, bias.length() - "bias".length()) + "weight");
                    }
                }
            }
        }
        if (feedsMatMul) {
            throw new ModelLoadException(origin + ": cannot name MatMul weight '" + initializer
                    + "': its MatMul's output is not added to a named bias");
        }
        return Optional.empty();
    }

    /**
     * Attention heads, from the Reshape that splits a projection into [batch, seq, heads, head_size]: its
     * shape is a Constant or a Concat of dynamic sizes and Constants. Empty when no such Reshape is found.
     */
    public OptionalInt attentionHeads(int hiddenSize) {
        for (Node node : nodes) {
            if (!node.opType().equals("Reshape") || node.inputs().size() < 2) {
                continue;
            }
            long[] shape = constantShape(node.inputs().get(1));
            if (shape.length == 4 && shape[2] > 0 && shape[3] > 0 && shape[2] * shape[3] == hiddenSize) {
                return OptionalInt.of((int) shape[2]);
            }
        }
        return OptionalInt.empty();
    }

    /** A shape value's entries, -1 where an entry is computed at run time; empty if it cannot be read. */
    private long[] constantShape(String value) {
        long[] constant = constantLongs(value);
        if (constant != null) {
            return constant;
        }
        Node producer = producers.get(value);
        if (producer == null || !producer.opType().equals("Concat")) {
            return new long[0];
        }
        List<Long> parts = new ArrayList<>();
        for (String input : producer.inputs()) {
            long[] part = constantLongs(input);
            if (part == null) {
                parts.add(-1L); // a dynamic dimension (batch or sequence length), one entry
            } else {
                Arrays.stream(part).forEach(parts::add);
            }
        }
        return parts.stream().mapToLong(Long::longValue).toArray();
    }

    private long[] constantLongs(String value) {
        RawTensor init = initializers.get(value);
        if (init != null) {
            return init.longs();
        }
        Node producer = producers.get(value);
        if (producer != null && producer.opType().equals("Constant") && producer.attributes().containsKey("value")) {
            RawTensor t = producer.attributes().get("value").t();
            return t == null ? null : t.longs();
        }
        return null;
    }

    /**
     * LayerNorm epsilon: a LayerNormalization node's attribute (ONNX default 1e-5 when absent), or in a
     * decomposed LayerNorm the constant added to the variance (the ReduceMean output). Empty if neither.
     */
    public OptionalDouble layerNormEps() {
        for (Node node : nodes) {
            if (node.opType().equals("LayerNormalization")) {
                Attribute eps = node.attributes().get("epsilon");
                return OptionalDouble.of(eps == null ? 1e-5 : FloatFormat.shortestDecimal(eps.f()));
            }
        }
        for (Node node : nodes) {
            if (!node.opType().equals("Add") || node.inputs().size() != 2) {
                continue;
            }
            for (int i = 0; i < 2; i++) {
                Node variance = producers.get(node.inputs().get(i));
                if (variance != null && variance.opType().equals("ReduceMean")) {
                    OptionalDouble eps = constantScalar(node.inputs().get(1 - i));
                    if (eps.isPresent()) {
                        return eps;
                    }
                }
            }
        }
        return OptionalDouble.empty();
    }

    private OptionalDouble constantScalar(String value) {
        RawTensor init = initializers.get(value);
        if (init != null) {
            return init.scalar();
        }
        Node producer = producers.get(value);
        if (producer != null && producer.opType().equals("Constant") && producer.attributes().containsKey("value")) {
            RawTensor t = producer.attributes().get("value").t();
            return t == null ? OptionalDouble.empty() : t.scalar();
        }
        return OptionalDouble.empty();
    }

    /**
     * The feed-forward activation, found a few nodes downstream of layer 0's intermediate dense: Erf (exact
     * GELU), Tanh (GELU's tanh approximation), Relu, or a fused Gelu / FastGelu. Empty if none is found.
     */
    public Optional<String> activation() {
        Optional<Node> dense = nodeTaking("encoder.layer.0.intermediate.dense.bias");
        if (dense.isEmpty()) {
            return Optional.empty();
        }
        Deque<String> frontier = new ArrayDeque<>(dense.get().outputs());
        Set<Node> seen = new HashSet<>();
        while (!frontier.isEmpty() && seen.size() < 8) {
            for (Node next : consumers.getOrDefault(frontier.poll(), List.of())) {
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

    /**
     * The output value name of every hidden state, index 0 = embedding output (the node taking
     * {@code embeddings.LayerNorm.bias}), index N = encoder layer N's output (the node taking
     * {@code encoder.layer.{N-1}.output.LayerNorm.bias}).
     */
    public List<String> hiddenStateOutputs() {
        List<String> names = new ArrayList<>();
        names.add(outputOfNodeTaking("embeddings.LayerNorm.bias"));
        for (int layer = 0; hasInitializer("encoder.layer." + layer + ".output.LayerNorm.bias"); layer++) {
            names.add(outputOfNodeTaking("encoder.layer." + layer + ".output.LayerNorm.bias"));
        }
        return names;
    }

    private boolean hasInitializer(String hfName) {
        return initializers.containsKey(hfName) || initializers.containsKey("bert." + hfName);
    }

    private String outputOfNodeTaking(String hfName) {
        return nodeTaking(hfName)
                .orElseThrow(() -> new ModelLoadException(origin + ": no node of the graph takes '" + hfName + "'"))
                .outputs().get(0);
    }

    private Optional<Node> nodeTaking(String hfName) {
        for (String name : List.of(hfName, "bert." + hfName)) {
            List<Node> readers = consumers.get(name);
            if (readers != null && !readers.isEmpty()) {
                return Optional.of(readers.get(0));
            }
        }
        return Optional.empty();
    }

    /**
     * The model bytes with the named values added as fp32 graph outputs (shape left open), so ONNX Runtime
     * returns them; names already among the outputs are not repeated. Every other byte is copied verbatim:
     * protobuf concatenates repeated fields, so the new outputs are appended to the graph message.
     */
    public byte[] withExtraOutputs(List<String> names) {
        try {
            ByteArrayOutputStream extra = new ByteArrayOutputStream();
            CodedOutputStream extraOut = CodedOutputStream.newInstance(extra);
            Set<String> present = new HashSet<>(outputNames);
            for (String name : names) {
                if (!producers.containsKey(name) && !initializers.containsKey(name)) {
                    throw new IllegalArgumentException(origin + ": no value named '" + name + "' in the graph");
                }
                if (present.add(name)) {
                    extraOut.writeByteArray(GRAPH_OUTPUT, floatValueInfo(name));
                }
            }
            extraOut.flush();

            int graphLength = graphEnd - graphPayloadStart;
            ByteArrayOutputStream result = new ByteArrayOutputStream(model.length + extra.size() + 16);
            result.write(model, 0, graphFieldStart);
            CodedOutputStream header = CodedOutputStream.newInstance(result);
            header.writeTag(MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            header.writeUInt32NoTag(graphLength + extra.size());
            header.flush();
            result.write(model, graphPayloadStart, graphLength);
            extra.writeTo(result);
            result.write(model, graphEnd, model.length - graphEnd);
            return result.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /** ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT } } }. */
    private static byte[] floatValueInfo(String name) throws IOException {
        byte[] tensorType = message(out -> out.writeInt32(TENSOR_TYPE_ELEM_TYPE, FLOAT));
        byte[] type = message(out -> out.writeByteArray(TYPE_TENSOR_TYPE, tensorType));
        return message(out -> {
            out.writeString(VALUE_INFO_NAME, name);
            out.writeByteArray(VALUE_INFO_TYPE, type);
        });
    }

    private interface MessageWriter {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(MessageWriter writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        writer.write(out);
        out.flush();
        return bytes.toByteArray();
    }
}
