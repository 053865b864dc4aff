package io.bertstream.engine.model;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One list of activations serves the config check and the backends: every spelling it has passes the check. */
class ArchitectureTest {

    private static BertConfig withActivation(String hiddenAct) {
        return new BertConfig("bert", 30522, 384, 6, 12, 1536, 512, 2, 1e-12, hiddenAct, 0);
    }

    @Test
    void everyActivationTheEncoderImplementsIsAccepted() {
        assertEquals(List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "relu"), Architecture.Activation.names());
        for (String name : Architecture.Activation.names()) {
            assertEquals(withActivation(name), Architecture.validate(withActivation(name), "test"));
            assertTrue(Architecture.Activation.of(name).isPresent(), name);
        }
        assertEquals(Architecture.Activation.GELU_TANH, Architecture.Activation.of("gelu_pytorch_tanh").orElseThrow());
        assertEquals(Architecture.Activation.GELU, Architecture.Activation.of("gelu").orElseThrow());
    }

    @Test
    void anActivationTheEncoderLacksIsRefusedNamingTheValidOnes() {
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Architecture.validate(withActivation("silu"), "test"));
        assertTrue(e.getMessage().contains("hidden_act 'silu'") && e.getMessage().contains("gelu_pytorch_tanh"),
                e.getMessage());
    }
}
