package io.bertstream.engine.backend;

/** Which runtime executes the encoder. AUTO picks by measurement: ONNX Runtime on CPU when a graph exists, PyTorch on GPU. */
public enum Backend { AUTO, PYTORCH, ONNXRUNTIME }
