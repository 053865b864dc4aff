package io.bertstream.topology;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upgrades, on the real broker: pending entries written by the first release (its unversioned layout, kept as bytes
 * in test resources) sit in the pending changelog when the new version starts; it restores, decodes and embeds them.
 * An entry in a format this version does not know fails the task — and after the bounded number of thread
 * replacements the app stops with that cause on one line instead of looping.
 *
 * <p>The {@link FakeEmbedder} embeds: the formats are under test, not the vectors.
 */
class StateUpgradeTest {

    @TempDir
    Path stateDir;

    private final String input = unique("texts");
    private final String output = unique("embeddings");
    private final String dlq = unique("dlq");
    private final String appId = unique("upgrade");

    /** Writes values into the app's pending changelog before it starts, as a previous version would have left them. */
    private void pendingChangelog(List<byte[]> values) {
        String changelog = EmbeddingTopology.changelogTopic(appId, MicroBatchProcessor.PENDING_STORE);
        broker().createTopics(List.of(new NewTopic(changelog, 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
        try (var producer = producer(1 << 20)) {
            for (int i = 0; i < values.size(); i++) {
                producer.send(new ProducerRecord<>(changelog, 0, ByteBuffer.allocate(8).putLong(i).array(), values.get(i))).get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private BertstreamApp app(Map<String, String> overrides) {
        var settings = new HashMap<>(config(appId, input, output, dlq, stateDir));
        settings.putAll(overrides);
        var fake = new FakeEmbedder();
        return new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape()));
    }

    @Test
    void pendingEntriesOfThePreviousReleaseAreRestoredAndEmbedded() throws Exception {
        broker().createTopics(1, input, output, dlq);
        pendingChangelog(List.of(StateFormatTest.legacy("pending-unversioned-1.bin"),
                StateFormatTest.legacy("pending-unversioned-2.bin"),
                StateFormat.writePending(new InputRecord("k".getBytes(StandardCharsets.UTF_8),
                        json("now", "written by this version").getBytes(StandardCharsets.UTF_8), new RecordHeaders(),
                        new Lineage(input, 0, 0, 1), 1))));
        // The record key is the id (no id pointer): the second entry has no key, so its id is topic-partition-offset.
        try (var app = app(Map.of(BertstreamConfig.INPUT_ID_POINTER, "")).start()) {
            var outcomes = Outcomes.await(output, dlq, 3, Duration.ofSeconds(60));
            var records = outcomes.outputs;
            assertEquals(List.of("key-1", "texts.de-0-7", "k"), records.stream().map(r -> r.key()).toList(),
                    "all three restored, decoded again and embedded, in their order");
            assertTrue(outcomes.deadLetters.isEmpty());
            assertEquals("texts", DeadLetter.header(records.get(0).headers(), DeadLetter.SOURCE_TOPIC),
                    "the lineage the old entry carried");
            assertEquals("41", DeadLetter.header(records.get(0).headers(), DeadLetter.SOURCE_OFFSET));
            assertTrue(app.health().up(), app.health().detail());
        }
    }

    @Test
    void anUnknownFormatStopsTheAppWithItsCauseAfterTheBoundedReplacements() throws Exception {
        broker().createTopics(1, input, output, dlq);
        byte[] newer = StateFormat.writePending(new InputRecord(null, new byte[0], new RecordHeaders(),
                new Lineage(input, 0, 0, 0), 0));
        newer[3] ^= 0x21; // a fingerprint no version of this code wrote
        pendingChangelog(List.of(newer));
        try (var app = app(Map.of(BertstreamConfig.THREADS_MAX_REPLACEMENTS, "2")).start()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (app.failure().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String failure = app.failure().orElseThrow(() -> new AssertionError("the app kept looping"));
            assertTrue(failure.startsWith("stream threads failed 3 times within 10 min (bertstream.threads.max-replacements=2)"),
                    failure);
            assertTrue(failure.contains("pending entry in an unknown format"), failure);
            assertFalse(failure.contains("\n"), "one line");
            assertEquals(3.0, app.metrics().threadFailures());
            assertFalse(app.health().up());
            assertTrue(app.health().detail().startsWith("stopped: "), app.health().detail());
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (app.streams().state() != KafkaStreams.State.ERROR && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertEquals(KafkaStreams.State.ERROR, app.streams().state(), "the client shut down");
        }
    }
}
