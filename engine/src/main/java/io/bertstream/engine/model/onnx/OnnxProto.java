package io.bertstream.engine.model.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.FileBytes;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.Protobuf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one ONNX protobuf codec of bertstream, shared by the engine and the benchmark: the onnx.proto field numbers
 * it uses, the messages as records, a reader for each and a writer for each. Everything rides on
 * protobuf-java's wire codec ({@link Protobuf}); fields not named here are skipped on reading, and a rewrite copies
 * them verbatim (see {@link GraphEdit}), so nothing of a model is lost.
 */
public final class OnnxProto {

    // ModelProto
    public static final int MODEL_IR_VERSION = 1;
    public static final int MODEL_GRAPH = 7;
    public static final int MODEL_OPSET = 8;
    // OperatorSetIdProto
    public static final int OPSET_DOMAIN = 1;
    public static final int OPSET_VERSION = 2;
    // GraphProto
    public static final int GRAPH_NODE = 1;
    public static final int GRAPH_NAME = 2;
    public static final int GRAPH_INITIALIZER = 5;
    public static final int GRAPH_INPUT = 11;
    public static final int GRAPH_OUTPUT = 12;
    // NodeProto
    public static final int NODE_INPUT = 1;
    public static final int NODE_OUTPUT = 2;
    public static final int NODE_NAME = 3;
    public static final int NODE_OP_TYPE = 4;
    public static final int NODE_ATTRIBUTE = 5;
    // AttributeProto
    public static final int ATTRIBUTE_NAME = 1;
    public static final int ATTRIBUTE_F = 2;
    public static final int ATTRIBUTE_I = 3;
    public static final int ATTRIBUTE_S = 4;
    public static final int ATTRIBUTE_T = 5;
    public static final int ATTRIBUTE_INTS = 8;
    public static final int ATTRIBUTE_TYPE = 20;
    public static final int ATTRIBUTE_TYPE_INT = 2; // AttributeProto.AttributeType.INT
    public static final int ATTRIBUTE_TYPE_INTS = 7; // AttributeProto.AttributeType.INTS
    // TensorProto
    public static final int TENSOR_DIMS = 1;
    public static final int TENSOR_DATA_TYPE = 2;
    public static final int TENSOR_FLOAT_DATA = 4;
    public static final int TENSOR_INT64_DATA = 7;
    public static final int TENSOR_NAME = 8;
    public static final int TENSOR_RAW_DATA = 9;
    public static final int TENSOR_EXTERNAL_DATA = 13;
    // ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto(.Dimension)
    public static final int VALUE_INFO_NAME = 1;
    public static final int VALUE_INFO_TYPE = 2;
    public static final int TYPE_TENSOR_TYPE = 1;
    public static final int TENSOR_TYPE_ELEM_TYPE = 1;
    public static final int TENSOR_TYPE_SHAPE = 2;
    public static final int SHAPE_DIM = 1;
    public static final int DIM_VALUE = 1;

    // TensorProto.DataType
    public static final int FLOAT = 1;
    public static final int UINT8 = 2;
    public static final int INT8 = 3;
    public static final int INT64 = 7;
    public static final int FLOAT16 = 10;
    public static final int BFLOAT16 = 16;

    /** raw_data up to this size is read with its tensor (shape constants, scalars); larger stays where it lies. */
    private static final int INLINE_RAW_BYTES = 4096;

    private OnnxProto() {
    }

    /** One graph node: its operator, the value names it reads and writes, and its attributes. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs,
                       Map<String, Attribute> attributes) {
    }

    /** A node attribute; only the kinds a BERT export uses (float, int, string, tensor, ints). */
    public record Attribute(String name, float f, long i, String s, Tensor t, long[] ints) {
    }

    /**
     * A TensorProto as stored: data in raw_data (little-endian; {@link RawData}, read when asked) or in the typed
     * repeated fields; {@code external} when the data lives in a separate file.
     */
    public record Tensor(String name, long[] dims, int dataType, RawData raw, float[] floatData, long[] int64Data,
                         boolean external) {

        public long elementCount() {
            return Arrays.stream(dims).reduce(1, Math::multiplyExact);
        }
    }

    /** A tensor's raw_data: bytes read with it, or a range of the model file read only when asked for. */
    public sealed interface RawData {
        RawData NONE = new Inline(ByteString.EMPTY);

        long size();

        /** The bytes, read now (little-endian order is the caller's to set). */
        ByteBuffer read();

        /** The bytes as {@code count} floats of {@code format}, read now. */
        default float[] floats(FloatFormat format, int count) {
            return format.decode(read(), count);
        }

        record Inline(ByteString bytes) implements RawData {
            @Override
            public long size() {
                return bytes.size();
            }

            @Override
            public ByteBuffer read() {
                return bytes.asReadOnlyByteBuffer();
            }
        }

        record InFile(Path file, long offset, int length) implements RawData {
            @Override
            public long size() {
                return length;
            }

            /** Streamed from the file in chunks: the heap never holds the bytes beside the floats. */
            @Override
            public float[] floats(FloatFormat format, int count) {
                try {
                    return format.read(file, offset, count, null);
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": cannot read tensor data: " + e.getMessage(), e);
                }
            }

            @Override
            public ByteBuffer read() {
                try {
                    return FileBytes.read(file, offset, length);
                } catch (IOException e) {
                    throw new UncheckedIOException(file + ": cannot read tensor data: " + e.getMessage(), e);
                }
            }
        }
    }

    // ---- reading ----

    /**
     * Reads messages of a model; {@code file} is where large raw_data can be read back later (null when the
     * input is in memory: then everything is read inline).
     */
    static final class Decoder {
        private final Path file;

        Decoder(Path file) {
            this.file = file;
        }

        Node node(CodedInputStream in) throws IOException {
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
                        Attribute a = Protobuf.nested(in, this::attribute);
                        attributes.put(a.name(), a);
                    }
                    default -> in.skipField(tag);
                }
            }
            return new Node(name, opType, inputs, outputs, attributes);
        }

        Attribute attribute(CodedInputStream in) throws IOException {
            String name = "";
            float f = 0;
            long i = 0;
            String s = "";
            Tensor t = null;
            List<Long> ints = new ArrayList<>();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case ATTRIBUTE_NAME -> name = in.readStringRequireUtf8();
                    case ATTRIBUTE_F -> f = in.readFloat();
                    case ATTRIBUTE_I -> i = in.readInt64();
                    case ATTRIBUTE_S -> s = in.readBytes().toStringUtf8();
                    case ATTRIBUTE_T -> t = Protobuf.nested(in, this::tensor);
                    case ATTRIBUTE_INTS -> Protobuf.repeated(in, tag, v -> ints.add(v.readInt64()));
                    default -> in.skipField(tag);
                }
            }
            return new Attribute(name, f, i, s, t, ints.stream().mapToLong(Long::longValue).toArray());
        }

        Tensor tensor(CodedInputStream in) throws IOException {
            List<Long> dims = new ArrayList<>();
            List<Long> int64Data = new ArrayList<>();
            List<Float> floatData = new ArrayList<>();
            int dataType = 0;
            String name = "";
            RawData raw = RawData.NONE;
            boolean external = false;
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case TENSOR_DIMS -> Protobuf.repeated(in, tag, v -> dims.add(v.readInt64()));
                    case TENSOR_DATA_TYPE -> dataType = in.readInt32();
                    case TENSOR_FLOAT_DATA -> Protobuf.repeated(in, tag, v -> floatData.add(v.readFloat()));
                    case TENSOR_INT64_DATA -> Protobuf.repeated(in, tag, v -> int64Data.add(v.readInt64()));
                    case TENSOR_NAME -> name = in.readStringRequireUtf8();
                    case TENSOR_RAW_DATA -> raw = rawData(in);
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
            return new Tensor(name, dims.stream().mapToLong(Long::longValue).toArray(), dataType, raw, floats,
                    int64Data.stream().mapToLong(Long::longValue).toArray(), external);
        }

        /** Small raw_data is read; large is skipped (the stream seeks past it) and read back from the file on demand. */
        private RawData rawData(CodedInputStream in) throws IOException {
            int length = in.readRawVarint32();
            if (file == null || length <= INLINE_RAW_BYTES) {
                return new RawData.Inline(ByteString.copyFrom(in.readRawBytes(length)));
            }
            long offset = in.getTotalBytesRead();
            in.skipRawBytes(length);
            return new RawData.InFile(file, offset, length);
        }

        String valueInfoName(CodedInputStream in) throws IOException {
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

        /** OperatorSetIdProto as [domain, version]. */
        Map.Entry<String, Long> opset(CodedInputStream in) throws IOException {
            String domain = "";
            long version = 0;
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case OPSET_DOMAIN -> domain = in.readStringRequireUtf8();
                    case OPSET_VERSION -> version = in.readInt64();
                    default -> in.skipField(tag);
                }
            }
            return Map.entry(domain, version);
        }
    }

    // ---- writing ----

    /** NodeProto; {@code attributes} are serialised AttributeProtos (see {@link #intAttribute}). */
    public static byte[] node(String opType, String name, List<String> inputs, List<String> outputs,
                              List<byte[]> attributes) {
        return Protobuf.message(out -> {
            for (String input : inputs) {
                out.writeString(NODE_INPUT, input);
            }
            for (String output : outputs) {
                out.writeString(NODE_OUTPUT, output);
            }
            out.writeString(NODE_NAME, name);
            out.writeString(NODE_OP_TYPE, opType);
            for (byte[] attribute : attributes) {
                out.writeByteArray(NODE_ATTRIBUTE, attribute);
            }
        });
    }

    /** An INT AttributeProto, e.g. Cast's {@code to}. */
    public static byte[] intAttribute(String name, long value) {
        return Protobuf.message(out -> {
            out.writeString(ATTRIBUTE_NAME, name);
            out.writeInt64(ATTRIBUTE_I, value);
            out.writeInt32(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT);
        });
    }

    /** An INTS AttributeProto, e.g. ReduceMax's {@code axes} before opset 18. */
    public static byte[] intsAttribute(String name, long... values) {
        return Protobuf.message(out -> {
            out.writeString(ATTRIBUTE_NAME, name);
            for (long value : values) {
                out.writeInt64(ATTRIBUTE_INTS, value);
            }
            out.writeInt32(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INTS);
        });
    }

    /** TensorProto with its data in raw_data (little-endian). */
    public static byte[] tensor(String name, int dataType, long[] dims, byte[] raw) {
        byte[] head = tensorHead(name, dataType, dims, raw.length);
        byte[] message = Arrays.copyOf(head, head.length + raw.length);
        System.arraycopy(raw, 0, message, head.length, raw.length);
        return message;
    }

    /**
     * A TensorProto up to its raw_data's bytes (raw_data is its last field): the message is this head followed by
     * {@code rawLength} bytes of data, so large data can be written after the head without being held with it.
     */
    public static byte[] tensorHead(String name, int dataType, long[] dims, int rawLength) {
        return Protobuf.message(out -> {
            for (long dim : dims) {
                out.writeInt64(TENSOR_DIMS, dim);
            }
            out.writeInt32(TENSOR_DATA_TYPE, dataType);
            out.writeString(TENSOR_NAME, name);
            out.writeTag(TENSOR_RAW_DATA, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(rawLength);
        });
    }

    /** ValueInfoProto of a tensor; {@code dims} null leaves the shape open. */
    public static byte[] valueInfo(String name, int elemType, long[] dims) {
        byte[] tensorType = Protobuf.message(out -> {
            out.writeInt32(TENSOR_TYPE_ELEM_TYPE, elemType);
            if (dims != null) {
                out.writeByteArray(TENSOR_TYPE_SHAPE, Protobuf.message(shape -> {
                    for (long dim : dims) {
                        shape.writeByteArray(SHAPE_DIM, Protobuf.message(d -> d.writeInt64(DIM_VALUE, dim)));
                    }
                }));
            }
        });
        byte[] type = Protobuf.message(out -> out.writeByteArray(TYPE_TENSOR_TYPE, tensorType));
        return Protobuf.message(out -> {
            out.writeString(VALUE_INFO_NAME, name);
            out.writeByteArray(VALUE_INFO_TYPE, type);
        });
    }

    /** GraphProto from serialised parts. */
    public static byte[] graph(String name, List<byte[]> nodes, List<byte[]> initializers, List<byte[]> inputs,
                               List<byte[]> outputs) {
        return Protobuf.message(out -> {
            for (byte[] node : nodes) {
                out.writeByteArray(GRAPH_NODE, node);
            }
            out.writeString(GRAPH_NAME, name);
            for (byte[] initializer : initializers) {
                out.writeByteArray(GRAPH_INITIALIZER, initializer);
            }
            for (byte[] input : inputs) {
                out.writeByteArray(GRAPH_INPUT, input);
            }
            for (byte[] output : outputs) {
                out.writeByteArray(GRAPH_OUTPUT, output);
            }
        });
    }

    /** ModelProto of one graph in the default domain at {@code opset}. */
    public static byte[] model(long irVersion, long opset, byte[] graph) {
        byte[] opsetId = Protobuf.message(out -> out.writeInt64(OPSET_VERSION, opset));
        return Protobuf.message(out -> {
            out.writeInt64(MODEL_IR_VERSION, irVersion);
            out.writeByteArray(MODEL_OPSET, opsetId);
            out.writeByteArray(MODEL_GRAPH, graph);
        });
    }
}
