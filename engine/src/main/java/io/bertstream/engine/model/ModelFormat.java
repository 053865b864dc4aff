package io.bertstream.engine.model;

/** The checkpoint formats bertstream reads. */
public enum ModelFormat {
    /** Hugging Face directory: config.json + model.safetensors + tokenizer.json or vocab.txt. */
    HUGGINGFACE,
    /** An ONNX export: weights from its initializers, the graph for ONNX Runtime. */
    ONNX,
    /** Google's original TensorFlow BERT checkpoint: TensorBundle variables + vocab.txt + config. */
    TENSORFLOW
}
