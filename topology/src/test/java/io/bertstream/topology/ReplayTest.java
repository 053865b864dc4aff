package io.bertstream.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Blue/green on the real broker: the live app runs while a replay re-embeds the same input into a versioned topic
 * with another model, and the input keeps growing meanwhile (a record every 50 ms). Both outputs are complete and
 * disjoint, read with read_committed: the replay's topic has every id up to the end offsets it saw at its start
 * once — right after it said it had caught up and closed — and no other model's record; the live topic has every id
 * once, only from the live model; the replay's dead letters are in its own topic, never in the live one. The
 * replay's topics are created like the live ones; the live output topic is refused unless allowed.
 *
 * <p>The embedders are {@link FakeEmbedder} test doubles named after two models (vectors are not under test); the
 * replay's is slow (0.3 s a call), so its committed offsets reach the end well before its last micro-batches are
 * emitted — the moment a caught-up check that asks in the wrong order gets wrong — and, with the input growing, it
 * always holds newer events, which must not keep it from finishing.
 */
class ReplayTest {

    @TempDir
    Path stateDir;

    private final String input = unique("texts");
    private final String output = unique("embeddings");
    private final String dlq = unique("dlq");
    private final String appId = unique("live");

    private static void sendTexts(String topic, int from, int to) {
        try (var producer = producer(1 << 20)) {
            for (int i = from; i < to; i++) {
                send(producer, topic, "e" + i, json("e" + i, "event number " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void sendBad(String topic, String key) {
        try (var producer = producer(1 << 20)) {
            send(producer, topic, key, "{\"id\":".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Sends e{from}, e{from+1}, ... every 50 ms until stopped; returns one past the last id sent. */
    private static int sendUntil(String topic, int from, AtomicBoolean stop) throws InterruptedException {
        int next = from;
        try (var producer = producer(1 << 20)) {
            while (!stop.get()) {
                send(producer, topic, "e" + next, json("e" + next, "event number " + next).getBytes(StandardCharsets.UTF_8));
                next++;
                Thread.sleep(50);
            }
        }
        return next;
    }

    @Test
    void aReplayBesideTheLiveAppWritesACompleteDisjointVersionedTopicAndItsOwnDeadLetters() throws Exception {
        broker().createTopics(2, input, output);
        broker().createTopics(3, dlq);
        var liveConfig = BertstreamConfig.of(config(appId, input, output, dlq, stateDir.resolve("live")), Map.of());
        sendTexts(input, 0, 40);
        sendBad(input, "bad-0");
        sendBad(input, "bad-1");
        var blue = new FakeEmbedder().named("model-blue");
        int sent;
        try (var live = new BertstreamApp(liveConfig, SharedModel.of(blue, blue.shape())).start()) {
            var before = Outcomes.await(output, dlq, 42, Duration.ofSeconds(60));
            assertEquals(40, before.outputs.size());

            // The replay: its own app id, a versioned output topic, its own dead-letter topic (both created here)
            String green = output + "-v2";
            BertstreamConfig replayConfig = Replay.configure(liveConfig, new Replay.Request(null, green, null, false),
                    Instant.now()).with(Map.of(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("replay").toString()));
            String replayDlq = replayConfig.require(BertstreamConfig.DLQ_TOPIC);
            assertEquals(replayConfig.require(StreamsConfig.APPLICATION_ID_CONFIG) + "-dlq", replayDlq);
            var greenModel = new FakeEmbedder().named("model-green").delayPerCall(Duration.ofMillis(300));
            try (var replayApp = new BertstreamApp(replayConfig, SharedModel.of(greenModel, greenModel.shape()));
                 var replay = Replay.prepare(replayConfig, liveConfig, null)) {
                assertEquals(42, replay.recordsToReplay());
                replayApp.start();
                // Side by side: new input reaches both apps meanwhile; the replay finishes at the end it saw at start
                var stop = new AtomicBoolean();
                var growing = CompletableFuture.supplyAsync(() -> {
                    try {
                        return sendUntil(input, 40, stop);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                try {
                    assertTrue(replay.awaitCaughtUp(replayApp, Duration.ofSeconds(120)), "caught up");
                } finally {
                    stop.set(true);
                }
                sent = growing.get(30, TimeUnit.SECONDS);
            }
            // closed: its last outputs are committed
            sendBad(input, "bad-2");

            var replayed = Outcomes.await(green, replayDlq, 42, Duration.ofSeconds(10));
            Set<String> replayedIds = idsOnce(replayed.outputs);
            assertTrue(replayedIds.containsAll(ids(0, 40)), "the replay's topic: every id up to the end it saw, once");
            assertTrue(ids(0, sent).containsAll(replayedIds), "and at most some of the newer ones: " + replayedIds);
            assertTrue(replayed.outputs.stream().allMatch(r -> model(r).equals("model-green")), "only the replay's model");
            assertEquals(List.of("bad-0", "bad-1"), replayed.deadLetters.stream().map(ConsumerRecord::key).sorted().toList(),
                    "the replay's dead letters, once each, in its own topic");

            var after = Outcomes.await(output, dlq, sent + 3, Duration.ofSeconds(60));
            assertTrue(sent > 40, "the input grew while the replay ran: " + sent);
            assertEquals(ids(0, sent), idsOnce(after.outputs), "the live topic: every id once, the new ones too");
            assertTrue(after.outputs.stream().allMatch(r -> model(r).equals("model-blue")), "only the live model");
            assertEquals(List.of("bad-0", "bad-1", "bad-2"), after.deadLetters.stream().map(ConsumerRecord::key).sorted().toList(),
                    "the live dead letters: each bad record once; the replay added none");
            assertTrue(live.health().up(), live.health().detail());

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers()))) {
                Map<String, TopicDescription> topics = admin.describeTopics(List.of(output, green, dlq, replayDlq)).allTopicNames().get();
                assertEquals(topics.get(output).partitions().size(), topics.get(green).partitions().size(), "output like the live one");
                assertEquals(topics.get(dlq).partitions().size(), topics.get(replayDlq).partitions().size(), "dead letters like the live ones");
            }
        }
    }

    @Test
    void theLiveOutputTopicAndTheLiveDeadLetterTopicAreRefusedUnlessAskedFor() throws Exception {
        var live = BertstreamConfig.of(config(appId, input, output, dlq, stateDir), Map.of());
        Instant now = Instant.ofEpochMilli(1_800_000_000_000L);
        var refused = assertThrows(IllegalArgumentException.class,
                () -> Replay.configure(live, new Replay.Request(null, null, null, false), now));
        assertTrue(refused.getMessage().contains("live output topic " + output) && refused.getMessage().contains("--allow-live-output")
                && refused.getMessage().contains("--output " + output + "-v2"), refused.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Replay.configure(live, new Replay.Request(null, output, null, false), now));

        var inPlace = Replay.configure(live, new Replay.Request(null, null, null, true), now);
        assertEquals(output, inPlace.require(BertstreamConfig.OUTPUT_TOPIC), "allowed: in place");
        assertEquals(appId + "-replay-1800000000000", inPlace.require(StreamsConfig.APPLICATION_ID_CONFIG));
        assertEquals(appId + "-replay-1800000000000-dlq", inPlace.require(BertstreamConfig.DLQ_TOPIC), "never the live one");

        assertThrows(IllegalArgumentException.class, () -> Replay.configure(live, new Replay.Request(appId, "v2", null, false), now),
                "the live application id");
        var liveWithDlqLikeAReplays = BertstreamConfig.of(config(appId, input, output, "old-dlq", stateDir), Map.of());
        var collides = assertThrows(IllegalArgumentException.class, () -> Replay.configure(liveWithDlqLikeAReplays,
                new Replay.Request("old", "v2", null, false), now), "an app id whose dead-letter topic is the live one");
        assertTrue(collides.getMessage().contains("--dead-letter-topic"), collides.getMessage());
        var told = Replay.configure(live, new Replay.Request(null, "v2", dlq, false), now);
        assertEquals(dlq, told.require(BertstreamConfig.DLQ_TOPIC), "told otherwise: the live dead-letter topic");
    }

    private static Set<String> ids(int from, int to) {
        return new HashSet<>(IntStream.range(from, to).mapToObj(i -> "e" + i).toList());
    }

    /** The keys, asserting each comes once. */
    private static Set<String> idsOnce(List<ConsumerRecord<String, byte[]>> records) {
        var keys = new ArrayList<String>();
        records.forEach(r -> keys.add(r.key()));
        var unique = new HashSet<>(keys);
        assertEquals(keys.size(), unique.size(), "no id twice: " + keys);
        return unique;
    }

    private static String model(ConsumerRecord<String, byte[]> record) {
        return decode(record).getModel().getName();
    }
}
