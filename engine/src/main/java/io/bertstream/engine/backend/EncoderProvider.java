package io.bertstream.engine.backend;

import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.model.LoadedModel;

import java.util.Map;
import java.util.Optional;

/**
 * A backend module's entry point, found at run time with {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/io.bertstream.engine.backend.EncoderProvider} file in the module's jar), the way DJL
 * finds its engines. The engine core names no runtime, so a deployment carries only the backends it ships.
 * Implementations must load nothing native until {@link #open} or {@link #runtime} is called.
 */
public interface EncoderProvider {

    /** Which {@link Backend} this module implements. */
    Backend backend();

    /** The artifact that carries it, for messages that say what to add ({@code bertstream-backend-...}). */
    String artifactId();

    /** Why this backend cannot run the model at all (ONNX Runtime needs an ONNX graph); empty when it can. */
    Optional<String> cannotRun(LoadedModel model);

    /**
     * Whether this runtime sees a GPU. Must be cheap and quiet when the machine has none: it is asked when
     * {@link Backend#AUTO} picks a backend, before anything else is loaded.
     */
    boolean gpuVisible();

    /** Loads the model's weights into the runtime; the caller closes the encoder. */
    Encoder open(LoadedModel model, EngineOptions options);

    /** Loads the native runtime and reports its version and devices (for {@code inspect --runtime}). */
    Map<String, Object> runtime();
}
