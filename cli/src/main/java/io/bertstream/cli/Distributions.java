package io.bertstream.cli;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Backends;

import java.util.function.Supplier;

/**
 * Which jar carries which backend: bertstream.jar (the CPU distribution) has ONNX Runtime only, bertstream-pytorch.jar
 * adds the PyTorch backend and libtorch. The engine names the missing backend module; this says which jar has it.
 */
public final class Distributions {

    public static final String CPU_JAR = "bertstream.jar";
    public static final String PYTORCH_JAR = "bertstream-pytorch.jar";

    private Distributions() {
    }

    /** Runs {@code action}; a refusal for want of the PyTorch backend also names the jar that carries it. */
    public static <T> T explained(Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            if (message != null && message.contains(Backends.artifactOf(Backend.PYTORCH))
                    && Backends.find(Backend.PYTORCH).isEmpty()) {
                throw new IllegalArgumentException(message + "; this is the CPU distribution (" + CPU_JAR
                        + ", ONNX Runtime only): use the PyTorch distribution, " + PYTORCH_JAR, e);
            }
            throw e;
        }
    }
}
