package io.bertstream.engine.backend.pytorch;

import ai.djl.engine.Engine;
import io.bertstream.engine.DjlDefaults;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Backends;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.EncoderProvider;
import io.bertstream.engine.model.LoadedModel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** DJL's PyTorch engine as an engine backend: every model, CPU or GPU, fp32 or (on a GPU) fp16 / bf16. */
public final class PyTorchProvider implements EncoderProvider {

    private static final Logger LOG = LoggerFactory.getLogger(PyTorchProvider.class);

    static {
        DjlDefaults.apply(); // before DJL's engine first runs (it calls home unless told not to)
    }

    @Override
    public Backend backend() {
        return Backend.PYTORCH;
    }

    @Override
    public String artifactId() {
        return Backends.artifactOf(Backend.PYTORCH);
    }

    @Override
    public Optional<String> cannotRun(LoadedModel model) {
        return Optional.empty();
    }

    /**
     * Asks libtorch only when the OS shows an NVIDIA driver: loading libtorch just to count GPUs costs ~450 MB of
     * mapped natives and, on a CPU machine, prints DJL's "Failed to detect GPU count" warnings.
     */
    @Override
    public boolean gpuVisible() {
        if (!nvidiaDriverPresent()) {
            return false;
        }
        int gpus = PyTorchEncoder.gpuCount();
        if (gpus == 0) {
            LOG.warn("an NVIDIA driver is present but PyTorch sees no GPU (CUDA build of libtorch missing, or a "
                    + "driver too old for it): running on the CPU");
        }
        return gpus > 0;
    }

    /** The kernel driver lists one directory per GPU; CUDA_VISIBLE_DEVICES="" or "-1" hides them all. */
    static boolean nvidiaDriverPresent() {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        if (visible != null && (visible.isBlank() || visible.strip().equals("-1"))) {
            return false;
        }
        Path gpus = Path.of("/proc/driver/nvidia/gpus");
        if (!Files.isDirectory(gpus)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(gpus)) {
            return entries.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public Encoder open(LoadedModel model, EngineOptions options) {
        return PyTorchEncoder.load(model, options.device(), options.precision(), options.threads());
    }

    @Override
    public Map<String, Object> runtime() {
        Map<String, Object> fields = new LinkedHashMap<>();
        Engine pytorch = Engine.getEngine("PyTorch");
        fields.put("djl", Engine.getDjlVersion());
        fields.put("pytorch", pytorch.getVersion());
        fields.put("pytorch_device", pytorch.defaultDevice().toString());
        fields.put("gpus", pytorch.getGpuCount());
        return fields;
    }
}
