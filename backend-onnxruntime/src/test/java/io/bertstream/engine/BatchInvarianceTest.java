package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays and retried transactions must reproduce vectors: a text's vector embedded alone and inside a pass of
 * mixed lengths (padded to a 202-token row) differs by at most 1e-6 (max abs) in fp32 on ONNX Runtime
 * ({@link BatchInvariance}, real MiniLM).
 */
class BatchInvarianceTest {

    static final double BOUND = 1e-6;

    @Test
    void aTextAloneAndInsideAMixedPassGetTheSameVector() {
        double worst = BatchInvariance.maxAbsDifference(Backend.ONNXRUNTIME);
        System.out.printf("batch invariance, onnxruntime: max abs difference %.3g%n", worst);
        assertTrue(worst <= BOUND, "max abs difference " + worst + " > " + BOUND);
    }
}
