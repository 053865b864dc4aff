package io.bertstream.topology;

import io.bertstream.engine.EngineStats;
import io.bertstream.extract.ModelInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/** The processor's Micrometer meters; one instance per process, shared by every task. */
public final class PipelineMetrics {

    /** Why a micro-batch was closed. */
    public enum CloseReason { RECORDS, TOKENS, LINGER }

    /** What became of an input delete (a tombstone, a Debezium delete event). */
    public enum DeleteAction {
        /** tombstones sent for the id and its chunk keys */
        PROPAGATED,
        /** Debezium's tombstone right after its delete event, which already sent the tombstones */
        REPEAT,
        /** bertstream.input.deletes=ignore */
        IGNORED,
        /** bertstream.input.deletes=dead-letter, or a delete that names no usable id */
        DEAD_LETTERED;

        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** Why a tombstone was sent. */
    public enum TombstoneCause {
        /** an input delete */
        DELETE,
        /** a re-embedded text with fewer chunks than before: its surplus chunk keys */
        FEWER_CHUNKS;

        String tag() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final MeterRegistry registry;
    private final Counter eventsIn;
    private final Counter recordsOut;
    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Map<DeadLetter.Stage, Counter> deadLettered = new EnumMap<>(DeadLetter.Stage.class);
    private final Map<CloseReason, Counter> batchesClosed = new EnumMap<>(CloseReason.class);
    private final Map<SizeLimits.Kind, Counter> oversized = new EnumMap<>(SizeLimits.Kind.class);
    private final Map<DeleteAction, Counter> deletes = new EnumMap<>(DeleteAction.class);
    private final Map<TombstoneCause, Counter> tombstones = new EnumMap<>(TombstoneCause.class);
    private final Map<String, Counter> retries = new ConcurrentHashMap<>();
    private final DistributionSummary batchSize;
    private final DistributionSummary batchFill;
    private final DistributionSummary paddedTokenShare;
    private final Timer inference;
    private final Timer runs;
    private final DistributionSummary runTexts;
    private final Timer eventToOutput;
    private final Counter backpressure;
    private final Counter threadFailures;
    private final Counter threadReplacements;
    private final Counter productionRetries;
    private final Counter productionFailures;
    private final AtomicLong pending = new AtomicLong();
    private Supplier<EngineStats> engineStats;

    public PipelineMetrics(MeterRegistry registry) {
        this.registry = registry;
        eventsIn = Counter.builder("bertstream.events.in").description("input records read").register(registry);
        recordsOut = Counter.builder("bertstream.records.out").description("embedding records produced").register(registry);
        cacheHits = Counter.builder("bertstream.cache.hits").description("texts served by the embedding cache")
                .register(registry);
        cacheMisses = Counter.builder("bertstream.cache.misses").description("texts the cache did not have")
                .register(registry);
        for (DeadLetter.Stage stage : DeadLetter.Stage.values()) {
            deadLettered.put(stage, Counter.builder("bertstream.events.dead.lettered")
                    .description("input records sent to the dead-letter topic").tag("stage", stage.label())
                    .register(registry));
        }
        for (CloseReason reason : CloseReason.values()) {
            batchesClosed.put(reason, Counter.builder("bertstream.batches.closed")
                    .description("micro-batches closed, by what closed them")
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        for (SizeLimits.Kind kind : SizeLimits.Kind.values()) {
            oversized.put(kind, Counter.builder("bertstream.records.oversized")
                    .description("writes refused before sending because they were over the size limit (pending, output:"
                            + " the event is dead-lettered; cache: not cached)")
                    .tag("kind", kind.metricTag()).register(registry));
        }
        for (DeleteAction action : DeleteAction.values()) {
            deletes.put(action, Counter.builder("bertstream.deletes")
                    .description("input deletes (tombstones, Debezium delete events), by what became of them")
                    .tag("action", action.tag()).register(registry));
        }
        for (TombstoneCause cause : TombstoneCause.values()) {
            tombstones.put(cause, Counter.builder("bertstream.tombstones.out")
                    .description("output tombstones (null values) sent: for an input delete, or for the surplus chunk keys"
                            + " of a text re-embedded with fewer chunks")
                    .tag("cause", cause.tag()).register(registry));
        }
        batchSize = DistributionSummary.builder("bertstream.batch.size").description("events per micro-batch")
                .register(registry);
        batchFill = DistributionSummary.builder("bertstream.batch.fill")
                .description("micro-batch size / max records").register(registry);
        paddedTokenShare = DistributionSummary.builder("bertstream.batch.padded.token.share")
                .description("share of a micro-batch's rows x longest that would be padding unsorted; the engine's"
                        + " length-sorted passes pad far less: see bertstream.engine.padded.token.share")
                .register(registry);
        inference = Timer.builder("bertstream.inference.time")
                .description("from handing a micro-batch to the inference queue until all its outcomes are back")
                .publishPercentiles(0.5, 0.99).register(registry);
        runs = Timer.builder("bertstream.inference.run.time")
                .description("the inference worker's runs: one embedder call over texts of one or more micro-batches")
                .publishPercentiles(0.5, 0.99).register(registry);
        runTexts = DistributionSummary.builder("bertstream.inference.run.texts").description("texts per run")
                .register(registry);
        eventToOutput = Timer.builder("bertstream.event.latency")
                .description("from the input record's timestamp to its output").publishPercentiles(0.5, 0.99)
                .register(registry);
        backpressure = Counter.builder("bertstream.backpressure.wait.seconds")
                .description("time stream threads waited for room in the full inference queue").register(registry);
        threadFailures = Counter.builder("bertstream.stream.thread.failures")
                .description("stream threads that died of an exception").register(registry);
        threadReplacements = Counter.builder("bertstream.stream.thread.replacements")
                .description("failed stream threads replaced (bounded by bertstream.threads.max-replacements)")
                .register(registry);
        productionRetries = Counter.builder("bertstream.production.errors").tag("action", "retry")
                .description("sends that failed in the producer: retried from the last commit, or failing the thread")
                .register(registry);
        productionFailures = Counter.builder("bertstream.production.errors").tag("action", "fail")
                .description("sends that failed in the producer: retried from the last commit, or failing the thread")
                .register(registry);
        Gauge.builder("bertstream.batch.pending", pending, AtomicLong::get)
                .description("events this process holds: read, not yet emitted or dead-lettered").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A constant 1 tagged with the model identity, so dashboards show which model is live. */
    public void modelInfo(ModelInfo model) {
        Gauge.builder("bertstream.model.info", () -> 1)
                .description("1, tagged with the live model's identity")
                .tag("name", model.name()).tag("sha256", model.sha256()).tag("backend", model.backend())
                .tag("layers", model.layers()).tag("pooling", model.pooling())
                .tag("post_processing", model.postProcessing()).tag("dims", Integer.toString(model.dims()))
                .register(registry);
    }

    /**
     * What the forward passes really computed (after the engine's length sort and pass planning): passes, real
     * tokens, token slots, and the padded share so far.
     */
    public void engine(Supplier<EngineStats> stats) {
        // Meters hold their state weakly: keep the supplier (often a method reference made for this call) alive.
        engineStats = stats;
        FunctionCounter.builder("bertstream.engine.passes", stats, s -> s.get().passes())
                .description("forward passes").register(registry);
        FunctionCounter.builder("bertstream.engine.tokens.real", stats, s -> s.get().realTokens())
                .description("real tokens encoded").register(registry);
        FunctionCounter.builder("bertstream.engine.tokens.slots", stats, s -> s.get().paddedSlots())
                .description("token slots computed (rows x longest per pass)").register(registry);
        Gauge.builder("bertstream.engine.padded.token.share", stats, s -> s.get().paddedShare())
                .description("share of computed token slots that were padding, since start").strongReference(true)
                .register(registry);
    }

    /** The inference queue's depth. */
    void queue(InferenceQueue queue) {
        gauge("bertstream.inference.queue.texts", queue, InferenceQueue::queuedTexts, "texts waiting for the model");
        gauge("bertstream.inference.queue.tokens", queue, InferenceQueue::queuedTokens,
                "tokens of the texts waiting for the model");
        gauge("bertstream.inference.queue.bytes", queue, InferenceQueue::queuedBytes,
                "bytes of the texts waiting for the model");
    }

    /** Whether processing is paused by an infrastructure fault, by cause. */
    void faults(Faults faults) {
        for (Faults.Kind kind : Faults.Kind.values()) {
            Gauge.builder("bertstream.paused", faults, f -> f.active(kind) ? 1 : 0)
                    .description("1 while processing is paused because this part of the infrastructure fails")
                    .tag("cause", kind.tag()).register(registry);
            Counter.builder("bertstream.infrastructure.faults").tag("kind", kind.tag())
                    .description("infrastructure faults that paused processing").register(registry);
        }
    }

    /** Stalled tasks and the current rebalance's duration, as /health sees them. */
    void supervision(Supplier<Integer> stalledTasks, Supplier<Long> rebalancingMillis) {
        // Gauges hold their state weakly unless told otherwise: these suppliers live nowhere else.
        Gauge.builder("bertstream.tasks.stalled", stalledTasks, s -> s.get())
                .description("tasks with waiting events that made no progress for longer than bertstream.health.max-stall-ms")
                .strongReference(true).register(registry);
        Gauge.builder("bertstream.rebalance.seconds", rebalancingMillis, s -> s.get() / 1000.0)
                .description("how long the current rebalance has lasted; 0 when not rebalancing").strongReference(true)
                .register(registry);
    }

    private <T> void gauge(String name, T object, ToDoubleFunction<T> value, String description) {
        Gauge.builder(name, object, value).description(description).register(registry);
    }

    void eventIn() {
        eventsIn.increment();
    }

    void recordOut(long eventTimestamp, long now) {
        recordsOut.increment();
        eventToOutput.record(Duration.ofMillis(Math.max(0, now - eventTimestamp)));
    }

    void pendingChanged(int delta) {
        pending.addAndGet(delta);
    }

    /** Events read but not yet emitted or dead-lettered, in this process. */
    public long pending() {
        return pending.get();
    }

    void deadLettered(DeadLetter.Stage stage) {
        deadLettered.get(stage).increment();
    }

    void oversized(SizeLimits.Kind kind) {
        oversized.get(kind).increment();
    }

    void delete(DeleteAction action) {
        deletes.get(action).increment();
    }

    void tombstonesOut(TombstoneCause cause, int count) {
        tombstones.get(cause).increment(count);
    }

    public double deletes(DeleteAction action) {
        return deletes.get(action).count();
    }

    public double tombstonesOut(TombstoneCause cause) {
        return tombstones.get(cause).count();
    }

    void cache(boolean hit) {
        (hit ? cacheHits : cacheMisses).increment();
    }

    void batch(CloseReason reason, int size, int maxRecords, long realTokens, long paddedTokens) {
        batchesClosed.get(reason).increment();
        batchSize.record(size);
        batchFill.record((double) size / maxRecords);
        if (paddedTokens > 0) {
            paddedTokenShare.record(1.0 - (double) realTokens / paddedTokens);
        }
    }

    void microBatchInferred(long nanos) {
        inference.record(Duration.ofNanos(nanos));
    }

    void run(int texts, long nanos) {
        runs.record(Duration.ofNanos(nanos));
        runTexts.record(texts);
    }

    void backpressure(long waitedNanos) {
        backpressure.increment(waitedNanos / 1e9);
    }

    /** A retry of something that failed: isolating a failed run, probing a failed part of the infrastructure. */
    void retry(String kind) {
        retries.computeIfAbsent(kind, k -> Counter.builder("bertstream.retries").tag("kind", k)
                .description("retries after failures: isolation of a failed run, probes of a failing engine or registry")
                .register(registry)).increment();
    }

    void fault(Faults.Kind kind) {
        registry.counter("bertstream.infrastructure.faults", "kind", kind.tag()).increment();
    }

    void probe(Faults.Kind kind, boolean passed) {
        retry(kind.tag() + "-probe");
    }

    void threadFailed(boolean replaced) {
        threadFailures.increment();
        if (replaced) {
            threadReplacements.increment();
        }
    }

    void productionError(boolean retried) {
        (retried ? productionRetries : productionFailures).increment();
    }

    public double eventsIn() {
        return eventsIn.count();
    }

    public double recordsOut() {
        return recordsOut.count();
    }

    public double deadLetteredCount(DeadLetter.Stage stage) {
        return deadLettered.get(stage).count();
    }

    public double deadLetteredTotal() {
        return deadLettered.values().stream().mapToDouble(Counter::count).sum();
    }

    public double batchesClosed(CloseReason reason) {
        return batchesClosed.get(reason).count();
    }

    public double oversizedCount(SizeLimits.Kind kind) {
        return oversized.get(kind).count();
    }

    public double threadFailures() {
        return threadFailures.count();
    }
}
