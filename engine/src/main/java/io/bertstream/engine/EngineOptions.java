package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;

/**
 * How to run a model.
 *
 * @param backend        runtime; AUTO decides by measurement (see README)
 * @param device         PyTorch device
 * @param precision      compute precision: fp16 / bf16 PyTorch on a GPU, int8 ONNX Runtime on the CPU
 * @param maxPassTokens  padded-token budget of one forward pass (rows x longest row); key bertstream.engine.max-pass-tokens
 * @param threads        intra-op threads; 0 = number of cores
 * @param maxPassRows    most rows in one forward pass, however short they are
 */
public record EngineOptions(Backend backend, Device device, Precision precision, int maxPassTokens, int threads,
                            int maxPassRows) {

    /** Past ~64 rows a pass gains nothing on CPU (see the facts file) and only delays the first result. */
    public static final int DEFAULT_MAX_PASS_ROWS = 64;

    public EngineOptions {
        if (maxPassTokens < 1 || maxPassRows < 1 || threads < 0) {
            throw new IllegalArgumentException("maxPassTokens and maxPassRows must be positive, threads >= 0");
        }
    }

    public EngineOptions(Backend backend, Device device, Precision precision, int maxPassTokens, int threads) {
        this(backend, device, precision, maxPassTokens, threads, DEFAULT_MAX_PASS_ROWS);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Backend.AUTO, Device.AUTO, Precision.FP32, 8192, 0);
    }

    public EngineOptions withBackend(Backend newBackend) {
        return new EngineOptions(newBackend, device, precision, maxPassTokens, threads, maxPassRows);
    }

    public EngineOptions withPrecision(Precision newPrecision) {
        return new EngineOptions(backend, device, newPrecision, maxPassTokens, threads, maxPassRows);
    }

    public EngineOptions withThreads(int newThreads) {
        return new EngineOptions(backend, device, precision, maxPassTokens, newThreads, maxPassRows);
    }

    public EngineOptions withPassLimits(int newMaxPassTokens, int newMaxPassRows) {
        return new EngineOptions(backend, device, precision, newMaxPassTokens, threads, newMaxPassRows);
    }
}
