package io.bertstream.engine;

import io.bertstream.engine.text.Segment;

/**
 * A segment with the hidden states the caller asked for: {@code hidden[i]} is layer {@code layers[i]} as a
 * row-major [segment.length(), hiddenSize] array (real tokens only, padding removed).
 */
public record EncodedSegment(Segment segment, int[] layers, int hiddenSize, float[][] hidden) {
}
