package io.bertstream.topology;

import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deletes and ids through the processor on Kafka Streams' TopologyTestDriver, where micro-batch boundaries are the
 * test's to choose: a delete's tombstones (id and every chunk key) in order with the id's embeddings, surplus chunk
 * keys of a shorter text, Debezium's delete event and its tombstone as one delete, each delete policy, and the id
 * rules (empty, at and over the limit, chunk suffix). The embedder is the {@link FakeEmbedder} test double in chunk
 * mode (6 words a chunk): which keys go out is under test, not the vectors. The same on the real broker:
 * {@link DeletesTest}.
 */
class DeletesTopologyTest {

    private static final String IN = "texts";
    private static final String OUT = "embeddings";
    private static final String DLQ = "dead-letters";

    @TempDir
    Path stateDir;

    private TestPipeline pipeline;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<byte[], byte[]> output;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    private void start(int maxRecords, TopologySettings.Deletes deletes, int maxIdBytes, LengthPolicy.Mode mode,
                       TextDecoder decoder) {
        var settings = new TopologySettings(List.of(IN), null, OUT, DLQ,
                new BatchPolicy(maxRecords, 100_000, Duration.ofHours(1)), TopologySettings.Cache.off(), "", 1_000_000,
                false, 1_000_000, new TopologySettings.EventLimits(262_144, 256), deletes, maxIdBytes);
        var fake = new FakeEmbedder(8, new SegmentShape(mode, 8, 0));
        pipeline = new TestPipeline(settings, fake, fake.shape(), SizeLimits.uniform(1_000_000),
                BertstreamConfig.of(Map.of(), Map.of()).inferenceSettings(), stateDir, decoder);
        input = pipeline.bytesInput(IN);
        output = pipeline.bytesOutput(OUT);
        deadLetters = pipeline.bytesOutput(DLQ);
    }

    private void start(int maxRecords, TopologySettings.Deletes deletes) {
        start(maxRecords, deletes, 512, LengthPolicy.Mode.CHUNK, TextDecoder.json("/text", "/id"));
    }

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private static byte[] utf8(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    /** A text of {@code chunks} chunks (6 words each with the fake's 8-token window). */
    private static String words(int chunks) {
        return String.join(" ", java.util.Collections.nCopies(6 * chunks - 1, "word"));
    }

    private void send(String id, String text) {
        input.pipeInput(utf8(id), text == null ? null : utf8("{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}"));
    }

    /** Everything the output topic got, in order: "key" for a record, "key=null" for a tombstone. */
    private List<String> outputs(int expected) {
        pipeline.await(() -> output.getQueueSize() >= expected);
        return output.readRecordsToList().stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8) + (r.value() == null ? "=null" : ""))
                .toList();
    }

    private void closeOpenBatch() {
        pipeline.driver.advanceWallClockTime(Duration.ofHours(2));
    }

    @Test
    void aDeleteTombstonesTheIdAndEveryChunkKeyItHadInOrderWithItsEmbeddings() {
        start(1, TopologySettings.Deletes.PROPAGATE);
        send("a", words(3));
        assertEquals(List.of("a#0", "a#1", "a#2"), outputs(3));
        send("a", null);
        List<TestRecord<byte[], byte[]>> tombstones = readTombstones(4);
        assertEquals(List.of("a", "a#0", "a#1", "a#2"), keys(tombstones), "the id, and each chunk key it had");
        for (var tombstone : tombstones) {
            assertNull(tombstone.value());
            assertEquals("1", DeadLetter.header(tombstone.headers(), DeadLetter.SOURCE_OFFSET), "lineage: the delete's input");
        }
        assertEquals(1.0, pipeline.metrics.deletes(PipelineMetrics.DeleteAction.PROPAGATED));
        assertEquals(4.0, pipeline.metrics.tombstonesOut(PipelineMetrics.TombstoneCause.DELETE));
        assertEquals(0, pipeline.pending(), "the delete is no longer pending once its tombstones are out");

        send("a", null);
        assertEquals(List.of("a=null", "a#0=null"), outputs(2), "deleted again: the id and its one default chunk key");
    }

    @Test
    void aShorterTextTombstonesItsSurplusChunkKeysAndALongerOneNone() {
        start(1, TopologySettings.Deletes.PROPAGATE);
        send("a", words(4));
        assertEquals(List.of("a#0", "a#1", "a#2", "a#3"), outputs(4));
        send("a", words(2));
        assertEquals(List.of("a#0", "a#1", "a#2=null", "a#3=null"), outputs(4));
        send("a", words(1));
        assertEquals(List.of("a#0", "a#1=null"), outputs(2));
        send("a", words(3));
        assertEquals(List.of("a#0", "a#1", "a#2"), outputs(3), "more chunks than before: nothing to tombstone");
        assertEquals(3.0, pipeline.metrics.tombstonesOut(PipelineMetrics.TombstoneCause.FEWER_CHUNKS));
        send("a", null);
        assertEquals(List.of("a=null", "a#0=null", "a#1=null", "a#2=null"), outputs(4), "the count kept up with each text");
    }

    @Test
    void withinOneMicroBatchAnInsertThenADeleteEndsDeletedAndADeleteThenAnInsertEndsEmbedded() {
        start(100, TopologySettings.Deletes.PROPAGATE);
        send("a", words(2));
        send("a", null);
        send("b", null);
        send("b", words(2));
        assertTrue(output.isEmpty(), "all four wait in one open micro-batch");
        assertEquals(4, pipeline.pending());
        closeOpenBatch();
        assertEquals(List.of("a#0", "a#1", "a=null", "a#0=null", "a#1=null", "b=null", "b#0=null", "b#0", "b#1"),
                outputs(9), "input order: a ends deleted, b ends embedded");
    }

    @Test
    void debeziumsTombstoneRightAfterItsDeleteEventIsOneDelete() {
        start(100, TopologySettings.Deletes.PROPAGATE, 512, LengthPolicy.Mode.CHUNK,
                TextDecoder.json("/after/text", "/after/id"));
        byte[] key = utf8("{\"id\":7}");
        input.pipeInput(key, utf8("{\"op\":\"c\",\"before\":null,\"after\":{\"id\":7,\"text\":\"" + words(2) + "\"}}"));
        input.pipeInput(key, utf8("{\"op\":\"d\",\"before\":{\"id\":7,\"text\":\"x\"},\"after\":null}"));
        input.pipeInput(key, (byte[]) null);
        // A tombstone that follows no delete event (the row deleted while tombstones.on.delete... or a compacted
        // topic's own) deletes too, from its key; so does one whose delete event was followed by another record first.
        byte[] other = utf8("{\"id\":8}");
        input.pipeInput(other, utf8("{\"op\":\"d\",\"before\":{\"id\":8},\"after\":null}"));
        input.pipeInput(key, utf8("{\"op\":\"c\",\"before\":null,\"after\":{\"id\":7,\"text\":\"back\"}}"));
        input.pipeInput(other, (byte[]) null);
        closeOpenBatch();
        assertEquals(List.of("7#0", "7#1", "7=null", "7#0=null", "7#1=null", "8=null", "8#0=null", "7#0", "8=null", "8#0=null"),
                outputs(10), "7: one set for the delete event and its tombstone; 8: two, the tombstone not right after");
        assertEquals(1.0, pipeline.metrics.deletes(PipelineMetrics.DeleteAction.REPEAT));
        assertEquals(3.0, pipeline.metrics.deletes(PipelineMetrics.DeleteAction.PROPAGATED));
        assertTrue(deadLetters.isEmpty());
        assertEquals(0, pipeline.pending(), "the repeat is not left pending");
    }

    @Test
    void deadLetterPolicySendsEachDeleteToTheDeadLetterTopicAndShrinksStillTombstone() {
        start(1, TopologySettings.Deletes.DEAD_LETTER);
        send("a", words(3));
        send("a", null);
        send("a", words(1));
        assertEquals(List.of("a#0", "a#1", "a#2", "a#0", "a#1=null", "a#2=null"), outputs(6),
                "the delete did nothing to the outputs; the shorter text tombstones its surplus whatever the policy");
        var dead = deadLetters.readRecordsToList();
        assertEquals(1, dead.size());
        assertArrayEquals(utf8("a"), dead.get(0).key());
        assertNull(dead.get(0).value());
        assertEquals("decode", DeadLetter.header(dead.get(0).headers(), DeadLetter.STAGE));
        assertEquals("TOMBSTONE: deletes id a, and bertstream.input.deletes=dead-letter",
                DeadLetter.header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE));
        assertEquals(1.0, pipeline.metrics.deletes(PipelineMetrics.DeleteAction.DEAD_LETTERED));
    }

    @Test
    void ignorePolicyDropsDeletesWithoutATrace() {
        start(1, TopologySettings.Deletes.IGNORE);
        send("a", words(2));
        send("a", null);
        input.pipeInput((byte[]) null, (byte[]) null); // not even a key: ignored too, not dead-lettered
        send("b", words(1));
        assertEquals(List.of("a#0", "a#1", "b#0"), outputs(3));
        assertTrue(deadLetters.isEmpty());
        assertEquals(2.0, pipeline.metrics.deletes(PipelineMetrics.DeleteAction.IGNORED));
        assertEquals(0, pipeline.pending());
    }

    @Test
    void aDeleteThatNamesNoIdIsDeadLetteredWithTheReason() {
        start(1, TopologySettings.Deletes.PROPAGATE);
        input.pipeInput((byte[]) null, (byte[]) null);
        input.pipeInput(utf8("{\"sku\":1}"), (byte[]) null);
        send("b", words(1));
        assertEquals(List.of("b#0"), outputs(1));
        var dead = deadLetters.readRecordsToList();
        assertEquals(2, dead.size());
        assertTrue(DeadLetter.header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE).startsWith("NO_ID: A tombstone without a key"));
        assertTrue(DeadLetter.header(dead.get(1).headers(), DeadLetter.ERROR_MESSAGE).startsWith("NO_ID: The key {\"sku\":1} holds no id at /id"));
    }

    /**
     * Ids at 0.5×, 0.9×, 1× and 1.5× of the limit (bytes of UTF-8, two-byte characters included) and empty: over the
     * limit and empty are dead-lettered with the reason, never given another id; in chunk mode an id leaves room for
     * its keys' #index suffix.
     */
    @Test
    void idsAreKeptUpToTheLimitAndDeadLetteredOverItOrWhenEmpty() {
        start(1, TopologySettings.Deletes.PROPAGATE, 100, LengthPolicy.Mode.HEAD, TextDecoder.json("/text", "/id"));
        List<String> ids = List.of("h".repeat(50), "n".repeat(90), "x".repeat(100), "é".repeat(50), "y".repeat(150),
                "é".repeat(51), "");
        for (String id : ids) {
            send(id, "some text");
        }
        send("x".repeat(100), null);
        send("y".repeat(150), null);
        assertEquals(List.of("h".repeat(50), "n".repeat(90), "x".repeat(100), "é".repeat(50), "x".repeat(100) + "=null"),
                outputs(5), "up to 100 bytes kept, as they are; the tombstone of a kept id too");
        var dead = deadLetters.readRecordsToList();
        assertEquals(List.of("y".repeat(150), "é".repeat(51), "", "y".repeat(150)),
                dead.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList());
        assertEquals("the id takes 150 bytes, over the 100-byte limit of bertstream.input.max-id-bytes",
                DeadLetter.header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE));
        assertEquals("the id takes 102 bytes, over the 100-byte limit of bertstream.input.max-id-bytes",
                DeadLetter.header(dead.get(1).headers(), DeadLetter.ERROR_MESSAGE));
        assertEquals("the id is empty: an empty key can be neither upserted nor deleted",
                DeadLetter.header(dead.get(2).headers(), DeadLetter.ERROR_MESSAGE));
        assertEquals("decode", DeadLetter.header(dead.get(3).headers(), DeadLetter.STAGE), "the over-long id's tombstone");
    }

    @Test
    void inChunkModeAnIdLeavesRoomForItsChunkKeysSuffix() {
        start(1, TopologySettings.Deletes.PROPAGATE, 100, LengthPolicy.Mode.CHUNK, TextDecoder.json("/text", "/id"));
        // max-chunks 256: keys end in up to #255, 4 bytes
        send("k".repeat(96), words(1));
        send("m".repeat(97), words(1));
        assertEquals(List.of("k".repeat(96) + "#0"), outputs(1));
        var dead = deadLetters.readRecordsToList();
        assertEquals(1, dead.size());
        assertEquals("the id takes 97 bytes (its chunk keys up to 4 more, #255), over the 100-byte limit of "
                + "bertstream.input.max-id-bytes", DeadLetter.header(dead.get(0).headers(), DeadLetter.ERROR_MESSAGE));
    }

    private List<TestRecord<byte[], byte[]>> readTombstones(int expected) {
        pipeline.await(() -> output.getQueueSize() >= expected);
        return output.readRecordsToList();
    }

    private static List<String> keys(List<TestRecord<byte[], byte[]>> records) {
        return records.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
    }
}
