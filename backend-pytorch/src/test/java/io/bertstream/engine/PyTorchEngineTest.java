package io.bertstream.engine;

import ai.djl.engine.Engine;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch API on the real MiniLM with PyTorch: the backend contract, and what this backend refuses. */
class PyTorchEngineTest extends EngineContract {

    @Override
    protected Backend backend() {
        return Backend.PYTORCH;
    }

    @Test
    void runsOnTheCpuWhenAskedFor() {
        assertEquals("pytorch-cpu", engine.encoder().name());
    }

    @Test
    void wrongRequestsAreRefusedClearly() {
        IllegalArgumentException fp16 = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(minilm,
                new EngineOptions(Backend.PYTORCH, Device.CPU, Precision.FP16, 8192, 1)));
        assertTrue(fp16.getMessage().contains("FP16 on the CPU is refused"), fp16.getMessage());
        IllegalArgumentException int8 = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(minilm,
                new EngineOptions(Backend.PYTORCH, Device.CPU, Precision.INT8, 8192, 1)));
        assertTrue(int8.getMessage().contains("ONNX Runtime"), int8.getMessage());
        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
            IllegalArgumentException noGpu = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(
                    minilm, new EngineOptions(Backend.PYTORCH, Device.GPU, Precision.BF16, 8192, 1)));
            assertTrue(noGpu.getMessage().contains("sees no GPU"), noGpu.getMessage());
        }
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> engine.encodeAll(List.of("a"), new int[] {7}, LengthPolicy.truncateHead()));
        assertTrue(layer.getMessage().contains("0..6"), layer.getMessage());
    }
}
