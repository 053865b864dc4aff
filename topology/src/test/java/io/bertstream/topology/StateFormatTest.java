package io.bertstream.topology;

import io.bertstream.extract.Embedding;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The changelog formats: what this version writes reads back; what the first release wrote (kept as bytes in
 * test resources, see legacy/README.md) still reads; anything else is refused with one line, never guessed at.
 */
class StateFormatTest {

    static byte[] legacy(String name) throws IOException {
        try (InputStream in = StateFormatTest.class.getResourceAsStream("legacy/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource legacy/" + name);
            }
            return in.readAllBytes();
        }
    }

    @Test
    void pendingEntriesOfTheUnversionedLayoutRestoreAsTheirRawRecords() throws IOException {
        InputRecord first = StateFormat.readPending(legacy("pending-unversioned-1.bin"));
        assertArrayEquals("key-1".getBytes(StandardCharsets.UTF_8), first.key());
        assertEquals("{\"id\":\"id-1\",\"text\":\"The cat sat on the mat.\",\"lang\":\"en\"}",
                new String(first.value(), StandardCharsets.UTF_8));
        assertEquals(new Lineage("texts", 3, 41L, 1_700_000_000_000L), first.source());
        assertEquals(1_700_000_000_500L, first.receivedAt());
        assertFalse(first.headers().iterator().hasNext(), "that layout kept no headers");

        InputRecord second = StateFormat.readPending(legacy("pending-unversioned-2.bin"));
        assertNull(second.key(), "a null key stays null");
        assertEquals("{\"text\":\"Grüße, 世界 🌍\"}", new String(second.value(), StandardCharsets.UTF_8));
        assertEquals(new Lineage("texts.de", 0, 7L, 1_700_000_001_000L), second.source());
        assertEquals(1_700_000_001_250L, second.receivedAt());
    }

    @Test
    void cacheEntriesOfTheUnversionedLayoutRestore() throws IOException {
        var plain = StateFormat.readVectors(legacy("cache-unversioned-plain.bin"));
        assertEquals(1, plain.size());
        assertArrayEquals(new float[] {0.25f, -0.5f, 0.125f}, plain.get(0).vector());
        assertEquals(7, plain.get(0).tokenCount());

        var chunks = StateFormat.readVectors(legacy("cache-unversioned-chunks.bin"));
        assertEquals(List.of(new Embedding.ChunkInfo(0, 2, 0, 10), new Embedding.ChunkInfo(1, 2, 6, 20),
                new Embedding.ChunkInfo(2, 2, 0, 20)), chunks.stream().map(Embedding::chunk).toList());
        assertArrayEquals(new float[] {3f, 4f}, chunks.get(1).vector());

        var tokens = StateFormat.readVectors(legacy("cache-unversioned-tokens.bin")).get(0);
        assertTrue(tokens.truncated());
        assertEquals("grüße", tokens.tokens().get(1).token());
        assertArrayEquals(new float[] {-1f, 1f}, tokens.tokens().get(1).vector());

        var int8 = StateFormat.readVectors(legacy("cache-unversioned-int8.bin")).get(0);
        assertEquals(new Embedding.Quantization("int8", 0.0078125f, 0.001f), int8.quantization());
        assertArrayEquals(new float[] {-128f, 0f, 127f}, int8.vector());
    }

    @Test
    void whatThisVersionWritesReadsBackVersioned() {
        var headers = new RecordHeaders();
        headers.add("trace", "abc".getBytes(StandardCharsets.UTF_8));
        headers.add("empty", null);
        var record = new InputRecord(null, new byte[] {1, 2, 3}, headers, new Lineage("t", 2, 99, 1234), 5678);
        byte[] bytes = StateFormat.writePending(record);
        assertEquals((byte) 0xC3, bytes[0], "single-object encoding: the fingerprint is the format version");
        InputRecord back = StateFormat.readPending(bytes);
        assertNull(back.key());
        assertArrayEquals(new byte[] {1, 2, 3}, back.value());
        assertEquals(record.source(), back.source());
        assertEquals(5678, back.receivedAt());
        assertArrayEquals(headers.toArray(), back.headers().toArray());

        var vectors = List.of(
                new Embedding(new float[] {1f, -2f}, new Embedding.ChunkInfo(0, 1, 0, 5), 4, false, null, null),
                new Embedding(new float[0], null, 3, true, List.of(new Embedding.TokenVector("é", 0, 1,
                        new float[] {0.5f})), new Embedding.Quantization("binary", 1f, 0f)));
        List<Embedding> read = StateFormat.readVectors(StateFormat.writeVectors(vectors));
        assertArrayEquals(vectors.get(0).vector(), read.get(0).vector());
        assertEquals(vectors.get(0).chunk(), read.get(0).chunk());
        assertEquals("é", read.get(1).tokens().get(0).token());
        assertArrayEquals(new float[] {0.5f}, read.get(1).tokens().get(0).vector());
        assertEquals(vectors.get(1).quantization(), read.get(1).quantization());
        assertTrue(read.get(1).truncated());
    }

    @Test
    void anUnknownVersionIsRefusedOnOneLineNeverGuessedAt() {
        byte[] current = StateFormat.writePending(new InputRecord(null, new byte[0], new RecordHeaders(),
                new Lineage("t", 0, 0, 0), 0));
        byte[] unknown = Arrays.copyOf(current, current.length);
        unknown[2] ^= 0x5A; // another fingerprint: a format this version never wrote
        var e = assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readPending(unknown));
        assertTrue(e.getMessage().contains("unknown format") && e.getMessage().contains("newer bertstream"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readVectors(unknown));
        assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.checkVectorsReadable(unknown));
        assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readPending(new byte[] {0, 0, 0, 9, 1}),
                "truncated bytes of the old layout are refused too");
    }

    @Test
    void chunkCountsReadBackAndAnythingButTheirVersionedFormatIsRefused() {
        for (int chunks : new int[] {2, 3, 256, Integer.MAX_VALUE}) {
            assertEquals(chunks, StateFormat.readChunkCount(StateFormat.writeChunkCount(chunks)));
        }
        byte[] unknown = StateFormat.writeChunkCount(5);
        unknown[3] ^= 0x21;
        var e = assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readChunkCount(unknown));
        assertTrue(e.getMessage().startsWith("chunk-count entry in an unknown format"), e.getMessage());
        assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readChunkCount(new byte[] {0, 0, 0, 5}),
                "the store came with the versioned formats: no unversioned layout");
        byte[] pending = StateFormat.writePending(new InputRecord(null, new byte[0], new RecordHeaders(),
                new Lineage("t", 0, 0, 0), 0));
        assertThrows(StateFormat.UnknownFormatException.class, () -> StateFormat.readChunkCount(pending),
                "another store's value");
    }
}
