package io.bertstream.topology;

/** Where an input record came from: put on every output and dead letter, so each traces back to its input. */
public record Lineage(String topic, int partition, long offset, long timestamp) {
}
