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
        settings.put(BertstreamConfig.BATCH_LINGER_MS, "50");
        settings.putAll(overrides);
        return new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape()));
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
