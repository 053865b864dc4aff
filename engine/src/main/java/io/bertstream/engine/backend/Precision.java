package io.bertstream.engine.backend;

/**
 * Compute precision. FP16/BF16: the PyTorch backend on a GPU. INT8: the ONNX Runtime backend on the CPU, with the
 * Linear layers rewritten by {@code Int8Quantizer}'s recipe (vectors within cosine 0.999 of fp32, measured).
 * Outputs are always returned as fp32.
 */
public enum Precision { FP32, FP16, BF16, INT8 }
