package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.serde.AvroDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The processor on Kafka Streams' TopologyTestDriver with the real MiniLM model behind the inference queue: batching,
 * keys, order, vectors, DLQ. The outcomes come back asynchronously: {@link TestPipeline#await} lets the punctuation
 * collect them.
 */
class MicroBatchTopologyTest {

    private static final String IN = "texts";
    private static final String OUT = "embeddings";
    private static final String DLQ = "dead-letters";
    private static final Duration LONG_LINGER = Duration.ofHours(1);

    @TempDir
    Path stateDir;

    private TestPipeline pipeline;
    private TopologyTestDriver driver;
    private TestInputTopic<String, String> input;
    private TestOutputTopic<String, EmbeddingRecord> output;
    private TestOutputTopic<byte[], byte[]> deadLetters;
    private PipelineMetrics metrics;

    private void start(BatchPolicy batch, int cacheEntries, int maxInputBytes) {
        start(batch, cacheEntries, maxInputBytes, TopologySettings.Deletes.PROPAGATE);
    }

    private void start(BatchPolicy batch, int cacheEntries, int maxInputBytes, TopologySettings.Deletes deletes) {
        start(new TopologySettings(List.of(IN), null, OUT, DLQ, batch,
                new TopologySettings.Cache(cacheEntries, 64L << 20), "", maxInputBytes, false, 1_000_000,
                new TopologySettings.EventLimits(262_144, 256), deletes, 512));
    }

    private void start(TopologySettings settings) {
        pipeline = new TestPipeline(settings, TestModel.embedder(), TestModel.shared().shape(),
                SizeLimits.uniform(1_000_000),
                BertstreamConfig.of(Map.of(), Map.of()).inferenceSettings(), stateDir);
        metrics = pipeline.metrics;
        driver = pipeline.driver;
        input = pipeline.input(IN);
        output = driver.createOutputTopic(OUT, Serdes.String().deserializer(),
                new AvroDeserializer<>(EmbeddingRecord.class, null));
        deadLetters = pipeline.bytesOutput(DLQ);
    }

    /** Until the output topic holds {@code n} records (not read yet). */
    private void awaitOutputs(int n) {
        pipeline.await(() -> output.getQueueSize() >= n);
    }

    @AfterEach
    void close() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    private static String event(String id, String text) {
        return "{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}";
    }

    private List<String> outputKeys() {
        return output.readRecordsToList().stream().map(TestRecord::key).toList();
    }

    private int pending() {
        return (int) pipeline.pending();
    }

    @Test
    void aBatchClosesAtMaxRecordsWithVectorsEqualToTheModelsInInputOrder() {
        start(new BatchPolicy(4, 100_000, LONG_LINGER), 0, 1_000_000);
        List<String> texts = List.of("The cat sat on the mat.", "Kafka Streams keeps state in stores.",
                "Embeddings map text to vectors.", "A fourth, somewhat longer sentence closes the batch.");
        for (int i = 0; i < 3; i++) {
            input.pipeInput("k" + i, event("id-" + i, texts.get(i)));
        }
        assertTrue(output.isEmpty(), "three of four events must wait");
        assertEquals(3, pending(), "the open batch lives in the changelogged store");

        input.pipeInput("k3", event("id-3", texts.get(3)));
        awaitOutputs(4);
        List<TestRecord<String, EmbeddingRecord>> records = output.readRecordsToList();
        assertEquals(4, records.size());
        List<EmbedOutcome> direct = TestModel.embedder().embedAll(texts);
        for (int i = 0; i < 4; i++) {
            var record = records.get(i);
            assertEquals("id-" + i, record.key(), "keyed by event id, in input order");
            assertEquals("id-" + i, record.value().getId());
            float[] expected = ((EmbedOutcome.Embedded) direct.get(i)).vectors().get(0).vector();
            assertArrayEquals(expected, toArray(record.value().getVector()), 1e-5f);
            assertEquals(TestModel.embedder().info().sha256(), record.value().getModel().getWeightsSha256());
            assertEquals(IN, record.value().getSource().getTopic());
            assertEquals(i, record.value().getSource().getOffset());
            assertEquals(String.valueOf(i), DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET));
        }
        assertEquals(0, pending(), "a closed batch leaves nothing pending");
        assertEquals(1.0, metrics.batchesClosed(PipelineMetrics.CloseReason.RECORDS));
    }

    @Test
    void aBatchClosesBeforeItsPaddedTokensWouldPassTheBudget() {
        String shortText = "one two three";
        String longText = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";
        int shortTokens = TestModel.embedder().countTokens(shortText);
        int longTokens = TestModel.embedder().countTokens(longText);
        assertTrue(longTokens > 2 * shortTokens);
        // Two short texts fit (2 x short); a long one would make it 3 x long, over the budget.
        int budget = 3 * longTokens - 1;
        start(new BatchPolicy(100, budget, LONG_LINGER), 0, 1_000_000);

        input.pipeInput("a", event("a", shortText));
        input.pipeInput("b", event("b", shortText));
        assertTrue(output.isEmpty());
        input.pipeInput("c", event("c", longText));
        awaitOutputs(2);
        assertEquals(List.of("a", "b"), outputKeys(), "the open batch closes before the long text joins");
        assertEquals(1, pending());
        assertEquals(1.0, metrics.batchesClosed(PipelineMetrics.CloseReason.TOKENS));
    }

    @Test
    void aBatchClosesAfterItsLingerTimeOnTheWallClock() {
        start(new BatchPolicy(100, 100_000, Duration.ofSeconds(2)), 0, 1_000_000);
        input.pipeInput("a", event("a", "first"));
        input.pipeInput("b", event("b", "second"));
        driver.advanceWallClockTime(Duration.ofMillis(1500));
        assertTrue(output.isEmpty(), "not yet lingered long enough");
        driver.advanceWallClockTime(Duration.ofMillis(600));
        awaitOutputs(2);
        assertEquals(List.of("a", "b"), outputKeys());
        assertEquals(1.0, metrics.batchesClosed(PipelineMetrics.CloseReason.LINGER));
    }

    /** With bertstream.input.deletes=dead-letter a tombstone is dead-lettered like a bad record (deletes: DeletesTopologyTest). */
    @Test
    void badRecordsAreDeadLetteredWithTheirOriginalBytesAndWhyWhileGoodOnesFlow() {
        start(new BatchPolicy(2, 100_000, LONG_LINGER), 0, 1000, TopologySettings.Deletes.DEAD_LETTER);
        var bytesIn = driver.createInputTopic(IN, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
        byte[] malformed = "{\"id\":\"x\",\"text\":".getBytes(StandardCharsets.UTF_8);
        byte[] invalidUtf8 = {'{', '"', 'i', 'd', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        byte[] tooLarge = event("big", "x".repeat(2000)).getBytes(StandardCharsets.UTF_8);
        byte[] noText = "{\"id\":\"no-text\",\"body\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
        byte[] empty = event("empty", "").getBytes(StandardCharsets.UTF_8);
        byte[] blank = event("blank", "   ").getBytes(StandardCharsets.UTF_8);

        bytesIn.pipeInput("k-malformed".getBytes(StandardCharsets.UTF_8), malformed);
        input.pipeInput("good-1", event("good-1", "a good sentence"));
        bytesIn.pipeInput("k-null".getBytes(StandardCharsets.UTF_8), (byte[]) null);
        bytesIn.pipeInput("k-utf8".getBytes(StandardCharsets.UTF_8), invalidUtf8);
        bytesIn.pipeInput("k-big".getBytes(StandardCharsets.UTF_8), tooLarge);
        bytesIn.pipeInput("k-notext".getBytes(StandardCharsets.UTF_8), noText);
        bytesIn.pipeInput("k-empty".getBytes(StandardCharsets.UTF_8), empty);
        bytesIn.pipeInput("k-blank".getBytes(StandardCharsets.UTF_8), blank);
        input.pipeInput("good-2", event("good-2", "another good sentence"));
        bytesIn.pipeInput("k-empty-2".getBytes(StandardCharsets.UTF_8), empty);
        awaitOutputs(2);

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertEquals(List.of("k-malformed", "k-null", "k-utf8", "k-big", "k-notext", "k-empty", "k-blank", "k-empty-2"),
                dead.stream().map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList());
        assertArrayEquals(malformed, dead.get(0).value(), "the original value bytes");
        assertEquals(null, dead.get(1).value());
        assertArrayEquals(invalidUtf8, dead.get(2).value());
        assertArrayEquals(tooLarge, dead.get(3).value());
        assertExplained(dead.get(0), "decode", "MALFORMED_JSON", 0);
        assertExplained(dead.get(1), "decode", "TOMBSTONE: deletes id k-null, and bertstream.input.deletes=dead-letter", 2);
        assertExplained(dead.get(2), "decode", "INVALID_UTF8", 3);
        assertExplained(dead.get(3), "decode", "input limit", 4);
        assertExplained(dead.get(4), "decode", "POINTER_NOT_FOUND", 5);
        assertExplained(dead.get(5), "embed", "", 6);
        assertExplained(dead.get(6), "embed", "", 7);
        assertEquals(List.of("good-1", "good-2"), outputKeys(), "good events keep flowing");
        assertEquals(5.0, metrics.deadLetteredCount(DeadLetter.Stage.DECODE));
        assertEquals(3.0, metrics.deadLetteredCount(DeadLetter.Stage.EMBED));
    }

    private static void assertExplained(TestRecord<byte[], byte[]> dead, String stage, String messagePart, long offset) {
        assertEquals(stage, DeadLetter.header(dead.headers(), DeadLetter.STAGE));
        assertNotNull(DeadLetter.header(dead.headers(), DeadLetter.ERROR_CLASS));
        String message = DeadLetter.header(dead.headers(), DeadLetter.ERROR_MESSAGE);
        assertTrue(message.contains(messagePart) && !message.isBlank(), "reason given: " + message);
        assertEquals(IN, DeadLetter.header(dead.headers(), DeadLetter.SOURCE_TOPIC));
        assertEquals("0", DeadLetter.header(dead.headers(), DeadLetter.SOURCE_PARTITION));
        assertEquals(String.valueOf(offset), DeadLetter.header(dead.headers(), DeadLetter.SOURCE_OFFSET));
        assertNotNull(DeadLetter.header(dead.headers(), DeadLetter.SOURCE_TIMESTAMP));
    }

    @Test
    void aCachedTextSkipsTheModelButKeepsItsOwnIdAndLineage() {
        start(new BatchPolicy(1, 100_000, LONG_LINGER), 16, 1_000_000);
        input.pipeInput("a", event("a", "the same words twice"));
        input.pipeInput("b", event("b", "the same words twice"));
        awaitOutputs(2);
        List<TestRecord<String, EmbeddingRecord>> records = output.readRecordsToList();
        assertEquals(List.of("a", "b"), records.stream().map(TestRecord::key).toList());
        assertArrayEquals(toArray(records.get(0).value().getVector()), toArray(records.get(1).value().getVector()));
        assertEquals(1, records.get(1).value().getSource().getOffset());
        assertEquals(1.0, metrics.registry().counter("bertstream.cache.hits").count());
        assertEquals(1.0, metrics.registry().counter("bertstream.cache.misses").count());
    }

    @Test
    void aTopicPatternReadsEveryMatchingTopicAndRecordsWhichOneInTheLineage() {
        start(new TopologySettings(List.of(), java.util.regex.Pattern.compile("texts\\..*"), OUT, DLQ,
                new BatchPolicy(2, 100_000, LONG_LINGER), TopologySettings.Cache.off(), "", 1_000_000, true, 1_000_000,
                new TopologySettings.EventLimits(262_144, 256), TopologySettings.Deletes.PROPAGATE, 512));
        driver.createInputTopic("texts.en", Serdes.String().serializer(), Serdes.String().serializer())
                .pipeInput("a", event("a", "good morning"));
        driver.createInputTopic("texts.de", Serdes.String().serializer(), Serdes.String().serializer())
                .pipeInput("b", event("b", "guten Morgen"));
        awaitOutputs(2);
        var records = output.readRecordsToList();
        assertEquals(List.of("a", "b"), records.stream().map(TestRecord::key).toList());
        assertEquals("texts.en", records.get(0).value().getSource().getTopic());
        assertEquals("texts.de", records.get(1).value().getSource().getTopic());
        assertEquals("guten Morgen", records.get(1).value().getText(), "include-text echoes the text");
    }

    static float[] toArray(List<Float> values) {
        float[] array = new float[values.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = values.get(i);
        }
        return array;
    }
}
