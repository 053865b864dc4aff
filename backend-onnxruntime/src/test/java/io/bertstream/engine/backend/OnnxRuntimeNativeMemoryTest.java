package io.bertstream.engine.backend;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.model.TestModels;
import org.junit.jupiter.api.Test;

/**
 * Many small calls through the whole engine on ONNX Runtime leave native memory flat ({@link NativeMemory}); the
 * million-call soak: {@code mvn -pl backend-onnxruntime test -Dtest=OnnxRuntimeNativeMemoryTest -Dbertstream.soak.calls=1000000}.
 */
class OnnxRuntimeNativeMemoryTest {

    /**
     * ONNX Runtime allocates with malloc and keeps no count a test could read, so ask glibc instead (see
     * {@link NativeMemory#assertFlat}).
     */
    @Test
    void onnxRuntimeMallocStaysFlat() {
        try (EmbeddingEngine engine = EmbeddingEngine.open(TestModels.minilm(), TestEngines.on(Backend.ONNXRUNTIME))) {
            NativeMemory.assertFlat(engine, NativeMemory.CALLS > 0 ? NativeMemory.CALLS : 4_000, call -> { });
        }
    }
}
