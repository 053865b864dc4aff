package io.bertstream.engine.backend;

import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.model.LoadedModel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The backends on the class path and the one rule that picks among them. {@link Backend#AUTO}: ONNX Runtime on
 * the CPU when the model has an ONNX graph (it ran MiniLM 2.3x faster than the NDArray BERT on PyTorch there),
 * PyTorch on a GPU or for checkpoints without a graph; with only one backend present, that one when it can run
 * the model. Precision int8 is ONNX Runtime's. Asking for a backend that is absent names the artifact to add.
 */
public final class Backends {

    private static final Map<Backend, EncoderProvider> PROVIDERS = discover();

    private Backends() {
    }

    private static Map<Backend, EncoderProvider> discover() {
        Map<Backend, EncoderProvider> found = new EnumMap<>(Backend.class);
        for (EncoderProvider provider : ServiceLoader.load(EncoderProvider.class, Backends.class.getClassLoader())) {
            found.putIfAbsent(provider.backend(), provider);
        }
        return found;
    }

    /** Every backend found, in {@link Backend} order. */
    public static List<EncoderProvider> available() {
        List<EncoderProvider> all = new ArrayList<>(PROVIDERS.values());
        all.sort(Comparator.comparing(EncoderProvider::backend));
        return all;
    }

    public static Optional<EncoderProvider> find(Backend backend) {
        return Optional.ofNullable(PROVIDERS.get(backend));
    }

    /** The provider that runs this model with these options; an IllegalArgumentException says what is missing. */
    public static EncoderProvider choose(LoadedModel model, EngineOptions options) {
        return choose(model, options, PROVIDERS);
    }

    static EncoderProvider choose(LoadedModel model, EngineOptions options, Map<Backend, EncoderProvider> providers) {
        // int8 is a mode of the ONNX Runtime backend on the CPU: AUTO means that one
        Backend wanted = options.backend() == Backend.AUTO && options.precision() == Precision.INT8
                ? Backend.ONNXRUNTIME : options.backend();
        if (wanted != Backend.AUTO) {
            EncoderProvider provider = providers.get(wanted);
            if (provider == null) {
                throw new IllegalArgumentException("backend " + label(wanted) + " is not on the class path: add "
                        + artifactOf(wanted) + " (found: " + labels(providers) + ")");
            }
            provider.cannotRun(model).ifPresent(reason -> {
                throw new IllegalArgumentException(reason);
            });
            return provider;
        }
        EncoderProvider onnx = providers.get(Backend.ONNXRUNTIME);
        EncoderProvider torch = providers.get(Backend.PYTORCH);
        boolean gpu = options.device() == Device.GPU
                || options.device() == Device.AUTO && torch != null && torch.gpuVisible();
        boolean onnxCanRun = onnx != null && onnx.cannotRun(model).isEmpty();
        if (!gpu && onnxCanRun) {
            return onnx;
        }
        if (torch != null) {
            return torch;
        }
        if (options.device() == Device.GPU) {
            throw new IllegalArgumentException("device gpu needs the PyTorch backend (" + artifactOf(Backend.PYTORCH)
                    + "), which is not on the class path");
        }
        if (onnx == null) {
            throw new IllegalArgumentException("no backend on the class path: add " + artifactOf(Backend.ONNXRUNTIME)
                    + " and/or " + artifactOf(Backend.PYTORCH));
        }
        throw new IllegalArgumentException(onnx.cannotRun(model).orElseThrow());
    }

    /** Artifact id of a backend module, also when it is absent. */
    public static String artifactOf(Backend backend) {
        return "bertstream-backend-" + label(backend);
    }

    private static String label(Backend backend) {
        return backend.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String labels(Map<Backend, EncoderProvider> providers) {
        return providers.isEmpty() ? "none" : String.join(", ", providers.keySet().stream().map(Backends::label).toList());
    }
}
