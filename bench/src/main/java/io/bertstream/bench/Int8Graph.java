package io.bertstream.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.bertstream.bench.OnnxProto.message;

import static io.bertstream.engine.model.onnx.OnnxFields.*;

/**
 * Dynamic int8 quantisation of an ONNX graph, in Java because ONNX Runtime's {@code quantize_dynamic} exists only
 * in Python. Every MatMul by a constant fp32 weight becomes DynamicQuantizeLinear → MatMulInteger → Cast → Mul,
 * the pattern ONNX Runtime fuses into one int8 kernel (VNNI where the CPU has it). Weights are int8, symmetric,
 * one scale per output column; activations uint8 with a scale computed per call. Everything else (attention
 * score products, LayerNorm, GELU) stays fp32. The graph is rewritten on the protobuf wire format (field
 * numbers from onnx.proto); fields it does not touch are copied as they are.
 */
public final class Int8Graph {

    /** DynamicQuantizeLinear needs opset 11. */
    private static final int MIN_OPSET = 11;

    private Int8Graph() {
    }

    /** One protobuf field as read: number, wire type and its value (varint / fixed in {@code number}, else bytes). */
    private record Field(int number, int wireType, long value, byte[] bytes) {

        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A copy of the model with every MatMul by a constant fp32 [K, N] weight quantised. */
    public static byte[] quantize(byte[] model) {
        List<Field> modelFields = parse(model);
        long opset = modelFields.stream().filter(f -> f.number() == MODEL_OPSET).map(f -> parse(f.bytes()))
                .filter(opsetFields -> opsetFields.stream().noneMatch(f -> f.number() == OPSET_DOMAIN && !f.text().isEmpty()))
                .flatMap(List::stream).filter(f -> f.number() == OPSET_VERSION).mapToLong(Field::value).max().orElse(0);
        if (opset < MIN_OPSET) {
            throw new IllegalArgumentException("the graph's opset " + opset + " predates DynamicQuantizeLinear (opset "
                    + MIN_OPSET + ")");
        }
        return message(out -> {
            for (Field field : modelFields) {
                if (field.number() == MODEL_GRAPH) {
                    out.writeByteArray(MODEL_GRAPH, quantizeGraph(field.bytes()));
                } else {
                    write(out, field);
                }
            }
        });
    }

    private static byte[] quantizeGraph(byte[] graph) {
        List<Field> fields = parse(graph);
        Map<String, float[]> weights = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        for (Field field : fields) {
            if (field.number() == GRAPH_INITIALIZER) {
                readFloatMatrix(field.bytes(), weights, shapes);
            }
        }
        List<byte[]> nodes = new ArrayList<>();
        List<byte[]> newInitializers = new ArrayList<>();
        Set<String> quantized = new HashSet<>();
        Set<String> stillUsed = new HashSet<>();
        int count = 0;
        for (Field field : fields) {
            if (field.number() != GRAPH_NODE) {
                continue;
            }
            List<Field> node = parse(field.bytes());
            String op = node.stream().filter(f -> f.number() == NODE_OP_TYPE).map(Field::text).findFirst().orElse("");
            List<String> inputs = node.stream().filter(f -> f.number() == NODE_INPUT).map(Field::text).toList();
            List<String> outputs = node.stream().filter(f -> f.number() == NODE_OUTPUT).map(Field::text).toList();
            if (op.equals("MatMul") && inputs.size() == 2 && weights.containsKey(inputs.get(1))) {
                String w = inputs.get(1);
                String p = "int8_" + count++ + "_";
                if (quantized.add(w)) {
                    newInitializers.addAll(quantizeWeight(w, weights.get(w), shapes.get(w)));
                }
                nodes.add(node("DynamicQuantizeLinear", p + "dql", List.of(inputs.get(0)),
                        List.of(p + "x_q", p + "x_scale", p + "x_zero"), null));
                nodes.add(node("MatMulInteger", p + "mmi", List.of(p + "x_q", w + "_q", p + "x_zero", w + "_zero"),
                        List.of(p + "y_int32"), null));
                nodes.add(node("Cast", p + "cast", List.of(p + "y_int32"), List.of(p + "y_float"), FLOAT));
                nodes.add(node("Mul", p + "scale", List.of(p + "x_scale", w + "_scale"), List.of(p + "scale"), null));
                nodes.add(node("Mul", p + "out", List.of(p + "y_float", p + "scale"), outputs, null));
            } else {
                stillUsed.addAll(inputs);
                nodes.add(field.bytes());
            }
        }
        return message(out -> {
            for (Field field : fields) {
                if (field.number() == GRAPH_NODE) {
                    continue; // written below, in their original order
                }
                if (field.number() == GRAPH_INITIALIZER) {
                    String name = tensorName(field.bytes());
                    if (quantized.contains(name) && !stillUsed.contains(name)) {
                        continue;
                    }
                }
                write(out, field);
            }
            for (byte[] node : nodes) {
                out.writeByteArray(GRAPH_NODE, node);
            }
            for (byte[] initializer : newInitializers) {
                out.writeByteArray(GRAPH_INITIALIZER, initializer);
            }
        });
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
        return List.of(tensor(name + "_q", INT8, new long[] {k, n}, codes),
                tensor(name + "_scale", FLOAT, new long[] {n}, scaleBytes.array()),
                tensor(name + "_zero", INT8, new long[] {n}, new byte[n]));
    }

    /** Adds a 2-D fp32 initializer to the maps; other tensors are not candidates. */
    private static void readFloatMatrix(byte[] tensor, Map<String, float[]> weights, Map<String, long[]> shapes) {
        List<Long> dims = new ArrayList<>();
        long type = 0;
        String name = null;
        byte[] raw = null;
        List<Float> floats = new ArrayList<>();
        for (Field f : parse(tensor)) {
            switch (f.number()) {
                case TENSOR_DIMS -> dims.addAll(f.wireType() == 2 ? packedVarints(f.bytes()) : List.of(f.value()));
                case TENSOR_DATA_TYPE -> type = f.value();
                case TENSOR_NAME -> name = f.text();
                case TENSOR_RAW_DATA -> raw = f.bytes();
                case TENSOR_FLOAT_DATA -> floats.addAll(f.wireType() == 2 ? packedFloats(f.bytes())
                        : List.of(Float.intBitsToFloat((int) f.value())));
                default -> {
                }
            }
        }
        if (type != FLOAT || dims.size() != 2 || name == null) {
            return;
        }
        float[] values = new float[(int) (dims.get(0) * dims.get(1))];
        if (raw != null) {
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = floats.get(i);
            }
        }
        weights.put(name, values);
        shapes.put(name, new long[] {dims.get(0), dims.get(1)});
    }

    private static String tensorName(byte[] tensor) {
        return parse(tensor).stream().filter(f -> f.number() == TENSOR_NAME).map(Field::text).findFirst().orElse("");
    }

    private static byte[] node(String op, String name, List<String> inputs, List<String> outputs, Integer castTo) {
        return message(out -> {
            for (String input : inputs) {
                out.writeString(NODE_INPUT, input);
            }
            for (String output : outputs) {
                out.writeString(NODE_OUTPUT, output);
            }
            out.writeString(NODE_NAME, name);
            out.writeString(NODE_OP_TYPE, op);
            if (castTo != null) {
                out.writeByteArray(NODE_ATTRIBUTE, message(a -> {
                    a.writeString(ATTRIBUTE_NAME, "to");
                    a.writeInt64(ATTRIBUTE_I, castTo);
                    a.writeInt32(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT);
                }));
            }
        });
    }

    private static byte[] tensor(String name, int type, long[] dims, byte[] raw) {
        return message(out -> {
            for (long dim : dims) {
                out.writeInt64(TENSOR_DIMS, dim);
            }
            out.writeInt32(TENSOR_DATA_TYPE, type);
            out.writeString(TENSOR_NAME, name);
            out.writeByteArray(TENSOR_RAW_DATA, raw);
        });
    }

    private static List<Field> parse(byte[] message) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(message);
            in.setSizeLimit(Integer.MAX_VALUE);
            List<Field> fields = new ArrayList<>();
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int number = tag >>> 3;
                int wireType = tag & 7;
                fields.add(switch (wireType) {
                    case 0 -> new Field(number, wireType, in.readRawVarint64(), null);
                    case 1 -> new Field(number, wireType, in.readRawLittleEndian64(), null);
                    case 2 -> new Field(number, wireType, 0, in.readByteArray());
                    case 5 -> new Field(number, wireType, in.readRawLittleEndian32(), null);
                    default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wireType);
                });
            }
            return fields;
        } catch (IOException e) {
            throw new UncheckedIOException("not a valid ONNX protobuf", e);
        }
    }

    private static void write(CodedOutputStream out, Field field) throws IOException {
        switch (field.wireType()) {
            case 0 -> out.writeUInt64(field.number(), field.value());
            case 1 -> out.writeFixed64(field.number(), field.value());
            case 2 -> out.writeByteArray(field.number(), field.bytes());
            case 5 -> out.writeFixed32(field.number(), (int) field.value());
            default -> throw new IllegalStateException("wire type " + field.wireType());
        }
    }

    private static List<Long> packedVarints(byte[] bytes) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            List<Long> values = new ArrayList<>();
            while (!in.isAtEnd()) {
                values.add(in.readRawVarint64());
            }
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Float> packedFloats(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Float> values = new ArrayList<>();
        while (buffer.remaining() >= Float.BYTES) {
            values.add(buffer.getFloat());
        }
        return values;
    }
}
