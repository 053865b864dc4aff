package io.bertstream.topology;

import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.serde.DecodedText;
import io.bertstream.serde.OutputFormat;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every limit of a write, at 0.5×, 0.9×, 1.0× and 1.5×, on the real broker: the input limit, the pending changelog,
 * the output topic, the cache changelog, the dead-letter topic, error-header values, and the work caps of an event
 * (tokens, chunks). The limits that Kafka enforces are set on the topics themselves, so the record exactly at the
 * limit proves the processor measures sizes as the producer and the broker do (one byte too few and the broker
 * refuses it: the stream thread would fail); the one over it is caught before it is sent. Each test asserts
 * exactly one outcome per input, the reason of every dead letter, no failed stream thread and /health UP.
 *
 * <p>With the {@link FakeEmbedder} test double: sizes, not vectors, are under test.
 */
class SizeLimitsTest {

    private static final double[] FACTORS = {0.5, 0.9, 1.0, 1.5};

    @TempDir
    Path stateDir;

    private final SizeLimits measure = SizeLimits.uniform(Integer.MAX_VALUE);
    private final long timestamp = System.currentTimeMillis();

    private String input;
    private String output;
    private String dlq;
    private String appId;

    SizeLimitsTest() {
        input = unique("texts");
        output = unique("embeddings");
        dlq = unique("dlq");
        appId = unique("limits");
    }

    private void topics(Map<String, String> outputConfig, Map<String, String> dlqConfig) {
        broker().createTopics(List.of(new NewTopic(input, 1, (short) 1).configs(Map.of("max.message.bytes", "4000000")),
                new NewTopic(output, 1, (short) 1).configs(outputConfig), new NewTopic(dlq, 1, (short) 1).configs(dlqConfig)));
    }

    private BertstreamApp start(FakeEmbedder fake, Map<String, String> overrides) {
        var settings = new HashMap<>(config(appId, input, output, dlq, stateDir));
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        settings.putAll(overrides);
        var app = new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape()));
        try {
            return app.start();
        } catch (RuntimeException e) {
            app.close();
            throw e;
        }
    }

    private void send(List<ProducerRecord<byte[], byte[]>> records) {
        try (var producer = producer(8 << 20)) {
            for (var record : records) {
                producer.send(record).get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private ProducerRecord<byte[], byte[]> record(String key, byte[] value, Headers headers) {
        return new ProducerRecord<>(input, 0, timestamp, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value,
                headers);
    }

    private ProducerRecord<byte[], byte[]> record(String id, String text) {
        return record(id, json(id, text).getBytes(StandardCharsets.UTF_8), new RecordHeaders());
    }

    /** The largest n in [1, max] with size(n) <= target (size grows with n). */
    private static int largestWithin(int target, int max, IntUnaryOperator size) {
        int lo = 1;
        int hi = max;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (size.applyAsInt(mid) <= target) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static void assertHealthyThroughout(BertstreamApp app) {
        assertEquals(0.0, app.metrics().threadFailures(), "no stream thread failed: nothing oversized reached the send path");
        assertTrue(app.health().up(), app.health().detail());
    }

    @Test
    void theInputLimit() {
        topics(Map.of(), Map.of());
        int limit = 10_000;
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            String prefix = json("e" + i, "");
            String text = "x".repeat((int) (FACTORS[i] * limit) - prefix.length());
            records.add(record("e" + i, text));
            assertEquals((int) (FACTORS[i] * limit), records.get(i).value().length);
        }
        send(records);
        try (var app = start(new FakeEmbedder(), Map.of(BertstreamConfig.INPUT_MAX_BYTES, Integer.toString(limit)))) {
            var outcomes = Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            outcomes.assertOutput(0);
            outcomes.assertOutput(1);
            outcomes.assertOutput(2);
            outcomes.assertDeadLettered(3, "decode", "over the 10000-byte input limit (bertstream.input.max-bytes)");
            assertArrayEquals(records.get(3).value(), outcomes.deadLetter(3).value(), "the original bytes");
            assertHealthyThroughout(app);
        }
    }

    @Test
    void theOutputTopicsLimit() {
        var fake = new FakeEmbedder();
        // The record at offset 2 is exactly as large as the output topic accepts.
        int exact = outputBytes(fake, input, "e2", "y".repeat(4000), 2);
        topics(Map.of("max.message.bytes", Integer.toString(exact)), Map.of());
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            int offset = i;
            String id = "e" + i;
            int length = i == 2 ? 4000 : largestWithin((int) (FACTORS[i] * exact), 20_000,
                    n -> outputBytes(fake, input, id, "y".repeat(n), offset));
            records.add(record(id, "y".repeat(length)));
        }
        assertEquals(exact, outputBytes(fake, input, "e2", "y".repeat(4000), 2));
        send(records);
        try (var app = start(fake, Map.of(BertstreamConfig.OUTPUT_INCLUDE_TEXT, "true"))) {
            var outcomes = Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            outcomes.assertOutput(0);
            outcomes.assertOutput(1);
            outcomes.assertOutput(2);
            assertEquals(exact, measure.recordBytes(outcomes.outputs.get(2).key().getBytes(StandardCharsets.UTF_8),
                    outcomes.outputs.get(2).value(), outcomes.outputs.get(2).headers()), "the broker took a record of exactly its limit");
            outcomes.assertDeadLettered(3, "serialize", "over the " + exact + "-byte limit of a output record (topic "
                    + output + " max.message.bytes=" + exact + ")");
            assertEquals(1.0, app.metrics().oversizedCount(SizeLimits.Kind.OUTPUT));
            assertHealthyThroughout(app);
        }
    }

    /** An output record's size as the producer counts it: key, value, lineage headers. */
    private int outputBytes(FakeEmbedder fake, String topic, String id, String text, long offset) {
        byte[] value = json(id, text).getBytes(StandardCharsets.UTF_8);
        DecodedText decoded = (DecodedText) TextDecoder.json("/text", "/id").decode(topic, 0, offset, new RecordHeaders(), null, value);
        var source = new Lineage(topic, 0, offset, timestamp);
        byte[] serialized = OutputFormat.SINGLE_OBJECT.serializer(Map.of()).serialize(topic, EmbeddingRecords.of(id,
                decoded, source, fake.vectors(text).get(0), fake.info(), true, Instant.now()));
        return measure.recordBytes(id.getBytes(StandardCharsets.UTF_8), serialized, DeadLetter.lineageHeaders(source));
    }

    @Test
    void theDeadLetterTopicsLimitAndTheErrorHeaders() {
        var fake = new FakeEmbedder().rejecting(text -> text.startsWith("reject"),
                text -> text.startsWith("reject-reason") ? "r".repeat(text.length() - "reject-reason".length())
                        : "rejected by the test double");
        int exact = deadLetterBytes(input, "k2", 5000, 2, "rejected by the test double");
        topics(Map.of(), Map.of("max.message.bytes", Integer.toString(exact)));
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            int offset = i;
            String key = "k" + i;
            int length = i == 2 ? 5000 : largestWithin((int) (FACTORS[i] * exact), 20_000,
                    n -> deadLetterBytes(input, key, n, offset, "rejected by the test double"));
            records.add(record(key, rejectedValue(length), new RecordHeaders()));
        }
        // error messages of 0.5, 0.9, 1.0 and 1.5 times the header bound
        for (double factor : FACTORS) {
            int reason = (int) (factor * DeadLetter.MAX_HEADER_VALUE_BYTES);
            records.add(record("h" + factor, json("h", "reject-reason" + "z".repeat(reason)).getBytes(StandardCharsets.UTF_8),
                    new RecordHeaders()));
        }
        send(records);
        try (var app = start(fake, Map.of())) {
            var outcomes = Outcomes.await(output, dlq, 8, Duration.ofSeconds(60)).assertExactlyOneEach(input, 8);
            for (int i = 0; i < 3; i++) {
                var dead = outcomes.deadLetter(i);
                assertArrayEquals(records.get(i).value(), dead.value(), "whole at " + FACTORS[i] + "x");
                assertNull(DeadLetter.header(dead.headers(), DeadLetter.VALUE_TRUNCATED_FROM));
            }
            var dead = outcomes.deadLetter(2);
            assertEquals(exact, measure.recordBytes(dead.key().getBytes(StandardCharsets.UTF_8), dead.value(), dead.headers()),
                    "the broker took a dead letter of exactly its limit");
            var cut = outcomes.deadLetter(3);
            assertEquals(Integer.toString(records.get(3).value().length),
                    DeadLetter.header(cut.headers(), DeadLetter.VALUE_TRUNCATED_FROM), "cut, saying from what size");
            assertTrue(cut.value().length < records.get(3).value().length);
            assertArrayEquals(java.util.Arrays.copyOf(records.get(3).value(), cut.value().length), cut.value(), "a prefix");
            assertTrue(measure.recordBytes(cut.key().getBytes(StandardCharsets.UTF_8), cut.value(), cut.headers()) <= exact);
            for (int i = 0; i < FACTORS.length; i++) {
                int reason = (int) (FACTORS[i] * DeadLetter.MAX_HEADER_VALUE_BYTES);
                String message = DeadLetter.header(outcomes.deadLetter(4 + i).headers(), DeadLetter.ERROR_MESSAGE);
                if (reason <= DeadLetter.MAX_HEADER_VALUE_BYTES) {
                    assertEquals("r".repeat(reason), message, "an error message within the bound stays whole");
                } else {
                    assertTrue(message.endsWith("…") && message.getBytes(StandardCharsets.UTF_8).length
                            <= DeadLetter.MAX_HEADER_VALUE_BYTES, "cut to the header bound");
                }
            }
            assertHealthyThroughout(app);
        }
    }

    private static byte[] rejectedValue(int textLength) {
        return json("r", "reject" + "w".repeat(textLength)).getBytes(StandardCharsets.UTF_8);
    }

    private int deadLetterBytes(String topic, String key, int textLength, long offset, String reason) {
        Headers headers = DeadLetter.headers(DeadLetter.Stage.EMBED, FakeEmbedder.REJECTION_CLASS, reason,
                new Lineage(topic, 0, offset, timestamp));
        return measure.recordBytes(key.getBytes(StandardCharsets.UTF_8), rejectedValue(textLength), headers);
    }

    @Test
    void thePendingChangelogsLimitAndInputHeaders() {
        topics(Map.of(), Map.of());
        // The pending changelog exists already (as after a first start) with a small max.message.bytes of its own.
        int limit = 8000;
        broker().createTopics(List.of(new NewTopic(EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.PENDING_STORE),
                1, (short) 1).configs(Map.of("cleanup.policy", "compact", "max.message.bytes", Integer.toString(limit)))));
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            int offset = i;
            String id = "e" + i;
            int target = (int) (FACTORS[i] * limit);
            int padding = largestWithin(target, 20_000, n -> pendingBytes(id, n, offset));
            if (i == 2) {
                assertEquals(limit, pendingBytes(id, padding, offset), "a pending entry of exactly the limit");
            }
            records.add(record(id, json(id, "a short text").getBytes(StandardCharsets.UTF_8), padded(padding)));
        }
        send(records);
        try (var app = start(new FakeEmbedder(), Map.of(BertstreamConfig.INPUT_MAX_BYTES, "4000"))) {
            var outcomes = Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            outcomes.assertOutput(0);
            outcomes.assertOutput(1);
            outcomes.assertOutput(2);
            outcomes.assertDeadLettered(3, "decode", "cannot be held pending");
            outcomes.assertDeadLettered(3, "decode", "max.message.bytes=" + limit);
            assertEquals(1.0, app.metrics().oversizedCount(SizeLimits.Kind.PENDING));
            assertHealthyThroughout(app);
        }
        // Limits that cannot hold together are refused at start, naming what to change.
        appId = unique("limits");
        broker().createTopics(List.of(new NewTopic(EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.PENDING_STORE),
                1, (short) 1).configs(Map.of("cleanup.policy", "compact", "max.message.bytes", Integer.toString(limit)))));
        var refused = assertThrows(IllegalArgumentException.class, () -> start(new FakeEmbedder(),
                Map.of(BertstreamConfig.INPUT_MAX_BYTES, Integer.toString(limit))).close());
        assertTrue(refused.getMessage().contains(BertstreamConfig.INPUT_MAX_BYTES) && refused.getMessage().contains("max.request.size"),
                refused.getMessage());
    }

    private static Headers padded(int bytes) {
        var headers = new RecordHeaders();
        headers.add("padding", new byte[bytes]);
        return headers;
    }

    private int pendingBytes(String id, int padding, long offset) {
        var raw = new InputRecord(id.getBytes(StandardCharsets.UTF_8), json(id, "a short text").getBytes(StandardCharsets.UTF_8),
                padded(padding), new Lineage(input, 0, offset, timestamp), System.currentTimeMillis());
        return measure.recordBytes(new byte[Long.BYTES], StateFormat.writePending(raw), null);
    }

    @Test
    void theCacheChangelogsLimit() {
        // chunk mode: every chunk of 6 words is a vector of 64 floats, so an entry grows in steps of ~270 bytes
        var fake = new FakeEmbedder(64, new SegmentShape(LengthPolicy.Mode.CHUNK, 8, 0));
        int[] words = new int[FACTORS.length];
        words[2] = largestWithin(3000, 2000, n -> cacheBytes(fake, n));
        int exact = cacheBytes(fake, words[2]); // the entry at 1.0x sets the limit exactly
        for (int i : new int[] {0, 1, 3}) {
            words[i] = largestWithin((int) (FACTORS[i] * exact), 2000, n -> cacheBytes(fake, n));
        }
        topics(Map.of(), Map.of());
        broker().createTopics(List.of(new NewTopic(EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.CACHE_STORE),
                1, (short) 1).configs(Map.of("cleanup.policy", "compact", "max.message.bytes", Integer.toString(exact)))));
        var round = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            round.add(record("e" + i, text(words[i])));
        }
        send(round);
        try (var app = start(fake, Map.of(BertstreamConfig.CACHE_MAX_ENTRIES, "100"))) {
            Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            long computed = fake.textsEmbedded();
            var again = new ArrayList<ProducerRecord<byte[], byte[]>>();
            for (int i = 0; i < FACTORS.length; i++) {
                again.add(record("again" + i, text(words[i])));
            }
            send(again);
            Outcomes.await(output, dlq, 8, Duration.ofSeconds(60)).assertExactlyOneEach(input, 8);
            assertEquals(computed + 1, fake.textsEmbedded(),
                    "the three entries within the limit (one exactly at it) came from the cache, the one over it was computed again");
            assertTrue(app.metrics().oversizedCount(SizeLimits.Kind.CACHE) >= 1);
            assertHealthyThroughout(app);
        }
    }

    private static String text(int words) {
        var text = new StringBuilder();
        for (int w = 0; w < words; w++) {
            text.append(w == 0 ? "" : " ").append("w").append(w);
        }
        return text.toString();
    }

    private int cacheBytes(FakeEmbedder fake, int words) {
        return measure.recordBytes(new byte[32], StateFormat.writeVectors(fake.vectors(text(words))), null);
    }

    @Test
    void theChunkCapOfAnEvent() {
        topics(Map.of(), Map.of());
        // chunk mode, 6 words a chunk, at most 10 chunks: 5, 9, 10 and 15 chunks
        var fake = new FakeEmbedder(8, new SegmentShape(LengthPolicy.Mode.CHUNK, 8, 0));
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            records.add(record("c" + i, text((int) (FACTORS[i] * 10) * 6)));
        }
        send(records);
        try (var app = start(fake, Map.of(BertstreamConfig.LENGTH_MAX_CHUNKS, "10"))) {
            var outcomes = Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            for (int i = 0; i < 3; i++) {
                outcomes.assertOutput(i);
            }
            assertEquals(10, outcomes.outputs.stream().filter(r -> r.key().startsWith("c2#")).count(),
                    "exactly at the cap: all its chunks");
            outcomes.assertDeadLettered(3, "embed", "15 chunks, over bertstream.length.max-chunks=10");
            assertHealthyThroughout(app);
        }
    }

    @Test
    void theTokenCapOfAnEvent() {
        topics(Map.of(), Map.of());
        // head mode counts tokens before truncation: at most 100 (words + 2): 50, 90, 100 and 150 tokens
        var records = new ArrayList<ProducerRecord<byte[], byte[]>>();
        for (int i = 0; i < FACTORS.length; i++) {
            records.add(record("t" + i, text((int) (FACTORS[i] * 100) - 2)));
        }
        send(records);
        try (var app = start(new FakeEmbedder(), Map.of(BertstreamConfig.LENGTH_MAX_EVENT_TOKENS, "100"))) {
            var outcomes = Outcomes.await(output, dlq, 4, Duration.ofSeconds(60)).assertExactlyOneEach(input, 4);
            for (int i = 0; i < 3; i++) {
                outcomes.assertOutput(i);
            }
            outcomes.assertDeadLettered(3, "embed", "150 tokens, over bertstream.length.max-event-tokens=100");
            assertHealthyThroughout(app);
        }
    }
}
