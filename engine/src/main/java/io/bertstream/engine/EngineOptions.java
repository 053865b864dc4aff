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
 */
public record EngineOptions(Backend backend, Device device, Precision precision, int maxBatchTokens, int threads) {

    public static EngineOptions defaults() {
        return new EngineOptions(Backend.AUTO, Device.AUTO, Precision.FP32, 8192, 0);
    }
}
