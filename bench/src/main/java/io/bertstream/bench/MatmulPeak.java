package io.bertstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

import static io.bertstream.bench.OnnxProto.message;

/**
 * The machine's fp32 matmul peak as ONNX Runtime reaches it: one square MatMul whose right operand is a
 * constant (so ORT pre-packs it, as it does the model's Linear weights), timed best-of-N. The one-node graph
 * is written as ONNX protobuf directly; the field numbers are those of onnx.proto.
 */
public final class MatmulPeak {

    private static final int FLOAT = 1; // TensorProto.DataType.FLOAT

    private MatmulPeak() {
    }

    /** GFLOP/s of the fastest of {@code repeats} n x n x n products, after two warm-up calls. */
    public static double measure(int n, int repeats, int threads) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            Random random = new Random(42);
            try (OrtSession session = env.createSession(matmulModel(n, randomMatrix(n, random)), options);
                 OnnxTensor a = OnnxTensor.createTensor(env, FloatBuffer.wrap(randomMatrix(n, random)), new long[] {n, n})) {
                double best = Double.MAX_VALUE;
                for (int i = 0; i < repeats + 2; i++) {
                    long start = System.nanoTime();
                    try (OrtSession.Result ignored = session.run(Map.of("A", a))) {
                        double seconds = Throughput.seconds(System.nanoTime() - start);
                        best = i < 2 ? best : Math.min(best, seconds);
                    }
                }
                return 2.0 * n * n * n / best / 1e9;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("matmul peak measurement failed", e);
        }
    }

    /** C = A x B with A an [n, n] input and B an [n, n] constant. */
    static byte[] matmulModel(int n, float[] b) {
        byte[] node = message(out -> {
            out.writeString(1, "A");
            out.writeString(1, "B");
            out.writeString(2, "C");
            out.writeString(4, "MatMul");
        });
        ByteBuffer weights = ByteBuffer.allocate(n * n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        weights.asFloatBuffer().put(b);
        byte[] initializer = message(out -> {
            out.writeInt64(1, n);
            out.writeInt64(1, n);
            out.writeInt32(2, FLOAT);
            out.writeString(8, "B");
            out.writeBytes(9, ByteString.copyFrom(weights.array()));
        });
        byte[] graph = message(out -> {
            out.writeByteArray(1, node);
            out.writeString(2, "matmul_peak");
            out.writeByteArray(5, initializer);
            out.writeByteArray(11, squareFloatTensor("A", n));
            out.writeByteArray(12, squareFloatTensor("C", n));
        });
        byte[] opset = message(out -> out.writeInt64(2, 17));
        return message(out -> {
            out.writeInt64(1, 8); // ir_version
            out.writeByteArray(8, opset);
            out.writeByteArray(7, graph);
        });
    }

    private static byte[] squareFloatTensor(String name, int n) {
        byte[] dim = message(out -> out.writeInt64(1, n));
        byte[] shape = message(out -> {
            out.writeByteArray(1, dim);
            out.writeByteArray(1, dim);
        });
        byte[] tensorType = message(out -> {
            out.writeInt32(1, FLOAT);
            out.writeByteArray(2, shape);
        });
        byte[] type = message(out -> out.writeByteArray(1, tensorType));
        return message(out -> {
            out.writeString(1, name);
            out.writeByteArray(2, type);
        });
    }

    static float[] randomMatrix(int n, Random random) {
        float[] values = new float[n * n];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() - 0.5f;
        }
        return values;
    }
}
