package io.bertstream.topology;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /health tells the truth: DOWN while a task makes no progress or a rebalance lasts too long, UP again after; the
 * bounded replacement of failing stream threads. On the real broker with the {@link FakeEmbedder} test double (the
 * model has nothing to do with it).
 */
class HealthTest {

    @TempDir
    Path stateDir;

    private final String input = unique("texts");
    private final String output = unique("embeddings");
    private final String dlq = unique("dlq");

    private BertstreamApp app(FakeEmbedder fake, Map<String, String> overrides) {
        var settings = new HashMap<>(config(unique("health"), input, output, dlq, stateDir));
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        settings.putAll(overrides);
        return new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape()));
    }

    /**
     * A clean start, with traffic and a scrape of /metrics, logs no warning from the app, Kafka Streams or Micrometer.
     * (Kafka Streams reports the state metrics of an in-memory LRU store under other tag keys than those of a plain
     * in-memory store; Prometheus refuses a name with two sets of tag keys, and Micrometer warned. Both stores are
     * plain in-memory stores now, the cache bounded by {@link EmbeddingCache}.)
     */
    @Test
    void aCleanStartWarnsOfNothing() throws Exception {
        broker().createTopics(2, input, output, dlq);
        try (var producer = producer(1 << 20)) {
            for (int i = 0; i < 20; i++) {
                send(producer, input, "e" + i, json("e" + i, "text " + i % 5).getBytes(StandardCharsets.UTF_8));
            }
        }
        var captured = new java.io.ByteArrayOutputStream();
        var original = System.err;
        System.setErr(new java.io.PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                captured.write(b);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                original.write(bytes, offset, length);
                captured.write(bytes, offset, length);
            }
        }, true));
        try (var app = app(new FakeEmbedder(), Map.of(BertstreamConfig.CACHE_MAX_ENTRIES, "100")).start()) {
            assertEquals(20, readCommitted(output, Duration.ofSeconds(60), r -> r.size() >= 20).size());
            java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://localhost:" + app.metricsPort() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            // Micrometer binds the stores' metrics a minute later; what Prometheus needs can be checked now: one
            // set of tag keys per metric name, across both stores.
            var tagKeys = new HashMap<String, java.util.Set<java.util.Set<String>>>();
            app.streams().metrics().keySet().stream().filter(name -> name.group().equals("stream-state-metrics"))
                    .forEach(name -> tagKeys.computeIfAbsent(name.name(), n -> new java.util.HashSet<>()).add(name.tags().keySet()));
            assertTrue(tagKeys.containsKey("num-open-iterators"), tagKeys.keySet().toString());
            tagKeys.forEach((name, keys) -> assertEquals(1, keys.size(), name + " has one set of tag keys: " + keys));
        } finally {
            System.setErr(original);
        }
        var warnings = captured.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.matches(".*\\] (WARN|ERROR) .*"))
                .filter(line -> !line.matches(".*\\] (WARN|ERROR) (kafka\\.|state\\.change|org\\.apache\\.kafka\\.(controller|server|raft|storage|image|metadata|coordinator)).*"))
                .toList();
        assertEquals(List.of(), warnings, "no warning from the app, Kafka Streams or its clients, Micrometer");
    }

    @Test
    void aTaskThatHoldsItsOldestEventTooLongIsStalledUntilItIsDone() throws Exception {
        broker().createTopics(1, input, output, dlq);
        var fake = new FakeEmbedder();
        try (var app = app(fake, Map.of(BertstreamConfig.HEALTH_MAX_STALL_MS, "1500")).start()) {
            awaitUp(app);
            fake.delayPerCall(Duration.ofSeconds(6));
            try (var producer = producer(1 << 20)) {
                send(producer, input, "a", json("a", "held for a long time").getBytes(StandardCharsets.UTF_8));
            }
            String detail = awaitDown(app, "stalled: task 0_0 has held the oldest of its 1 events for");
            assertTrue(detail.contains("bertstream.health.max-stall-ms=1500"), detail);
            assertEquals(1.0, app.registry().get("bertstream.tasks.stalled").gauge().value());
            assertEquals(1, readCommitted(output, Duration.ofSeconds(30), r -> !r.isEmpty()).size());
            awaitUp(app);
            assertEquals(0.0, app.registry().get("bertstream.tasks.stalled").gauge().value());
        }
    }

    @Test
    void aRebalanceThatLastsLongerThanAllowedIsDown() throws Exception {
        broker().createTopics(2, input, output, dlq);
        // Allowed: 0 ms. Every rebalance is too long then, the first one at start included.
        try (var app = app(new FakeEmbedder(), Map.of(BertstreamConfig.HEALTH_MAX_REBALANCE_MS, "0"))) {
            var sawRebalanceDown = new AtomicBoolean();
            var watching = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    var health = app.health();
                    if (!health.up() && health.detail().startsWith("rebalancing for")) {
                        sawRebalanceDown.set(true);
                        return;
                    }
                    Thread.onSpinWait();
                }
            });
            watching.start();
            app.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (app.streams().state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            watching.interrupt();
            watching.join();
            assertTrue(sawRebalanceDown.get(), "DOWN, saying so, while rebalancing");
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state());
            awaitUp(app);
        }
    }

    @Test
    void failingStreamThreadsAreReplacedAFewTimesThenTheClientShutsDown() {
        var metrics = new PipelineMetrics(new SimpleMeterRegistry());
        var fatal = new AtomicInteger();
        var supervisor = new ThreadSupervisor(new Supervision(2, Duration.ofMinutes(10), Duration.ofMinutes(5),
                Duration.ofMinutes(5), Duration.ofMinutes(2)), metrics, fatal::incrementAndGet);
        var failure = new StreamsException("Exception caught in process",
                new IllegalStateException("the real cause\nover two lines"));
        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, supervisor.handle(failure));
        assertTrue(supervisor.recentFailure(System.currentTimeMillis()).orElseThrow()
                .contains("java.lang.IllegalStateException: the real cause over two lines"));
        assertFalse(supervisor.recentFailure(System.currentTimeMillis() + ThreadSupervisor.RECENT.toMillis() + 1).isPresent(),
                "UP again a while after a replaced thread");
        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, supervisor.handle(failure));
        assertTrue(supervisor.fatal().isEmpty());
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, supervisor.handle(failure), "the third within the window");
        assertEquals(1, fatal.get(), "the app is told to stop");
        assertEquals("stream threads failed 3 times within 10 min (bertstream.threads.max-replacements=2):"
                + " java.lang.IllegalStateException: the real cause over two lines", supervisor.fatal().orElseThrow());
        assertEquals(3.0, metrics.threadFailures());
        assertEquals(2.0, metrics.registry().get("bertstream.stream.thread.replacements").counter().count());
    }

    private static void awaitUp(BertstreamApp app) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!app.health().up()) {
            assertTrue(System.nanoTime() < deadline, "UP within 60 s: " + app.health().detail());
            Thread.sleep(20);
        }
    }

    private static String awaitDown(BertstreamApp app, String detail) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            var health = app.health();
            if (!health.up() && health.detail().startsWith(detail)) {
                return health.detail();
            }
            assertTrue(System.nanoTime() < deadline, "DOWN with '" + detail + "' within 60 s; last: " + health.detail());
            Thread.sleep(20);
        }
    }
}
