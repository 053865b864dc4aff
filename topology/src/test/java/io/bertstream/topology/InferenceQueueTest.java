package io.bertstream.topology;

import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.TextEmbedder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The process-wide inference queue on its own, with the {@link FakeEmbedder} test double (the behaviour under test —
 * how runs are formed, how failures are told apart — has nothing to do with the model).
 */
class InferenceQueueTest {

    /** Records the texts of every call, then delegates. */
    static class Recording implements TextEmbedder {
        final TextEmbedder inner;
        final List<List<String>> calls = Collections.synchronizedList(new ArrayList<>());

        Recording(TextEmbedder inner) {
            this.inner = inner;
        }

        public ModelInfo info() {
            return inner.info();
        }

        public int countTokens(String text) {
            return inner.countTokens(text);
        }

        public List<EmbedOutcome> embedAll(List<String> texts) {
            calls.add(List.copyOf(texts));
            return inner.embedAll(texts);
        }

        public void close() {
        }

        /** Calls without the canary text, i.e. the runs. */
        List<List<String>> runs() {
            return calls.stream().filter(c -> !c.contains(InferenceQueue.CANARY)).toList();
        }
    }

    /** The queue's settings at the shipped defaults. */
    private static final InferenceQueue.Settings DEFAULTS = BertstreamConfig.of(java.util.Map.of(), java.util.Map.of())
            .inferenceSettings();

    private final AtomicBoolean paused = new AtomicBoolean();
    private final PipelineMetrics metrics = new PipelineMetrics(new SimpleMeterRegistry());
    private final Faults faults = new Faults(new Faults.Pausable() {
        public void pause() {
            paused.set(true);
        }

        public void resume() {
            paused.set(false);
        }
    }, metrics, Duration.ofMillis(50), Duration.ofMillis(200));
    private InferenceQueue queue;

    private InferenceQueue start(TextEmbedder embedder, InferenceQueue.Settings settings) {
        queue = new InferenceQueue(embedder, settings, faults, metrics).start();
        return queue;
    }

    @AfterEach
    void close() {
        faults.close();
        if (queue != null) {
            assertTrue(queue.close(Duration.ofSeconds(10)), "the worker stops");
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met within 30 s");
            Thread.sleep(5);
        }
    }

    private static int[] costs(FakeEmbedder fake, List<String> texts) {
        return texts.stream().mapToInt(fake::countTokens).toArray();
    }

    @Test
    void microBatchesThatWaitTogetherRunTogetherAndEachGetsItsOwnOutcomesInOrder() throws Exception {
        var fake = new FakeEmbedder().delayPerCall(Duration.ofMillis(300));
        var recording = new Recording(fake);
        start(recording, new InferenceQueue.Settings(1000, 100_000, 1 << 20, Duration.ZERO));
        var first = queue.submit(List.of("first"), new int[] {3});
        await(() -> !recording.calls.isEmpty()); // the worker is in its first run now
        var jobs = new ArrayList<InferenceQueue.Job>();
        var texts = new ArrayList<List<String>>();
        for (int task = 0; task < 4; task++) {
            List<String> batch = List.of("task " + task + " one", "task " + task + " two words");
            texts.add(batch);
            jobs.add(queue.submit(batch, costs(fake, batch)));
        }
        await(() -> jobs.stream().allMatch(InferenceQueue.Job::done) && first.done());
        assertEquals(2, recording.runs().size(), "the four micro-batches that waited ran as one: " + recording.runs());
        assertEquals(8, recording.runs().get(1).size());
        for (int task = 0; task < 4; task++) {
            List<EmbedOutcome> outcomes = jobs.get(task).outcomes();
            for (int i = 0; i < 2; i++) {
                var embedded = assertInstanceOf(EmbedOutcome.Embedded.class, outcomes.get(i));
                assertArrayEquals(fake.vector(texts.get(task).get(i)), embedded.vectors().get(0).vector(),
                        "each job gets the vectors of its own texts, in its own order");
            }
        }
    }

    @Test
    void aMicroBatchLargerThanARunIsCutIntoLengthSortedRuns() throws Exception {
        var fake = new FakeEmbedder();
        var recording = new Recording(fake);
        start(recording, new InferenceQueue.Settings(10, 100_000, 1 << 20, Duration.ZERO));
        List<String> texts = List.of("a b c d e f", "a", "a b c", "x", "a b c d e");
        var job = queue.submit(texts, new int[] {8, 3, 5, 2, 7});
        await(job::done);
        assertEquals(List.of(List.of("x", "a", "a b c"), List.of("a b c d e"), List.of("a b c d e f")), recording.runs(),
                "shortest first, at most 10 tokens a run (one text at least)");
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(fake.vector(texts.get(i)),
                    ((EmbedOutcome.Embedded) job.outcomes().get(i)).vectors().get(0).vector());
        }
    }

    @Test
    void theQueueIsBoundedInTokensAndBytesAndACancelledJobFreesItsRoom() throws Exception {
        var fake = new FakeEmbedder().delayPerCall(Duration.ofMillis(500));
        var recording = new Recording(fake);
        start(recording, new InferenceQueue.Settings(5, 20, 1 << 20, Duration.ZERO));
        queue.submit(List.of("busy"), new int[] {3});
        await(() -> !recording.calls.isEmpty());
        assertTrue(queue.hasRoom());
        var waiting = queue.submit(List.of("a", "b", "c"), new int[] {10, 10, 10});
        assertFalse(queue.hasRoom(), "30 tokens wait, the bound is 20");
        long started = System.nanoTime();
        assertFalse(queue.awaitRoom(Duration.ofMillis(50).toNanos()), "no room appears while nothing is taken");
        assertTrue(System.nanoTime() - started >= Duration.ofMillis(45).toNanos(), "it waited");
        queue.cancel(waiting);
        assertTrue(queue.hasRoom(), "a cancelled job's texts leave the queue");
        assertEquals(0, queue.queuedTexts());

        var bytesBound = new InferenceQueue(fake, new InferenceQueue.Settings(5, 1000, 200, Duration.ZERO), faults, metrics);
        bytesBound.submit(List.of("x".repeat(100)), new int[] {3});
        assertFalse(bytesBound.hasRoom(), "200 bytes of texts fill it");
        bytesBound.close(Duration.ofSeconds(1));
    }

    @Test
    void aTextThatFailsAloneWhileTheCanaryPassesIsRejectedAndTheOthersAreEmbedded() throws Exception {
        var fake = new FakeEmbedder().poisonedBy(text -> text.contains("poison"));
        start(fake, DEFAULTS);
        var job = queue.submit(List.of("good one", "a poison pill", "good two"), new int[] {4, 5, 4});
        var other = queue.submit(List.of("another task's text"), new int[] {5});
        await(() -> job.done() && other.done());
        assertInstanceOf(EmbedOutcome.Embedded.class, job.outcomes().get(0));
        var rejected = assertInstanceOf(EmbedOutcome.Rejected.class, job.outcomes().get(1));
        assertTrue(rejected.reason().contains("canary text passed"), rejected.reason());
        assertInstanceOf(EmbedOutcome.Embedded.class, job.outcomes().get(2));
        assertInstanceOf(EmbedOutcome.Embedded.class, other.outcomes().get(0));
        assertFalse(paused.get(), "a bad text is not an infrastructure fault");
    }

    @Test
    void anEngineThatFailsOnTheCanaryTooPausesRejectsNothingAndResumesWhenItWorks() throws Exception {
        var fake = new FakeEmbedder();
        start(fake, DEFAULTS);
        fake.failFor(Duration.ofMillis(1500));
        var job = queue.submit(List.of("one", "two"), new int[] {3, 3});
        await(paused::get);
        assertTrue(faults.current().orElseThrow().cause().contains("fake engine failure"));
        assertFalse(job.done(), "nothing is judged while the engine fails");
        await(() -> job.done() && !paused.get());
        job.outcomes().forEach(o -> assertInstanceOf(EmbedOutcome.Embedded.class, o));
        assertTrue(metrics.registry().get("bertstream.retries").tag("kind", "engine-probe").counter().count() >= 1,
                "probed with backoff");
    }

    @Test
    void anOutOfMemoryErrorIsAnInfrastructureFaultToo() throws Exception {
        var fake = new FakeEmbedder();
        var failures = new AtomicInteger(4);
        var oom = new Recording(fake) {
            @Override
            public List<EmbedOutcome> embedAll(List<String> texts) {
                if (failures.getAndDecrement() > 0) {
                    throw new OutOfMemoryError("Java heap space (injected)");
                }
                return super.embedAll(texts);
            }
        };
        start(oom, DEFAULTS);
        var job = queue.submit(List.of("a text"), new int[] {4});
        await(job::done);
        assertInstanceOf(EmbedOutcome.Embedded.class, job.outcomes().get(0), "retried, not dead-lettered");
        assertEquals(1.0, metrics.registry().get("bertstream.infrastructure.faults").tag("kind", "engine").counter().count());
    }
}
