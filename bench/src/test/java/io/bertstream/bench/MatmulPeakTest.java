package io.bertstream.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatmulPeakTest {

    @Test
    void theHandWrittenGraphMultiplies() throws Exception {
        int n = 5;
        Random random = new Random(1);
        float[] a = MatmulPeak.randomMatrix(n, random);
        float[] b = MatmulPeak.randomMatrix(n, random);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession session = env.createSession(MatmulPeak.matmulModel(n, b), new OrtSession.SessionOptions());
             OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), new long[] {n, n});
             OrtSession.Result result = session.run(Map.of("A", input))) {
            float[][] c = (float[][]) result.get(0).getValue();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    float expected = 0;
                    for (int k = 0; k < n; k++) {
                        expected += a[i * n + k] * b[k * n + j];
                    }
                    assertEquals(expected, c[i][j], 1e-5);
                }
            }
        }
    }

    @Test
    void measuresAPlausibleRate() {
        double gflops = MatmulPeak.measure(256, 2, 2);
        // anything from an old laptop core to a big server socket; zero or absurd means the timing is broken
        assertTrue(gflops > 1 && gflops < 100_000, gflops + " GFLOP/s");
    }
}
