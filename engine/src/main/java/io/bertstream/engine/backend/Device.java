package io.bertstream.engine.backend;

/** Where the PyTorch backend runs. AUTO = GPU when one is visible, else CPU. */
public enum Device { AUTO, CPU, GPU }
