package io.bertstream.topology;

import java.time.Duration;

/**
 * Holds stream threads back while the inference queue is full, without ever keeping a transaction open for long:
 * {@link #awaitRoom()} waits at most {@code maxWait} per event, and a thread waits at most {@code iterationBudget}
 * in total between two punctuations (Kafka Streams punctuates, then commits, between its processing iterations;
 * the budget is a quarter of the producer's {@code transaction.timeout.ms}). After waiting, the event is taken into
 * the pending store anyway — it is safe there — so the store grows only slowly while the model is behind.
 */
final class Backpressure {

    private final InferenceQueue queue;
    private final long maxWaitNanos;
    private final long iterationBudgetNanos;
    private final PipelineMetrics metrics;
    private final ThreadLocal<long[]> waitedThisIteration = ThreadLocal.withInitial(() -> new long[1]);

    Backpressure(InferenceQueue queue, Duration maxWait, Duration iterationBudget, PipelineMetrics metrics) {
        this.queue = queue;
        this.maxWaitNanos = maxWait.toNanos();
        this.iterationBudgetNanos = iterationBudget.toNanos();
        this.metrics = metrics;
    }

    /** A punctuation ran on this stream thread: a new processing iteration, and a commit, follow. */
    void newIteration() {
        waitedThisIteration.get()[0] = 0;
    }

    /** Waits (within this thread's budget) while the queue has no room. */
    void awaitRoom() {
        if (queue.hasRoom()) {
            return;
        }
        long[] waited = waitedThisIteration.get();
        long budget = Math.min(maxWaitNanos, iterationBudgetNanos - waited[0]);
        if (budget <= 0) {
            return;
        }
        long started = System.nanoTime();
        try {
            queue.awaitRoom(budget);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long elapsed = System.nanoTime() - started;
        waited[0] += elapsed;
        metrics.backpressure(elapsed);
    }
}
