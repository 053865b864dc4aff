package io.bertstream.topology;

import io.bertstream.extract.EmbedOutcome;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The stream's advance view of an event's work (its chunks), against what the real model then returns. */
class SegmentShapeTest {

    @Test
    void chunkCountsMatchTheModelsChunks() {
        assertEquals(512, TestModel.shared().shape().window(), "MiniLM reads 512 tokens");
        try (var chunked = SharedModel.open(BertstreamConfig.of(Map.of(BertstreamConfig.THREADS, "1",
                BertstreamConfig.LENGTH_MODE, "chunk", BertstreamConfig.LENGTH_MAX_TOKENS, "16",
                BertstreamConfig.LENGTH_OVERLAP, "4"), Map.of()))) {
            for (int words : new int[] {1, 13, 14, 15, 26, 27, 100, 400}) {
                String text = "word ".repeat(words).trim();
                int tokens = chunked.embedder().countTokens(text);
                var outcome = (EmbedOutcome.Embedded) chunked.embedder().embedAll(java.util.List.of(text)).get(0);
                assertEquals(outcome.vectors().size(), chunked.shape().chunks(tokens), words + " words");
                assertEquals(1, TestModel.shared().shape().chunks(tokens), "head mode: one input");
            }
        }
    }
}
