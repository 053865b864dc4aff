package io.bertstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.bertstream.engine.model.onnx.OnnxProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The machine's fp32 matmul peak as ONNX Runtime reaches it: one square MatMul whose right operand is a
 * constant (so ORT pre-packs it, as it does the model's Linear weights), timed best-of-N. The one-node graph
 * is written with the engine's ONNX codec ({@link OnnxProto}).
 */
public final class MatmulPeak {

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
        ByteBuffer weights = ByteBuffer.allocate(n * n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        weights.asFloatBuffer().put(b);
        long[] square = {n, n};
        byte[] graph = OnnxProto.graph("matmul_peak",
                List.of(OnnxProto.node("MatMul", "matmul", List.of("A", "B"), List.of("C"), List.of())),
                List.of(OnnxProto.tensor("B", OnnxProto.FLOAT, square, weights.array())),
                List.of(OnnxProto.valueInfo("A", OnnxProto.FLOAT, square)),
                List.of(OnnxProto.valueInfo("C", OnnxProto.FLOAT, square)));
        return OnnxProto.model(8, 17, graph);
    }

    static float[] randomMatrix(int n, Random random) {
        float[] values = new float[n * n];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() - 0.5f;
        }
        return values;
    }
}
