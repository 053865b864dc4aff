package io.bertstream.topology;

import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.serde.DecodeException;
import io.bertstream.serde.Decoded;
import io.bertstream.serde.DecodedDelete;
import io.bertstream.serde.DecodedText;
import io.bertstream.serde.RegistryException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes events, gathers them into micro-batches, hands each closed micro-batch to the process's
 * {@link InferenceQueue} and, once its outcomes are back, emits one record per vector; whatever cannot be decoded,
 * embedded or written is dead-lettered with its original bytes. Never waits for a forward pass.
 *
 * <p>Exactly-once: every event is written to a changelogged store (the raw record; key: a per-task sequence
 * number) before its input offset can be committed, and deleted only in the same step that forwards its outcome
 * (outputs or a dead letter), from the stream thread. Under exactly_once_v2 store writes, outputs and offsets
 * commit in one transaction, so an event is always either pending in the changelog or its outcome is committed.
 * After a crash or a move the new owner restores the store and {@link #init} decodes the events again; outcomes
 * computed for a task that was closed meanwhile are dropped and computed again by the next owner.
 *
 * <p>Outcomes are collected by a wall-clock punctuation every {@link #COLLECT_INTERVAL} and at the start of every
 * {@link #process}; a task emits its events in the order it read them.
 *
 * <p>Deletes (tombstones, Debezium delete events) travel in the micro-batches with the texts, so they keep their
 * order with the embeddings of the same id; with {@code bertstream.input.deletes=propagate} each sends a tombstone
 * for the id and, in chunk mode, for every chunk key the id had. The chunk-count store remembers how many chunk
 * keys an id's last embedding emitted (only ids with more than one), so a delete tombstones each and a re-embedded
 * text with fewer chunks tombstones the surplus.
 */
final class MicroBatchProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    static final String PENDING_STORE = "bertstream-pending";
    static final String CACHE_STORE = "bertstream-embedding-cache";
    static final String CHUNK_COUNT_STORE = "bertstream-chunk-counts";
    static final String OUTPUT_SINK = "embeddings";
    static final String DEAD_LETTER_SINK = "dead-letters";
    static final Duration COLLECT_INTERVAL = Duration.ofMillis(10);

    private static final Logger log = LoggerFactory.getLogger(MicroBatchProcessor.class);

    /** A stored event waiting to be decoded: restored from the changelog, or held while the registry is down. */
    private record Undecoded(long sequence, InputRecord raw) {
    }

    /** A decoded event — a text, or a delete (no tokens) — from its arrival until its outcome is forwarded. */
    private static final class Event {
        final long sequence;
        final InputRecord raw;
        final Decoded decoded;
        final int tokens;
        final int cost;
        EmbedOutcome outcome;
        /** The same text, earlier in this task and not yet emitted: its outcome is this one's too. */
        Event sameAs;

        Event(long sequence, InputRecord raw, Decoded decoded, int tokens, int cost) {
            this.sequence = sequence;
            this.raw = raw;
            this.decoded = decoded;
            this.tokens = tokens;
            this.cost = cost;
        }

        boolean isDelete() {
            return decoded instanceof DecodedDelete;
        }

        String text() {
            return ((DecodedText) decoded).text();
        }

        EmbedOutcome resolved() {
            return outcome != null ? outcome : sameAs.resolved();
        }
    }

    /** A closed micro-batch: its events in arrival order, and those the model must compute. */
    private static final class MicroBatch {
        final List<Event> events;
        final List<Event> misses = new ArrayList<>();
        InferenceQueue.Job job;

        MicroBatch(List<Event> events) {
            this.events = events;
        }

        boolean done() {
            return misses.isEmpty() || job != null && job.done();
        }
    }

    private final Pipeline pipeline;
    private final TopologySettings settings;
    private final PipelineMetrics metrics;
    private final OutputKeys keys;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, byte[]> pendingStore;
    private EmbeddingCache cache;
    /** Chunk mode only: id → how many chunk keys its last embedding emitted, for ids with more than one. */
    private KeyValueStore<Bytes, byte[]> chunkCounts;
    private TaskProgress.Task progress;
    private final ArrayDeque<Undecoded> undecoded = new ArrayDeque<>();
    private List<Event> open = new ArrayList<>();
    private int openTexts;
    private int openLongest;
    private long openTokens;
    private final ArrayDeque<MicroBatch> closed = new ArrayDeque<>();
    /** Texts handed to the model and not yet emitted, with the event that carries them (cache on only). */
    private final Map<String, Event> inFlight = new HashMap<>();
    /**
     * Per input partition, the key of the last record admitted when it was a Debezium delete event: the tombstone
     * Debezium sends right after it is a repeat of the same delete.
     */
    private final Map<TopicPartition, byte[]> lastDeleteEvent = new HashMap<>();
    private long nextSequence;
    private int held;

    MicroBatchProcessor(Pipeline pipeline) {
        this.pipeline = pipeline;
        this.settings = pipeline.settings();
        this.metrics = pipeline.metrics();
        this.keys = new OutputKeys(settings.maxIdBytes(), pipeline.shape().chunked() ? settings.events().maxChunks() : 0);
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.pendingStore = context.getStateStore(PENDING_STORE);
        this.progress = pipeline.progress().activate(context.taskId().toString(), context.currentSystemTimeMs());
        if (settings.cache().enabled()) {
            cache = new EmbeddingCache(context.getStateStore(CACHE_STORE), pipeline.embedder().info(),
                    settings.extraction(), settings.cache(), pipeline.limits(), metrics);
        }
        if (pipeline.shape().chunked()) {
            chunkCounts = context.getStateStore(CHUNK_COUNT_STORE);
        }
        long last = -1;
        try (var restored = pendingStore.all()) {
            while (restored.hasNext()) {
                var entry = restored.next();
                undecoded.add(new Undecoded(entry.key, StateFormat.readPending(entry.value)));
                last = entry.key;
            }
        }
        if (!undecoded.isEmpty()) {
            log.info("task {}: {} pending events restored from the changelog", context.taskId(), undecoded.size());
        }
        changeHeld(undecoded.size());
        nextSequence = last + 1;
        context.schedule(COLLECT_INTERVAL, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.eventIn();
        long now = context.currentSystemTimeMs();
        collect();
        var meta = context.recordMetadata().orElseThrow();
        progress.read(now, meta.topic(), meta.partition());
        var raw = new InputRecord(record.key(), record.value(), new RecordHeaders(record.headers().toArray()),
                new Lineage(meta.topic(), meta.partition(), meta.offset(), record.timestamp()), now);
        byte[] value = record.value();
        if (value != null && value.length > settings.maxInputBytes()) {
            deadLetter(raw, DeadLetter.Stage.DECODE, IllegalArgumentException.class.getName(), "value of " + value.length
                    + " bytes is over the " + settings.maxInputBytes() + "-byte input limit ("
                    + BertstreamConfig.INPUT_MAX_BYTES + ")");
            return;
        }
        byte[] pending = StateFormat.writePending(raw);
        long sequence = nextSequence;
        if (!pipeline.limits().fits(SizeLimits.Kind.PENDING, longBytes(sequence), pending, null)) {
            metrics.oversized(SizeLimits.Kind.PENDING);
            deadLetter(raw, DeadLetter.Stage.DECODE, IllegalArgumentException.class.getName(), "the record cannot be held"
                    + " pending: as a pending entry it takes " + pipeline.limits().recordBytes(longBytes(sequence), pending, null)
                    + " bytes, over " + pipeline.limits().describe(SizeLimits.Kind.PENDING));
            return;
        }
        pipeline.backpressure().awaitRoom();
        nextSequence++;
        if (!undecoded.isEmpty()) {
            // An earlier event waits for the registry: this one queues behind it, so outputs keep input order.
            pendingStore.put(sequence, pending);
            undecoded.add(new Undecoded(sequence, raw));
            changeHeld(1);
            return;
        }
        admit(sequence, raw, pending);
    }

    /**
     * Decodes an event and adds it to the open micro-batch, or dead-letters (or, for a delete, may drop) it; writes it
     * to the pending store when {@code pending} is given (a new event), deletes it from there when it is disposed of
     * after being stored. False when the registry failed: the event must wait (stored), and processing pauses.
     */
    private boolean admit(long sequence, InputRecord raw, byte[] pending) {
        Decoded decoded;
        try {
            decoded = pipeline.decoder().decode(raw.source().topic(), raw.source().partition(), raw.source().offset(),
                    raw.headers(), raw.key(), raw.value());
        } catch (DecodeException e) {
            if (e.infrastructure()) {
                if (pending != null) {
                    pendingStore.put(sequence, pending);
                    undecoded.add(new Undecoded(sequence, raw));
                    changeHeld(1);
                }
                pipeline.faults().raise(Faults.Kind.REGISTRY, e, () -> decodeOnce(raw));
                return false;
            }
            lastDeleteEvent.remove(partitionOf(raw));
            if (e.reason() == DecodeException.Reason.NO_ID) { // a delete that names no id
                if (settings.deletes() == TopologySettings.Deletes.IGNORE) {
                    dropStored(sequence, pending, PipelineMetrics.DeleteAction.IGNORED);
                    return true;
                }
                metrics.delete(PipelineMetrics.DeleteAction.DEAD_LETTERED);
            }
            rejectStored(sequence, pending, raw, DeadLetter.Stage.DECODE, e.getClass().getName(),
                    e.reason() + ": " + e.getMessage());
            return true;
        } catch (RuntimeException e) {
            lastDeleteEvent.remove(partitionOf(raw));
            rejectStored(sequence, pending, raw, DeadLetter.Stage.DECODE, e.getClass().getName(), e.getMessage());
            return true;
        }
        if (decoded instanceof DecodedDelete delete) {
            return admitDelete(sequence, raw, pending, delete);
        }
        lastDeleteEvent.remove(partitionOf(raw));
        String badId = keys.refusal(decoded.id());
        if (badId != null) {
            rejectStored(sequence, pending, raw, DeadLetter.Stage.DECODE, IllegalArgumentException.class.getName(), badId);
            return true;
        }
        String text = ((DecodedText) decoded).text();
        int tokens;
        try {
            tokens = pipeline.embedder().countTokens(text);
        } catch (RuntimeException e) {
            // The model's tokenizer refuses the text (e.g. empty): the same verdict embedding would give.
            rejectStored(sequence, pending, raw, DeadLetter.Stage.EMBED, e.getClass().getName(), e.getMessage());
            return true;
        }
        var limits = settings.events();
        int chunks = pipeline.shape().chunks(tokens);
        if (tokens > limits.maxTokens() || chunks > limits.maxChunks()) {
            String over = tokens > limits.maxTokens()
                    ? tokens + " tokens, over " + BertstreamConfig.LENGTH_MAX_EVENT_TOKENS + "=" + limits.maxTokens()
                    : chunks + " chunks, over " + BertstreamConfig.LENGTH_MAX_CHUNKS + "=" + limits.maxChunks();
            rejectStored(sequence, pending, raw, DeadLetter.Stage.EMBED, IllegalArgumentException.class.getName(),
                    "the text is " + over);
            return true;
        }
        var policy = settings.batch();
        // Close the open batch first if this event would push its padded tokens over the budget.
        if (openTexts > 0 && (long) (openTexts + 1) * Math.max(openLongest, tokens) > policy.maxTokens()) {
            close(PipelineMetrics.CloseReason.TOKENS);
        }
        add(new Event(sequence, raw, decoded, tokens, pipeline.shape().cost(tokens)), pending);
        return true;
    }

    /**
     * A tombstone or a Debezium delete event: into the micro-batch (propagate), so its tombstones keep their order with
     * the id's embeddings; or dead-lettered, or dropped, as bertstream.input.deletes says. Debezium's tombstone right
     * after its delete event (same partition, same key) repeats that delete and is dropped.
     */
    private boolean admitDelete(long sequence, InputRecord raw, byte[] pending, DecodedDelete delete) {
        TopicPartition partition = partitionOf(raw);
        byte[] previousDeleteEvent = lastDeleteEvent.remove(partition);
        switch (settings.deletes()) {
            case IGNORE -> {
                dropStored(sequence, pending, PipelineMetrics.DeleteAction.IGNORED);
                return true;
            }
            case DEAD_LETTER -> {
                metrics.delete(PipelineMetrics.DeleteAction.DEAD_LETTERED);
                rejectStored(sequence, pending, raw, DeadLetter.Stage.DECODE, DecodedDelete.class.getName(),
                        delete.kind() + ": deletes id " + delete.id() + ", and " + BertstreamConfig.INPUT_DELETES
                                + "=dead-letter");
                return true;
            }
            case PROPAGATE -> {
                // carry on below
            }
        }
        if (delete.kind() == DecodedDelete.Kind.TOMBSTONE && previousDeleteEvent != null
                && Arrays.equals(previousDeleteEvent, raw.key())) {
            dropStored(sequence, pending, PipelineMetrics.DeleteAction.REPEAT);
            return true;
        }
        String badId = keys.refusal(delete.id());
        if (badId != null) {
            metrics.delete(PipelineMetrics.DeleteAction.DEAD_LETTERED);
            rejectStored(sequence, pending, raw, DeadLetter.Stage.DECODE, IllegalArgumentException.class.getName(), badId);
            return true;
        }
        if (delete.kind() == DecodedDelete.Kind.DELETE_EVENT) {
            lastDeleteEvent.put(partition, raw.key());
        }
        add(new Event(sequence, raw, delete, 0, 0), pending);
        return true;
    }

    /** Adds an admitted event to the open micro-batch (storing it first when new), closing the batch when full. */
    private void add(Event event, byte[] pending) {
        if (pending != null) {
            pendingStore.put(event.sequence, pending);
            changeHeld(1);
        }
        open.add(event);
        if (!event.isDelete()) {
            openTexts++;
            openLongest = Math.max(openLongest, event.tokens);
            openTokens += event.tokens;
        }
        var policy = settings.batch();
        if (open.size() >= policy.maxRecords()) {
            close(PipelineMetrics.CloseReason.RECORDS);
        } else if ((long) openTexts * openLongest >= policy.maxTokens()) {
            close(PipelineMetrics.CloseReason.TOKENS);
        }
    }

    /** A delete with nothing to send: counted, and deleted from the pending store if it was stored. */
    private void dropStored(long sequence, byte[] pending, PipelineMetrics.DeleteAction action) {
        metrics.delete(action);
        if (pending == null) {
            pendingStore.delete(sequence);
            changeHeld(-1);
        }
    }

    private static TopicPartition partitionOf(InputRecord raw) {
        return new TopicPartition(raw.source().topic(), raw.source().partition());
    }

    /** The registry probe: decoding the held record again; an answer of any kind but a failure of the registry will do. */
    private void decodeOnce(InputRecord raw) {
        try {
            pipeline.decoder().decode(raw.source().topic(), raw.source().partition(), raw.source().offset(),
                    raw.headers(), raw.key(), raw.value());
        } catch (DecodeException e) {
            if (e.infrastructure()) {
                throw e;
            }
        }
    }

    private void rejectStored(long sequence, byte[] pending, InputRecord raw, DeadLetter.Stage stage, String errorClass,
                              String message) {
        deadLetter(raw, stage, errorClass, message);
        if (pending == null) { // it was stored: restored, or held while the registry was down
            pendingStore.delete(sequence);
            changeHeld(-1);
        }
    }

    private void punctuate(long now) {
        pipeline.backpressure().newIteration();
        collect();
        if (!open.isEmpty() && now - open.get(0).raw.receivedAt() >= settings.batch().linger().toMillis()) {
            close(PipelineMetrics.CloseReason.LINGER);
            collect();
        }
    }

    /** Decodes what waits to be decoded, hands closed micro-batches over, emits those that are done, in order. */
    private void collect() {
        while (!undecoded.isEmpty()) {
            Undecoded next = undecoded.peek();
            if (!admit(next.sequence(), next.raw(), null)) {
                break;
            }
            undecoded.poll();
        }
        submitClosed();
        while (!closed.isEmpty() && closed.peek().done()) {
            emit(closed.poll());
        }
        progress.holding(held, oldestSequence(), context.currentSystemTimeMs());
    }

    /** The sequence number of the oldest event this task holds, or -1. */
    private long oldestSequence() {
        long oldest = Long.MAX_VALUE;
        if (!closed.isEmpty()) {
            oldest = closed.peek().events.get(0).sequence;
        }
        if (!open.isEmpty()) {
            oldest = Math.min(oldest, open.get(0).sequence);
        }
        if (!undecoded.isEmpty()) {
            oldest = Math.min(oldest, undecoded.peek().sequence());
        }
        return oldest == Long.MAX_VALUE ? -1 : oldest;
    }

    private void close(PipelineMetrics.CloseReason reason) {
        var batch = new MicroBatch(open);
        for (Event event : batch.events) {
            if (event.isDelete()) {
                continue; // nothing to compute
            }
            if (cache != null) {
                var cached = cache.get(event.text());
                Event earlier = cached.isEmpty() ? inFlight.get(event.text()) : null;
                metrics.cache(cached.isPresent() || earlier != null);
                if (cached.isPresent()) {
                    event.outcome = new EmbedOutcome.Embedded(cached.get());
                    continue;
                }
                if (earlier != null) {
                    event.sameAs = earlier;
                    continue;
                }
                inFlight.put(event.text(), event);
            }
            batch.misses.add(event);
        }
        metrics.batch(reason, batch.events.size(), settings.batch().maxRecords(), openTokens,
                (long) openTexts * openLongest);
        closed.add(batch);
        open = new ArrayList<>();
        openTexts = 0;
        openLongest = 0;
        openTokens = 0;
        submitClosed();
    }

    /** Hands closed micro-batches to the queue in order, while it has room (or is empty: a big batch must go too). */
    private void submitClosed() {
        for (MicroBatch batch : closed) {
            if (batch.job != null || batch.misses.isEmpty()) {
                continue;
            }
            if (!pipeline.queue().hasRoom() && !pipeline.queue().isEmpty()) {
                return;
            }
            batch.job = pipeline.queue().submit(batch.misses.stream().map(Event::text).toList(),
                    batch.misses.stream().mapToInt(e -> e.cost).toArray());
        }
    }

    /** Forwards a done micro-batch's outcomes and deletes its pending entries: one step, one transaction. */
    private void emit(MicroBatch batch) {
        if (!batch.misses.isEmpty()) {
            List<EmbedOutcome> computed = batch.job.outcomes();
            for (int i = 0; i < batch.misses.size(); i++) {
                Event event = batch.misses.get(i);
                event.outcome = computed.get(i);
                if (cache != null) {
                    inFlight.remove(event.text(), event);
                    if (event.outcome instanceof EmbedOutcome.Embedded embedded) {
                        cache.put(event.text(), embedded.vectors());
                    }
                }
            }
        }
        long now = context.currentSystemTimeMs();
        for (Event event : batch.events) {
            if (event.isDelete()) {
                emitDelete(event);
            } else {
                emit(event, event.resolved(), now);
            }
            pendingStore.delete(event.sequence);
        }
        changeHeld(-batch.events.size());
    }

    private void emit(Event event, EmbedOutcome outcome, long now) {
        if (outcome instanceof EmbedOutcome.Rejected rejected) {
            deadLetter(event.raw, DeadLetter.Stage.EMBED, rejected.errorClass(), rejected.reason());
            return;
        }
        List<Embedding> vectors = ((EmbedOutcome.Embedded) outcome).vectors();
        // Serialize every vector first, so an event is either fully emitted or dead-lettered, never half.
        var records = new ArrayList<Record<byte[], byte[]>>(vectors.size());
        var createdAt = Instant.ofEpochMilli(now);
        Lineage source = event.raw.source();
        DecodedText decoded = (DecodedText) event.decoded;
        int chunkKeys = 0;
        for (Embedding vector : vectors) {
            String key = OutputKeys.keyOf(decoded.id(), vector.chunk());
            if (!key.equals(decoded.id())) {
                chunkKeys++;
            }
            byte[] value;
            try {
                value = pipeline.serializer().serialize(settings.outputTopic(), EmbeddingRecords.of(key, decoded,
                        source, vector, pipeline.embedder().info(), settings.includeText(), createdAt));
            } catch (RuntimeException e) {
                if (registryFailure(e)) {
                    // Not the data's fault: fail the thread (bounded replacement) rather than dead-letter good data.
                    throw new IllegalStateException("cannot write outputs: the schema registry failed: " + e.getMessage(), e);
                }
                deadLetter(event.raw, DeadLetter.Stage.SERIALIZE, e.getClass().getName(), e.getMessage());
                return;
            }
            byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
            Headers headers = DeadLetter.lineageHeaders(source);
            if (!pipeline.limits().fits(SizeLimits.Kind.OUTPUT, keyBytes, value, headers)) {
                metrics.oversized(SizeLimits.Kind.OUTPUT);
                deadLetter(event.raw, DeadLetter.Stage.SERIALIZE, IllegalArgumentException.class.getName(),
                        "output record " + key + " takes " + pipeline.limits().recordBytes(keyBytes, value, headers)
                                + " bytes (key + value + headers), over " + pipeline.limits().describe(SizeLimits.Kind.OUTPUT));
                return;
            }
            records.add(new Record<>(keyBytes, value, source.timestamp(), headers));
        }
        for (var record : records) {
            context.forward(record, OUTPUT_SINK);
            metrics.recordOut(source.timestamp(), now);
        }
        if (chunkCounts != null) {
            recordChunkKeys(decoded.id(), chunkKeys, source);
        }
    }

    /**
     * Chunk mode: remembers how many chunk keys the id now has, and tombstones those it had beyond them (a text
     * re-embedded with fewer chunks). Without an entry an id has one chunk key, id#0: only ids with more are kept.
     */
    private void recordChunkKeys(String id, int chunkKeys, Lineage source) {
        Bytes storeKey = Bytes.wrap(id.getBytes(StandardCharsets.UTF_8));
        int before = chunkKeysOf(storeKey);
        for (int index = chunkKeys; index < before; index++) {
            tombstone(OutputKeys.chunkKey(id, index), source);
        }
        metrics.tombstonesOut(PipelineMetrics.TombstoneCause.FEWER_CHUNKS, Math.max(0, before - chunkKeys));
        if (chunkKeys > 1 && chunkKeys != before) {
            chunkCounts.put(storeKey, StateFormat.writeChunkCount(chunkKeys));
        } else if (chunkKeys <= 1 && before > 1) {
            chunkCounts.delete(storeKey);
        }
    }

    private int chunkKeysOf(Bytes storeKey) {
        byte[] stored = chunkCounts.get(storeKey);
        return stored == null ? 1 : StateFormat.readChunkCount(stored);
    }

    /** A delete: a tombstone for the id and, in chunk mode, for each of its chunk keys. */
    private void emitDelete(Event event) {
        String id = event.decoded.id();
        Lineage source = event.raw.source();
        int sent = 1;
        tombstone(id, source);
        if (chunkCounts != null) {
            Bytes storeKey = Bytes.wrap(id.getBytes(StandardCharsets.UTF_8));
            int chunkKeys = chunkKeysOf(storeKey);
            for (int index = 0; index < chunkKeys; index++) {
                tombstone(OutputKeys.chunkKey(id, index), source);
            }
            sent += chunkKeys;
            if (chunkKeys > 1) {
                chunkCounts.delete(storeKey);
            }
        }
        metrics.tombstonesOut(PipelineMetrics.TombstoneCause.DELETE, sent);
        metrics.delete(PipelineMetrics.DeleteAction.PROPAGATED);
    }

    /**
     * An output tombstone: the key, a null value (a delete for compaction and for Connect sinks in every output
     * format), the input's lineage headers. Never over a size limit: no larger than an output record with a key of
     * the longest id allowed, which start-up checked fits.
     */
    private void tombstone(String key, Lineage source) {
        context.forward(new Record<>(key.getBytes(StandardCharsets.UTF_8), null, source.timestamp(),
                DeadLetter.lineageHeaders(source)), OUTPUT_SINK);
    }

    private static boolean registryFailure(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof RegistryException r && r.infrastructure()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The task moves, stops or is revived (Kafka Streams may call {@link #init} again on this instance): its
     * pending events stay in the store for whoever owns the task next.
     */
    @Override
    public void close() {
        closed.forEach(batch -> {
            if (batch.job != null) {
                pipeline.queue().cancel(batch.job);
            }
        });
        closed.clear();
        open = new ArrayList<>();
        openTexts = 0;
        openLongest = 0;
        openTokens = 0;
        undecoded.clear();
        inFlight.clear();
        lastDeleteEvent.clear();
        changeHeld(-held);
        if (progress != null) {
            pipeline.progress().deactivate(progress);
        }
    }

    private void changeHeld(int delta) {
        held += delta;
        metrics.pendingChanged(delta);
    }

    private void deadLetter(InputRecord raw, DeadLetter.Stage stage, String errorClass, String message) {
        Headers headers = DeadLetter.headers(stage, errorClass, message, raw.source());
        DeadLetter.Fitted fitted = DeadLetter.fit(raw.key(), raw.value(), headers, pipeline.limits());
        context.forward(new Record<>(fitted.key(), fitted.value(), raw.source().timestamp(), fitted.headers()),
                DEAD_LETTER_SINK);
        metrics.deadLettered(stage);
        log.debug("dead-lettered {}-{}@{} at {}: {}", raw.source().topic(), raw.source().partition(),
                raw.source().offset(), stage.label(), message);
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }
}
