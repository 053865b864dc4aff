package io.bertstream.engine.backend;

/** Compute precision of the PyTorch backend; FP16/BF16 are meant for GPUs. Outputs are always returned as fp32. */
public enum Precision { FP32, FP16, BF16 }
