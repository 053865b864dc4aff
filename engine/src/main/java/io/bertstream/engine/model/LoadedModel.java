package io.bertstream.engine.model;

import io.bertstream.engine.model.onnx.OnnxGraph;

import java.util.Optional;

/**
 * A model resolved from any source into one form: architecture, weights (read on demand), tokenizer, identity and
 * pooling defaults, plus the parsed ONNX graph when the source was an ONNX export (for the ONNX Runtime backend,
 * which loads the model from its file).
 *
 * @param identity      name + format + sha256 of the weights
 * @param config        architecture knobs
 * @param weights       every tensor under Hugging Face names, read from the checkpoint when a backend asks
 * @param tokenizerJson a Hugging Face tokenizer.json (built from vocab.txt when the source has none),
 *                      with padding and truncation removed: the engine sets both per request
 * @param defaults      the model's own layer / pooling / normalisation
 * @param onnxGraph     the ONNX graph (and its file), when the source is an ONNX export
 */
public record LoadedModel(
        ModelIdentity identity,
        BertConfig config,
        ModelWeights weights,
        String tokenizerJson,
        PoolingDefaults defaults,
        Optional<OnnxGraph> onnxGraph) {

    /** Longest input in tokens (special tokens included) the model's position table allows. */
    public int maxTokens() {
        return config.maxPositionEmbeddings();
    }
}
