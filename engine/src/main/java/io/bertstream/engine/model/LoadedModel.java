package io.bertstream.engine.model;

import java.util.Optional;

/**
 * A model resolved from any source into one in-memory form: architecture, weights, tokenizer, identity and
 * pooling defaults, plus the ONNX graph when the source was an ONNX export (for the ONNX Runtime backend).
 *
 * @param identity      name + format + sha256 of the weights
 * @param config        architecture knobs
 * @param weights       every tensor under Hugging Face names, fp32
 * @param tokenizerJson a Hugging Face tokenizer.json (built from vocab.txt when the source has none),
 *                      with padding and truncation removed: the engine sets both per request
 * @param defaults      the model's own layer / pooling / normalisation
 * @param onnxModel     the original ONNX graph bytes, when the source is an ONNX export
 */
public record LoadedModel(
        ModelIdentity identity,
        BertConfig config,
        ModelWeights weights,
        String tokenizerJson,
        PoolingDefaults defaults,
        Optional<byte[]> onnxModel) {

    /** Longest input in tokens (special tokens included) the model's position table allows. */
    public int maxTokens() {
        return config.maxPositionEmbeddings();
    }
}
