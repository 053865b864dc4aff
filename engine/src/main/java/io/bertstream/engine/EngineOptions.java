package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;

/**
 * How to run a model.
 *
 * @param backend        runtime; AUTO decides by measurement (see README)
 * @param device         PyTorch device
 * @param precision      PyTorch compute precision (GPU)
 * @param maxBatchTokens padded-token budget of one forward pass (batch rows x longest row)
 * @param threads        intra-op threads; 0 = number of cores
 * @param maxBatchRows   most rows in one forward pass, however short they are
 */
public record EngineOptions(Backend backend, Device device, Precision precision, int maxBatchTokens, int threads,
                            int maxBatchRows) {

    /** Past ~64 rows batching gains nothing on CPU (see the facts file) and only delays the first result. */
    public static final int DEFAULT_MAX_BATCH_ROWS = 64;

    public EngineOptions {
        if (maxBatchTokens < 1 || maxBatchRows < 1 || threads < 0) {
            throw new IllegalArgumentException("maxBatchTokens and maxBatchRows must be positive, threads >= 0");
        }
    }

    public EngineOptions(Backend backend, Device device, Precision precision, int maxBatchTokens, int threads) {
        this(backend, device, precision, maxBatchTokens, threads, DEFAULT_MAX_BATCH_ROWS);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(Backend.AUTO, Device.AUTO, Precision.FP32, 8192, 0);
    }

    public EngineOptions withBackend(Backend newBackend) {
        return new EngineOptions(newBackend, device, precision, maxBatchTokens, threads, maxBatchRows);
    }

    public EngineOptions withThreads(int newThreads) {
        return new EngineOptions(backend, device, precision, maxBatchTokens, newThreads, maxBatchRows);
    }

    public EngineOptions withBatching(int newMaxBatchTokens, int newMaxBatchRows) {
        return new EngineOptions(backend, device, precision, newMaxBatchTokens, threads, newMaxBatchRows);
    }
}
