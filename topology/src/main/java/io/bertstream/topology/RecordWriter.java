package io.bertstream.topology;

import io.bertstream.extract.Embedding;
import io.bertstream.extract.ModelInfo;

/** Builds and serializes one output record (one vector of one event); throws when it cannot. */
@FunctionalInterface
public interface RecordWriter {

    byte[] write(String topic, String key, PendingEvent event, Embedding embedding, ModelInfo model);
}
