package io.bertstream.topology;

import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.TextEmbedder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.IntStream;

/**
 * The one inference queue of a process (as text-embeddings-inference's batching task): every task of every stream
 * thread hands its closed micro-batch here as a {@link Job} and returns at once; one worker thread takes texts from
 * the waiting jobs in FIFO order into short runs of at most {@link Settings#runTokens()} tokens (whole micro-batches
 * when they fit; a larger one is cut into length-sorted slices), embeds each run with one call (the engine plans
 * length-sorted passes over it), and hands every job its own outcomes. Stream threads never block on a forward
 * pass: while one runs, they keep decoding, tokenising, serialising and committing.
 *
 * <p>A run that throws is isolated: each of its micro-batches is retried on its own, then each text, every try
 * alongside a known-good canary text. A text that fails while the canary passes is bad data ({@link
 * EmbedOutcome.Rejected}); when the canary fails too, the engine is at fault: nothing is rejected, the run waits,
 * and {@link Faults} pauses processing and probes the engine until it works again.
 *
 * <p>Bounded: {@link #hasRoom()} is false while the queued texts pass {@link Settings#maxQueuedTokens()} tokens or
 * {@link Settings#maxQueuedBytes()} bytes; stream threads then hold back (see {@link Backpressure}).
 */
public final class InferenceQueue implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InferenceQueue.class);

    /** An ordinary sentence every working model embeds: tells a broken engine from a bad text. */
    static final String CANARY = "A short and ordinary sentence that every model can embed.";

    /**
     * @param runTokens       tokens (after truncation) the worker takes into one run
     * @param maxQueuedTokens tokens of queued texts before the queue has no room
     * @param maxQueuedBytes  bytes of queued texts (UTF-16, as held) before the queue has no room
     * @param maxWait         longest a stream thread waits for room per event before taking the event in anyway
     */
    public record Settings(int runTokens, int maxQueuedTokens, long maxQueuedBytes, Duration maxWait) {

        public Settings {
            if (runTokens < 1 || maxQueuedTokens < 1 || maxQueuedBytes < 1 || maxWait.isNegative()) {
                throw new IllegalArgumentException("inference queue bounds must be positive: run " + runTokens
                        + " tokens, queue " + maxQueuedTokens + " tokens / " + maxQueuedBytes + " bytes, wait " + maxWait);
            }
        }
    }

    /** One micro-batch's texts; done once every text has its outcome. */
    static final class Job {
        private final String[] texts;
        private final int[] costs;
        private final EmbedOutcome[] outcomes;
        /** Text indexes, shortest first: the order texts are taken in when the job does not fit one run. */
        private final int[] order;
        private final long submittedNanos = System.nanoTime();
        private int taken;
        private int remaining;
        private volatile boolean cancelled;
        private volatile boolean done;

        private Job(List<String> texts, int[] costs) {
            this.texts = texts.toArray(String[]::new);
            this.costs = costs.clone();
            this.outcomes = new EmbedOutcome[this.texts.length];
            this.order = IntStream.range(0, this.texts.length).boxed()
                    .sorted(Comparator.comparingInt(i -> costs[i])).mapToInt(Integer::intValue).toArray();
            this.remaining = this.texts.length;
            this.done = remaining == 0;
        }

        boolean done() {
            return done;
        }

        /** One outcome per text, in the order given; only once {@link #done()}. */
        List<EmbedOutcome> outcomes() {
            if (!done) {
                throw new IllegalStateException("job not done");
            }
            return List.of(outcomes);
        }

        private long bytes(int i) {
            return 2L * texts[i].length() + 64;
        }
    }

    /** A text of a job, taken into a run. */
    private record Slot(Job job, int index) {
        String text() {
            return job.texts[index];
        }
    }

    private final TextEmbedder embedder;
    private final Settings settings;
    private final Faults faults;
    private final PipelineMetrics metrics;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition room = lock.newCondition();
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private long queuedTokens;
    private long queuedBytes;
    private int queuedTexts;
    private boolean closed;
    /** Texts of a run the engine failed on: run again, first, once the engine works again. */
    private List<Slot> retry = List.of();
    private final Thread worker;

    InferenceQueue(TextEmbedder embedder, Settings settings, Faults faults, PipelineMetrics metrics) {
        this.embedder = embedder;
        this.settings = settings;
        this.faults = faults;
        this.metrics = metrics;
        this.worker = new Thread(this::work, "bertstream-inference");
        worker.setDaemon(true);
        metrics.queue(this);
    }

    InferenceQueue start() {
        worker.start();
        return this;
    }

    Settings settings() {
        return settings;
    }

    /** Hands texts over; never blocks. {@code costs} are each text's tokens as the model will see them. */
    Job submit(List<String> texts, int[] costs) {
        var job = new Job(texts, costs);
        if (job.done) {
            return job;
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the inference queue is closed");
            }
            waiting.add(job);
            for (int i = 0; i < job.texts.length; i++) {
                account(job, i, 1);
            }
            work.signal();
        } finally {
            lock.unlock();
        }
        return job;
    }

    /** The task that handed the job over is gone: its texts not yet taken are dropped, its outcomes ignored. */
    void cancel(Job job) {
        job.cancelled = true;
        lock.lock();
        try {
            if (waiting.remove(job)) {
                for (int k = job.taken; k < job.order.length; k++) {
                    account(job, job.order[k], -1);
                }
                room.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean hasRoom() {
        lock.lock();
        try {
            return roomLocked();
        } finally {
            lock.unlock();
        }
    }

    boolean isEmpty() {
        lock.lock();
        try {
            return waiting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code nanos} for room; true if there is room now. */
    boolean awaitRoom(long nanos) throws InterruptedException {
        lock.lock();
        try {
            while (!roomLocked() && nanos > 0 && !closed) {
                nanos = room.awaitNanos(nanos);
            }
            return roomLocked();
        } finally {
            lock.unlock();
        }
    }

    private boolean closedNow() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    private boolean roomLocked() {
        return queuedTokens < settings.maxQueuedTokens() && queuedBytes < settings.maxQueuedBytes();
    }

    long queuedTexts() {
        lock.lock();
        try {
            return queuedTexts;
        } finally {
            lock.unlock();
        }
    }

    long queuedTokens() {
        lock.lock();
        try {
            return queuedTokens;
        } finally {
            lock.unlock();
        }
    }

    long queuedBytes() {
        lock.lock();
        try {
            return queuedBytes;
        } finally {
            lock.unlock();
        }
    }

    private void account(Job job, int i, int sign) {
        queuedTokens += sign * (long) job.costs[i];
        queuedBytes += sign * job.bytes(i);
        queuedTexts += sign;
    }

    // ---- the worker ----------------------------------------------------------------------------------------------

    private void work() {
        try {
            while (true) {
                faults.awaitCleared(Faults.Kind.ENGINE);
                if (closedNow()) {
                    return; // what was not delivered is computed again by the tasks' next owners
                }
                List<Slot> run = retry.isEmpty() ? nextRun() : retry;
                retry = List.of();
                if (run == null) {
                    return; // closed
                }
                run = live(run);
                if (!run.isEmpty()) {
                    execute(run);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            // Never expected: the worker handles every failure of the model itself. Say so loudly; /health shows
            // the tasks stalling, and the process is better restarted than left without a worker.
            log.error("the inference worker stopped unexpectedly", e);
            faults.raise(Faults.Kind.ENGINE, e, () -> {
                throw new IllegalStateException("the inference worker stopped: " + e);
            });
        }
    }

    /** The next run: texts of the waiting jobs, FIFO, up to the run's token budget (at least one text). */
    private List<Slot> nextRun() throws InterruptedException {
        lock.lock();
        try {
            while (waiting.isEmpty() && !closed) {
                work.await();
            }
            if (closed) {
                return null;
            }
            var run = new ArrayList<Slot>();
            long tokens = 0;
            while (!waiting.isEmpty()) {
                Job job = waiting.peek();
                while (job.taken < job.order.length) {
                    int i = job.order[job.taken];
                    if (!run.isEmpty() && tokens + job.costs[i] > settings.runTokens()) {
                        room.signalAll();
                        return run;
                    }
                    run.add(new Slot(job, i));
                    tokens += job.costs[i];
                    job.taken++;
                    account(job, i, -1);
                }
                waiting.poll();
            }
            room.signalAll();
            return run;
        } finally {
            lock.unlock();
        }
    }

    private static List<Slot> live(List<Slot> slots) {
        return slots.stream().filter(s -> !s.job.cancelled).toList();
    }

    private void execute(List<Slot> run) throws InterruptedException {
        long started = System.nanoTime();
        List<EmbedOutcome> outcomes;
        try {
            outcomes = embedChecked(run.stream().map(Slot::text).toList());
        } catch (Throwable failure) {
            isolate(run, failure);
            return;
        }
        metrics.run(run.size(), System.nanoTime() - started);
        deliver(run, outcomes);
    }

    /** The embedder's answer, or an exception when there is none that is usable. */
    private List<EmbedOutcome> embedChecked(List<String> texts) {
        List<EmbedOutcome> outcomes = embedder.embedAll(texts);
        if (outcomes == null || outcomes.size() != texts.size()) {
            throw new IllegalStateException("the embedder answered " + (outcomes == null ? "null" : outcomes.size()
                    + " outcomes") + " for " + texts.size() + " texts");
        }
        return outcomes;
    }

    /** The run failed as a whole: find out whether a text or the engine is to blame. */
    private void isolate(List<Slot> run, Throwable failure) throws InterruptedException {
        metrics.retry("isolation");
        log.warn("a run of {} texts failed ({}); retrying its micro-batches, then its texts, each beside a canary text",
                run.size(), Faults.describe(failure));
        if (!canaryPasses()) {
            engineFailed(failure, run);
            return;
        }
        var byJob = new LinkedHashMap<Job, List<Slot>>();
        run.forEach(slot -> byJob.computeIfAbsent(slot.job, j -> new ArrayList<>()).add(slot));
        var rest = new ArrayList<>(run);
        for (Map.Entry<Job, List<Slot>> part : byJob.entrySet()) {
            List<Slot> slots = part.getValue();
            if (tryWithCanary(slots)) {
                rest.removeAll(slots);
                continue;
            }
            for (Slot slot : slots) {
                metrics.retry("isolation");
                if (tryWithCanary(List.of(slot))) {
                    rest.remove(slot);
                    continue;
                }
                Throwable alone = failureAlone(slot);
                if (alone == null) { // it passed on a second try: not the text's fault
                    rest.remove(slot);
                    continue;
                }
                if (!canaryPasses()) {
                    engineFailed(alone, rest);
                    return;
                }
                log.info("text {} of a micro-batch fails on its own while the canary passes: dead-lettering it ({})",
                        slot.index, Faults.describe(alone));
                deliver(List.of(slot), List.of(new EmbedOutcome.Rejected(alone.getClass().getName(),
                        "the model failed on this text while a canary text passed: " + alone.getMessage())));
                rest.remove(slot);
            }
        }
    }

    /** Embeds the slots with the canary beside them; delivers and returns true when all of it worked. */
    private boolean tryWithCanary(List<Slot> slots) {
        var texts = new ArrayList<String>(slots.size() + 1);
        slots.forEach(slot -> texts.add(slot.text()));
        texts.add(CANARY);
        try {
            List<EmbedOutcome> outcomes = embedChecked(texts);
            if (!(outcomes.get(outcomes.size() - 1) instanceof EmbedOutcome.Embedded)) {
                return false;
            }
            deliver(slots, outcomes.subList(0, slots.size()));
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    /** The text alone, once more: its failure, or null (and delivered) when it worked this time. */
    private Throwable failureAlone(Slot slot) {
        try {
            deliver(List.of(slot), embedChecked(List.of(slot.text())));
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    private boolean canaryPasses() {
        try {
            checkCanary();
            return true;
        } catch (Throwable e) {
            return false;
        }
    }

    /** Throws unless the engine embeds the canary text. */
    void checkCanary() {
        EmbedOutcome outcome = embedChecked(List.of(CANARY)).get(0);
        if (!(outcome instanceof EmbedOutcome.Embedded)) {
            throw new IllegalStateException("the canary text was rejected: " + ((EmbedOutcome.Rejected) outcome).reason());
        }
    }

    private void engineFailed(Throwable cause, List<Slot> undelivered) {
        retry = List.copyOf(undelivered);
        faults.raise(Faults.Kind.ENGINE, cause, this::checkCanary);
    }

    private void deliver(List<Slot> slots, List<EmbedOutcome> outcomes) {
        for (int s = 0; s < slots.size(); s++) {
            Slot slot = slots.get(s);
            Job job = slot.job;
            if (job.cancelled || job.outcomes[slot.index] != null) {
                continue;
            }
            job.outcomes[slot.index] = outcomes.get(s);
            if (--job.remaining == 0) {
                metrics.microBatchInferred(System.nanoTime() - job.submittedNanos);
                job.done = true; // volatile: publishes the outcomes to the stream thread
            }
        }
    }

    /**
     * Stops the worker after its current run; true when it stopped within {@code timeout} (a forward pass may still
     * be running otherwise, and the model must not be closed under it).
     */
    boolean close(Duration timeout) {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
            room.signalAll();
        } finally {
            lock.unlock();
        }
        if (!worker.isAlive()) {
            return true;
        }
        try {
            worker.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !worker.isAlive();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /** Used by tests: waits until the worker has nothing queued. */
    boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (System.nanoTime() < deadline) {
            if (isEmpty()) {
                return true;
            }
            Thread.sleep(5);
        }
        return isEmpty();
    }
}
