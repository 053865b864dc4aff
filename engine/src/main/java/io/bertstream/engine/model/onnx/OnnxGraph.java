package io.bertstream.engine.model.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.Protobuf;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.bertstream.engine.model.onnx.OnnxProto.*;

/**
 * An ONNX model file as bertstream reads it: the graph's nodes, initializers, inputs and outputs, with where each
 * of the graph's fields lies in the file. Read once, as a stream: initializer data is skipped (the stream seeks past
 * it) and read back tensor by tensor only when someone asks ({@link OnnxProto.RawData}), so parsing a 440 MB model
 * costs a few MB of heap. What the graph says about the model is elsewhere: {@link OnnxWeights} (weights under
 * Hugging Face names), {@link OnnxArchitecture} (the knobs the weights don't carry), {@link OnnxHiddenStates}
 * (every layer's output, and the model with them as graph outputs), {@link GraphEdit} (rewriting).
 */
public final class OnnxGraph {

    /** One field of the GraphProto message, by its byte range in the file (tag and length included). */
    public record GraphField(int number, long start, long end) {
    }

    private final Path file;
    private final String origin;
    private final long graphFieldStart;
    private final long graphEnd;
    private final List<GraphField> fields;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;
    private final List<String> inputNames;
    private final List<String> outputNames;
    private final Map<String, Long> opsets;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    private OnnxGraph(Path file, String origin, long graphFieldStart, long graphEnd, Parts parts,
                      Map<String, Long> opsets) {
        this.file = file;
        this.origin = origin;
        this.graphFieldStart = graphFieldStart;
        this.graphEnd = graphEnd;
        this.fields = List.copyOf(parts.fields);
        this.nodes = List.copyOf(parts.nodes);
        this.initializers = parts.initializers;
        this.inputNames = List.copyOf(parts.inputs);
        this.outputNames = List.copyOf(parts.outputs);
        this.opsets = Map.copyOf(opsets);
        for (Node node : nodes) {
            node.outputs().forEach(output -> producers.put(output, node));
            node.inputs().forEach(input -> consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node));
        }
    }

    /** Parses a serialised ModelProto file; {@code origin} (file or resource name) prefixes every error. */
    public static OnnxGraph parse(Path file, String origin) {
        try (InputStream stream = Files.newInputStream(file)) {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE) {
                throw new ModelLoadException(origin + ": an ONNX file over 2 GB keeps its weights as external data, "
                        + "which bertstream does not read");
            }
            CodedInputStream in = CodedInputStream.newInstance(stream);
            in.setSizeLimit(Integer.MAX_VALUE);
            OnnxProto.Decoder decoder = new OnnxProto.Decoder(file);
            long graphFieldStart = -1;
            long graphEnd = -1;
            Parts graph = null;
            Map<String, Long> opsets = new HashMap<>();
            while (true) {
                long fieldStart = in.getTotalBytesRead();
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                int number = WireFormat.getTagFieldNumber(tag);
                if (number == MODEL_GRAPH && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    if (graph != null) {
                        throw new ModelLoadException(origin + ": the ONNX model has more than one graph field");
                    }
                    graphFieldStart = fieldStart;
                    graph = Protobuf.nested(in, graphIn -> readGraph(graphIn, decoder));
                    graphEnd = in.getTotalBytesRead();
                } else if (number == MODEL_OPSET) {
                    Map.Entry<String, Long> opset = Protobuf.nested(in, decoder::opset);
                    opsets.merge(opset.getKey(), opset.getValue(), Math::max);
                } else {
                    in.skipField(tag);
                }
            }
            if (graph == null || graph.nodes.isEmpty()) {
                throw new ModelLoadException(origin + ": not an ONNX model (no graph)");
            }
            return new OnnxGraph(file, origin, graphFieldStart, graphEnd, graph, opsets);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelLoadException(origin + ": not a valid ONNX model (truncated or corrupt): " + e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException(origin + ": cannot parse ONNX model: " + e.getMessage());
        }
    }

    private static final class Parts {
        final List<GraphField> fields = new ArrayList<>();
        final List<Node> nodes = new ArrayList<>();
        final Map<String, Tensor> initializers = new LinkedHashMap<>();
        final List<String> inputs = new ArrayList<>();
        final List<String> outputs = new ArrayList<>();
    }

    private static Parts readGraph(CodedInputStream in, OnnxProto.Decoder decoder) throws IOException {
        Parts graph = new Parts();
        while (true) {
            long start = in.getTotalBytesRead();
            int tag = in.readTag();
            if (tag == 0) {
                break;
            }
            int number = WireFormat.getTagFieldNumber(tag);
            switch (number) {
                case GRAPH_NODE -> graph.nodes.add(Protobuf.nested(in, decoder::node));
                case GRAPH_INITIALIZER -> {
                    Tensor t = Protobuf.nested(in, decoder::tensor);
                    graph.initializers.put(t.name(), t);
                }
                case GRAPH_INPUT -> graph.inputs.add(Protobuf.nested(in, decoder::valueInfoName));
                case GRAPH_OUTPUT -> graph.outputs.add(Protobuf.nested(in, decoder::valueInfoName));
                default -> in.skipField(tag);
            }
            graph.fields.add(new GraphField(number, start, in.getTotalBytesRead()));
        }
        return graph;
    }

    public Path file() {
        return file;
    }

    public String origin() {
        return origin;
    }

    long graphFieldStart() {
        return graphFieldStart;
    }

    long graphEnd() {
        return graphEnd;
    }

    /** Every field of the GraphProto in file order (nodes, initializers, inputs, outputs, and the rest). */
    public List<GraphField> fields() {
        return fields;
    }

    /** The GraphProto's fields of one number in file order: {@code fields(GRAPH_NODE).get(i)} holds {@code nodes().get(i)}. */
    public List<GraphField> fields(int number) {
        return fields.stream().filter(field -> field.number() == number).toList();
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Map<String, Tensor> initializers() {
        return initializers;
    }

    public List<String> inputNames() {
        return inputNames;
    }

    public List<String> outputNames() {
        return outputNames;
    }

    /** The highest opset the model imports for a domain ("" = the default ONNX domain); 0 when none. */
    public long opset(String domain) {
        return opsets.getOrDefault(domain, 0L);
    }

    /** The node that writes a value; null for graph inputs and initializers. */
    public Node producer(String value) {
        return producers.get(value);
    }

    /** The nodes that read a value, in graph order. */
    public List<Node> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /** Whether a value of this name exists: a node's output or an initializer. */
    public boolean hasValue(String name) {
        return producers.containsKey(name) || initializers.containsKey(name);
    }

    /** The first node that takes an encoder parameter, under its Hugging Face name or with the {@code bert.} prefix. */
    Optional<Node> nodeTaking(String hfName) {
        for (String name : List.of(hfName, "bert." + hfName)) {
            List<Node> readers = consumers.get(name);
            if (readers != null && !readers.isEmpty()) {
                return Optional.of(readers.get(0));
            }
        }
        return Optional.empty();
    }

    boolean hasInitializer(String hfName) {
        return initializers.containsKey(hfName) || initializers.containsKey("bert." + hfName);
    }
}
