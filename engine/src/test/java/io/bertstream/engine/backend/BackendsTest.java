package io.bertstream.engine.backend;

import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How AUTO and explicit choices pick a backend from the ones on the class path. The providers are test doubles
 * (the choice has nothing to do with running a model; they record whether the GPU probe was asked); the models
 * are MiniLM as loaded (with its ONNX graph) and the same model without one, as a checkpoint would be.
 */
class BackendsTest {

    private static final LoadedModel WITH_GRAPH = TestModels.minilm();
    private static final LoadedModel NO_GRAPH = TestModels.withoutGraph(WITH_GRAPH);

    @Test
    void noBackendOnTheClassPathOfTheCore() {
        assertTrue(Backends.available().isEmpty(), "the core carries no runtime");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.AUTO)));
        assertTrue(e.getMessage().contains("bertstream-backend-onnxruntime"), e.getMessage());
    }

    @Test
    void autoOnACpuPrefersOnnxRuntimeForAGraphAndPyTorchOtherwise() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        Stub torch = new Stub(Backend.PYTORCH, false);
        Map<Backend, EncoderProvider> both = providers(onnx, torch);
        assertSame(onnx, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.AUTO), both));
        assertSame(torch, Backends.choose(NO_GRAPH, options(Backend.AUTO, Device.AUTO), both));
        assertSame(onnx, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.CPU), both));
        assertSame(torch, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.GPU), both));
    }

    @Test
    void autoOnAGpuMachinePicksPyTorch() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        Stub torch = new Stub(Backend.PYTORCH, true);
        assertSame(torch, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.AUTO), providers(onnx, torch)));
        assertTrue(torch.probed);
    }

    @Test
    void theGpuProbeIsNotAskedWhenTheDeviceIsGiven() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        Stub torch = new Stub(Backend.PYTORCH, true);
        assertSame(onnx, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.CPU), providers(onnx, torch)));
        assertFalse(torch.probed);
    }

    @Test
    void autoWithOnlyOneBackendUsesItWhenItCan() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        Stub torch = new Stub(Backend.PYTORCH, false);
        assertSame(torch, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.AUTO), providers(torch)));
        assertSame(onnx, Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.AUTO), providers(onnx)));
        IllegalArgumentException noGraph = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(NO_GRAPH, options(Backend.AUTO, Device.AUTO), providers(onnx)));
        assertTrue(noGraph.getMessage().contains("has no ONNX graph")
                && noGraph.getMessage().contains("bertstream-backend-pytorch"), noGraph.getMessage());
        IllegalArgumentException gpu = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(WITH_GRAPH, options(Backend.AUTO, Device.GPU), providers(onnx)));
        assertTrue(gpu.getMessage().contains("bertstream-backend-pytorch"), gpu.getMessage());
    }

    @Test
    void int8IsOnnxRuntimesModeSoAutoPicksItEvenBesideAGpu() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        Stub torch = new Stub(Backend.PYTORCH, true);
        EngineOptions int8 = options(Backend.AUTO, Device.AUTO).withPrecision(Precision.INT8);
        assertSame(onnx, Backends.choose(WITH_GRAPH, int8, providers(onnx, torch)));
        assertFalse(torch.probed, "int8 needs no GPU probe");
        IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(WITH_GRAPH, int8, providers(torch)));
        assertTrue(absent.getMessage().contains("bertstream-backend-onnxruntime"), absent.getMessage());
        IllegalArgumentException noGraph = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(NO_GRAPH, int8, providers(onnx, torch)));
        assertTrue(noGraph.getMessage().contains("has no ONNX graph"), noGraph.getMessage());
    }

    @Test
    void anExplicitBackendThatIsAbsentNamesItsArtifact() {
        Stub onnx = new Stub(Backend.ONNXRUNTIME, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(WITH_GRAPH, options(Backend.PYTORCH, Device.AUTO), providers(onnx)));
        assertEquals("backend pytorch is not on the class path: add bertstream-backend-pytorch (found: onnxruntime)",
                e.getMessage());
        IllegalArgumentException noGraph = assertThrows(IllegalArgumentException.class,
                () -> Backends.choose(NO_GRAPH, options(Backend.ONNXRUNTIME, Device.AUTO), providers(onnx)));
        assertTrue(noGraph.getMessage().contains("has no ONNX graph"), noGraph.getMessage());
    }

    private static EngineOptions options(Backend backend, Device device) {
        return new EngineOptions(backend, device, Precision.FP32, 8192, 1);
    }

    private static Map<Backend, EncoderProvider> providers(EncoderProvider... providers) {
        Map<Backend, EncoderProvider> map = new EnumMap<>(Backend.class);
        for (EncoderProvider p : providers) {
            map.put(p.backend(), p);
        }
        return map;
    }

    /** A provider that runs nothing: ONNX Runtime's rule (a graph is needed) or PyTorch's (anything). */
    private static final class Stub implements EncoderProvider {
        private final Backend backend;
        private final boolean gpu;
        boolean probed;

        Stub(Backend backend, boolean gpu) {
            this.backend = backend;
            this.gpu = gpu;
        }

        @Override
        public Backend backend() {
            return backend;
        }

        @Override
        public String artifactId() {
            return Backends.artifactOf(backend);
        }

        @Override
        public Optional<String> cannotRun(LoadedModel model) {
            return backend == Backend.ONNXRUNTIME && model.onnxGraph().isEmpty()
                    ? Optional.of("model " + model.identity().name() + " has no ONNX graph; it needs the PyTorch "
                    + "backend (bertstream-backend-pytorch)") : Optional.empty();
        }

        @Override
        public boolean gpuVisible() {
            probed = true;
            return gpu;
        }

        @Override
        public Encoder open(LoadedModel model, EngineOptions options) {
            throw new UnsupportedOperationException("a stub runs nothing");
        }

        @Override
        public Map<String, Object> runtime() {
            return Map.of();
        }
    }
}
