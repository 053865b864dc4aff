package io.bertstream.cli;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.SharedModel;
import picocli.CommandLine.Option;

/**
 * Which model runs where, for the commands that run one (embed, fit-pca, probe-layers): the configuration's
 * bertstream.model, backend, device, precision, threads and engine.max-pass-tokens, as options.
 */
public final class ModelOptions {

    @Setting(BertstreamConfig.MODEL)
    @Option(names = "--model", paramLabel = "NAME|PATH",
            description = "Built-in model (minilm, bge-small, bert-base-uncased) or a model path (default ${DEFAULT-VALUE}).")
    String model;

    @Setting(BertstreamConfig.BACKEND)
    @Option(names = "--backend", paramLabel = "auto|pytorch|onnxruntime",
            description = "Runtime (default ${DEFAULT-VALUE}: ONNX Runtime on CPU when the model has a graph, PyTorch otherwise or on a GPU).")
    String backend;

    @Setting(BertstreamConfig.DEVICE)
    @Option(names = "--device", paramLabel = "auto|cpu|gpu", description = "Device (default ${DEFAULT-VALUE}); gpu: PyTorch only.")
    String device;

    @Setting(BertstreamConfig.PRECISION)
    @Option(names = "--precision", paramLabel = "fp32|int8|fp16|bf16",
            description = "Compute precision (default ${DEFAULT-VALUE}); int8: ONNX Runtime on the CPU, vectors within "
                    + "cosine 0.999 of fp32 (measured), quantised once into the model cache; fp16, bf16: PyTorch on a GPU.")
    String precision;

    @Setting(BertstreamConfig.THREADS)
    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads of the model (default ${DEFAULT-VALUE}: all cores).")
    Integer threads;

    @Setting(BertstreamConfig.ENGINE_MAX_PASS_TOKENS)
    @Option(names = "--max-pass-tokens", paramLabel = "N",
            description = "Padded-token budget of one forward pass (default ${DEFAULT-VALUE}): each micro-batch is cut into length-sorted passes.")
    Integer maxPassTokens;

    /** Loads the model as {@code config} (made by {@link Settings#of} from these options) says. */
    static EmbeddingEngine open(BertstreamConfig config) {
        return Distributions.explained(() -> EmbeddingEngine.open(config.require(BertstreamConfig.MODEL),
                SharedModel.engineOptions(config)));
    }

    /** Loads the model these options name. */
    EmbeddingEngine open() {
        return open(Settings.of(this));
    }
}
