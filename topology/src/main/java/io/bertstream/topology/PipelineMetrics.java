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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The processor's Micrometer meters; one instance per process, shared by every task. */
public final class PipelineMetrics {

    /** Why a batch was closed. */
    public enum CloseReason { RECORDS, TOKENS, LINGER }

    private final MeterRegistry registry;
    private final Counter eventsIn;
    private final Counter recordsOut;
    private final Counter cacheHits;
    private final Counter cacheMisses;
    private final Map<DeadLetter.Stage, Counter> deadLettered = new EnumMap<>(DeadLetter.Stage.class);
    private final Map<CloseReason, Counter> batchesClosed = new EnumMap<>(CloseReason.class);
    private final DistributionSummary batchSize;
    private final DistributionSummary batchFill;
    private final DistributionSummary paddedTokenShare;
    private final Timer inference;
    private final Timer eventToOutput;
    private final AtomicLong pending = new AtomicLong();

    public PipelineMetrics(MeterRegistry registry) {
        this.registry = registry;
        eventsIn = Counter.builder("bertstream.events.in").description("input records read").register(registry);
        recordsOut = Counter.builder("bertstream.records.out").description("embedding records produced").register(registry);
        cacheHits = Counter.builder("bertstream.cache.hits").register(registry);
        cacheMisses = Counter.builder("bertstream.cache.misses").register(registry);
        for (DeadLetter.Stage stage : DeadLetter.Stage.values()) {
            deadLettered.put(stage, Counter.builder("bertstream.events.dead.lettered")
                    .description("input records sent to the dead-letter topic").tag("stage", stage.label())
                    .register(registry));
        }
        for (CloseReason reason : CloseReason.values()) {
            batchesClosed.put(reason, Counter.builder("bertstream.batches.closed")
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry));
        }
        batchSize = DistributionSummary.builder("bertstream.batch.size").description("events per batch")
                .register(registry);
        batchFill = DistributionSummary.builder("bertstream.batch.fill")
                .description("batch size / max records").register(registry);
        paddedTokenShare = DistributionSummary.builder("bertstream.batch.padded.token.share")
                .description("share of a micro-batch's rows x longest that would be padding unsorted; the engine's"
                        + " length-sorted passes pad far less: see bertstream.engine.padded.token.share")
                .register(registry);
        inference = Timer.builder("bertstream.inference.time").description("embedder time per batch")
                .publishPercentiles(0.5, 0.99).register(registry);
        eventToOutput = Timer.builder("bertstream.event.latency")
                .description("from the input record's timestamp to its output").publishPercentiles(0.5, 0.99)
                .register(registry);
        Gauge.builder("bertstream.batch.pending", pending, AtomicLong::get)
                .description("events waiting in open batches of this process's tasks").register(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** A constant 1 tagged with the model identity, so dashboards show which model is live. */
    public void modelInfo(ModelInfo model) {
        Gauge.builder("bertstream.model.info", () -> 1)
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
        FunctionCounter.builder("bertstream.engine.passes", stats, s -> s.get().passes())
                .description("forward passes").register(registry);
        FunctionCounter.builder("bertstream.engine.tokens.real", stats, s -> s.get().realTokens())
                .description("real tokens encoded").register(registry);
        FunctionCounter.builder("bertstream.engine.tokens.slots", stats, s -> s.get().paddedSlots())
                .description("token slots computed (rows x longest per pass)").register(registry);
        Gauge.builder("bertstream.engine.padded.token.share", stats, s -> s.get().paddedShare())
                .description("share of computed token slots that were padding, since start").register(registry);
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

    void cache(boolean hit) {
        (hit ? cacheHits : cacheMisses).increment();
    }

    void batch(CloseReason reason, int size, int maxRecords, long realTokens, long paddedTokens, long inferenceNanos) {
        batchesClosed.get(reason).increment();
        batchSize.record(size);
        batchFill.record((double) size / maxRecords);
        if (paddedTokens > 0) {
            paddedTokenShare.record(1.0 - (double) realTokens / paddedTokens);
        }
        inference.record(Duration.ofNanos(inferenceNanos));
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
}
