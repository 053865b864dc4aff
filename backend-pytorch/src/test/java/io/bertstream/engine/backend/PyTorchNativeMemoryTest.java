package io.bertstream.engine.backend;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.backend.pytorch.PyTorchEncoder;
import io.bertstream.engine.model.TestModels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Many small calls through the whole engine on PyTorch leave native memory flat ({@link NativeMemory}); the
 * million-call soak: {@code mvn -pl backend-pytorch test -Dtest=PyTorchNativeMemoryTest -Dbertstream.soak.calls=1000000}.
 */
class PyTorchNativeMemoryTest {

    /**
     * The weights' NDManager is capped, so an op leaving a result there would throw; the number of arrays alive
     * under the encoder must be the same after every call as before the first; and malloc must stay flat.
     */
    @Test
    void pyTorchLeavesNoArrayBehind() {
        try (EmbeddingEngine engine = EmbeddingEngine.open(TestModels.minilm(), TestEngines.on(Backend.PYTORCH))) {
            PyTorchEncoder encoder = (PyTorchEncoder) engine.encoder();
            int weightsOnly = encoder.liveArrays();
            NativeMemory.assertFlat(engine, NativeMemory.CALLS > 0 ? NativeMemory.CALLS : 1_500,
                    call -> assertEquals(weightsOnly, encoder.liveArrays(), "arrays alive after call " + call));
        }
    }
}
