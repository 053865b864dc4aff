package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.model.TestModels;
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
        double worst;
        try (EmbeddingEngine engine = EmbeddingEngine.open(TestModels.minilm(), TestEngines.on(Backend.ONNXRUNTIME))) {
            worst = BatchInvariance.maxAbsDifference(engine, SampleTexts.mixedLengths());
        }
        System.out.printf("batch invariance, onnxruntime: max abs difference %.3g%n", worst);
        assertTrue(worst <= BOUND, "max abs difference " + worst + " > " + BOUND);
    }
}
