package io.bertstream.engine.model.onnx;

/**
 * Field numbers of the onnx.proto messages bertstream reads and writes on the protobuf wire format (no
 * generated ONNX classes), and the TensorProto data types it meets. One place for the schema, shared by the
 * model reader and the benchmark's graph rewriters.
 */
public final class OnnxFields {

    // ModelProto
    public static final int MODEL_GRAPH = 7;
    public static final int MODEL_OPSET = 8;
    // OperatorSetIdProto
    public static final int OPSET_DOMAIN = 1;
    public static final int OPSET_VERSION = 2;
    // GraphProto
    public static final int GRAPH_NODE = 1;
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
    // TensorProto
    public static final int TENSOR_DIMS = 1;
    public static final int TENSOR_DATA_TYPE = 2;
    public static final int TENSOR_FLOAT_DATA = 4;
    public static final int TENSOR_INT64_DATA = 7;
    public static final int TENSOR_NAME = 8;
    public static final int TENSOR_RAW_DATA = 9;
    public static final int TENSOR_EXTERNAL_DATA = 13;
    // ValueInfoProto, TypeProto, TypeProto.Tensor
    public static final int VALUE_INFO_NAME = 1;
    public static final int VALUE_INFO_TYPE = 2;
    public static final int TYPE_TENSOR_TYPE = 1;
    public static final int TENSOR_TYPE_ELEM_TYPE = 1;

    // TensorProto.DataType
    public static final int FLOAT = 1;
    public static final int INT8 = 3;
    public static final int INT64 = 7;
    public static final int FLOAT16 = 10;
    public static final int BFLOAT16 = 16;

    private OnnxFields() {
    }
}
