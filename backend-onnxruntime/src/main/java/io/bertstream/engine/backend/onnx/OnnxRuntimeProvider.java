package io.bertstream.engine.backend.onnx;

import ai.onnxruntime.OrtEnvironment;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Backends;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.EncoderProvider;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.model.LoadedModel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ONNX Runtime as an engine backend: fp32 on the CPU, or int8 ({@link Int8Quantizer}), for models that come with
 * an ONNX graph.
 */
public final class OnnxRuntimeProvider implements EncoderProvider {

    @Override
    public Backend backend() {
        return Backend.ONNXRUNTIME;
    }

    @Override
    public String artifactId() {
        return Backends.artifactOf(Backend.ONNXRUNTIME);
    }

    @Override
    public Optional<String> cannotRun(LoadedModel model) {
        return model.onnxGraph().isPresent() ? Optional.empty() : Optional.of("model " + model.identity().name()
                + " has no ONNX graph, so ONNX Runtime cannot run it; it needs the PyTorch backend ("
                + Backends.artifactOf(Backend.PYTORCH) + ")");
    }

    /** The CPU provider is the only one this backend uses. */
    @Override
    public boolean gpuVisible() {
        return false;
    }

    @Override
    public Encoder open(LoadedModel model, EngineOptions options) {
        cannotRun(model).ifPresent(reason -> {
            throw new IllegalArgumentException(reason);
        });
        if (options.device() == Device.GPU || options.precision() == Precision.FP16 || options.precision() == Precision.BF16) {
            throw new IllegalArgumentException("the ONNX Runtime backend runs fp32 on the CPU only (or int8: precision "
                    + "int8); use the PyTorch backend for device " + options.device() + " / precision " + options.precision());
        }
        return OnnxRuntimeEncoder.load(model, options.threads(), options.precision());
    }

    @Override
    public Map<String, Object> runtime() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("onnxruntime", OrtEnvironment.getEnvironment().getVersion());
        fields.put("onnxruntime_providers", List.copyOf(OrtEnvironment.getAvailableProviders()).toString());
        return fields;
    }
}
