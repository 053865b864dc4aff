package io.bertstream.topology;

import org.apache.kafka.common.header.Headers;

/**
 * An input record as it was read, held until its outcome (outputs or a dead letter) commits: the value of the
 * pending changelog. Only the raw record is kept; it is decoded again whenever it is restored.
 *
 * @param key        original key bytes (may be null)
 * @param value      original value bytes (may be null)
 * @param headers    original headers
 * @param source     source topic, partition, offset and timestamp
 * @param receivedAt wall-clock millis when the processor first read it
 */
record InputRecord(byte[] key, byte[] value, Headers headers, Lineage source, long receivedAt) {
}
