package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.TextEmbedder;
import io.bertstream.serde.DecodeException;
import io.bertstream.serde.DecodedText;
import io.bertstream.serde.TextDecoder;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Decodes events, gathers them into micro-batches, embeds each batch with the process-wide {@link TextEmbedder}
 * and emits one record per vector; whatever cannot be decoded, embedded or serialized is dead-lettered with its
 * original bytes.
 *
 * <p>Crash safety: every pending event is written to a changelogged store (key: a per-task sequence number)
 * before its input offset can be committed, and deleted only in the same step that forwards its outputs. Under
 * exactly_once_v2 store writes, outputs and offsets commit in one transaction, so after a crash the pending
 * batch comes back from the changelog ({@link #init} rebuilds it) and no event is lost or emitted twice.
 */
final class MicroBatchProcessor implements Processor<byte[], byte[], byte[], byte[]> {

    static final String PENDING_STORE = "bertstream-pending";
    static final String CACHE_STORE = "bertstream-embedding-cache";
    static final String OUTPUT_SINK = "embeddings";
    static final String DEAD_LETTER_SINK = "dead-letters";

    private static final Logger log = LoggerFactory.getLogger(MicroBatchProcessor.class);

    private final TextEmbedder embedder;
    private final TextDecoder decoder;
    private final Serializer<EmbeddingRecord> serializer;
    private final TopologySettings settings;
    private final PipelineMetrics metrics;

    private ProcessorContext<byte[], byte[]> context;
    private KeyValueStore<Long, byte[]> pendingStore;
    private EmbeddingCache cache;
    /** In-memory view of the pending store, in arrival order. */
    private final TreeMap<Long, PendingEvent> batch = new TreeMap<>();
    private long nextSequence;
    private int longestTokens;
    private long batchTokens;

    MicroBatchProcessor(TextEmbedder embedder, TextDecoder decoder, Serializer<EmbeddingRecord> serializer,
                        TopologySettings settings, PipelineMetrics metrics) {
        this.embedder = embedder;
        this.decoder = decoder;
        this.serializer = serializer;
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
        this.pendingStore = context.getStateStore(PENDING_STORE);
        if (settings.cacheMaxEntries() > 0) {
            KeyValueStore<Bytes, byte[]> cacheStore = context.getStateStore(CACHE_STORE);
            cache = new EmbeddingCache(cacheStore, embedder.info(), settings.extraction());
        }
        try (var restored = pendingStore.all()) {
            restored.forEachRemaining(entry -> add(entry.key, PendingEvent.fromBytes(entry.value)));
        }
        if (!batch.isEmpty()) {
            log.info("task {}: {} pending events restored from the changelog", context.taskId(), batch.size());
        }
        nextSequence = batch.isEmpty() ? 0 : batch.lastKey() + 1;
        // Checking four times per linger keeps the real wait within 1.25 x linger.
        long tickMillis = Math.max(1, settings.batch().linger().toMillis() / 4);
        context.schedule(Duration.ofMillis(tickMillis), PunctuationType.WALL_CLOCK_TIME, this::closeIfLingered);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        metrics.eventIn();
        var meta = context.recordMetadata().orElseThrow();
        var source = new PendingEvent.Lineage(meta.topic(), meta.partition(), meta.offset(), record.timestamp());
        DecodedText decoded;
        try {
            decoded = decode(record);
        } catch (RuntimeException e) {
            String reason = e instanceof DecodeException d ? d.reason() + ": " + d.getMessage() : e.getMessage();
            deadLetter(record.key(), record.value(), source, DeadLetter.Stage.DECODE, e.getClass().getName(), reason);
            return;
        }
        int tokens;
        try {
            tokens = embedder.countTokens(decoded.text());
        } catch (RuntimeException e) {
            // The model's tokenizer refuses the text (e.g. empty): the same verdict embedding would give.
            deadLetter(record.key(), record.value(), source, DeadLetter.Stage.EMBED, e.getClass().getName(),
                    e.getMessage());
            return;
        }
        var event = new PendingEvent(decoded.id(), decoded.text(), decoded.metadata(), tokens, record.key(),
                record.value(), source, context.currentSystemTimeMs());
        var policy = settings.batch();
        // Close the open batch first if this event would push its padded tokens over the budget.
        if (!batch.isEmpty() && (long) (batch.size() + 1) * Math.max(longestTokens, event.tokens()) > policy.maxTokens()) {
            flush(PipelineMetrics.CloseReason.TOKENS);
        }
        long sequence = nextSequence++;
        pendingStore.put(sequence, event.toBytes());
        add(sequence, event);
        if (batch.size() >= policy.maxRecords()) {
            flush(PipelineMetrics.CloseReason.RECORDS);
        } else if (paddedTokens() >= policy.maxTokens()) {
            flush(PipelineMetrics.CloseReason.TOKENS);
        }
    }

    private DecodedText decode(Record<byte[], byte[]> record) {
        var meta = context.recordMetadata().orElseThrow();
        byte[] value = record.value();
        if (value != null && value.length > settings.maxInputBytes()) {
            throw new IllegalArgumentException("value of " + value.length + " bytes is over the "
                    + settings.maxInputBytes() + "-byte input limit");
        }
        return decoder.decode(meta.topic(), meta.partition(), meta.offset(), record.headers(), record.key(), value);
    }

    private void add(long sequence, PendingEvent event) {
        batch.put(sequence, event);
        metrics.pendingChanged(1);
        longestTokens = Math.max(longestTokens, event.tokens());
        batchTokens += event.tokens();
    }

    private long paddedTokens() {
        return (long) batch.size() * longestTokens;
    }

    private void closeIfLingered(long now) {
        if (!batch.isEmpty() && now - batch.firstEntry().getValue().receivedAt() >= settings.batch().linger().toMillis()) {
            flush(PipelineMetrics.CloseReason.LINGER);
        }
    }

    private void flush(PipelineMetrics.CloseReason reason) {
        List<PendingEvent> events = new ArrayList<>(batch.values());
        long started = System.nanoTime();
        List<EmbedOutcome> outcomes = embed(events);
        metrics.batch(reason, events.size(), settings.batch().maxRecords(), batchTokens, paddedTokens(),
                System.nanoTime() - started);
        for (int i = 0; i < events.size(); i++) {
            emit(events.get(i), outcomes.get(i));
        }
        // Deleting in the same transaction as the forwards above is what makes the batch exactly-once.
        batch.keySet().forEach(pendingStore::delete);
        metrics.pendingChanged(-batch.size());
        batch.clear();
        longestTokens = 0;
        batchTokens = 0;
    }

    /** One outcome per event: from the cache where possible, the rest in one call to the embedder. */
    private List<EmbedOutcome> embed(List<PendingEvent> events) {
        var outcomes = new ArrayList<EmbedOutcome>(events.size());
        var missing = new TreeMap<Integer, String>();
        for (PendingEvent event : events) {
            var cached = cache == null ? null : cache.get(event.text()).orElse(null);
            if (cache != null) {
                metrics.cache(cached != null);
            }
            outcomes.add(cached == null ? null : new EmbedOutcome.Embedded(cached));
            if (cached == null) {
                missing.put(outcomes.size() - 1, event.text());
            }
        }
        if (missing.isEmpty()) {
            return outcomes;
        }
        List<EmbedOutcome> computed = embedGuarded(new ArrayList<>(missing.values()));
        int next = 0;
        for (Map.Entry<Integer, String> entry : missing.entrySet()) {
            EmbedOutcome outcome = computed.get(next++);
            outcomes.set(entry.getKey(), outcome);
            if (cache != null && outcome instanceof EmbedOutcome.Embedded embedded) {
                cache.put(entry.getValue(), embedded.vectors());
            }
        }
        return outcomes;
    }

    /**
     * The embedder reports bad texts as {@link EmbedOutcome.Rejected}; should it throw instead, the batch is
     * retried text by text so only the culprit is dead-lettered and the stream keeps going.
     */
    private List<EmbedOutcome> embedGuarded(List<String> texts) {
        try {
            return embedder.embedAll(texts);
        } catch (RuntimeException batchFailure) {
            if (texts.size() == 1) {
                return List.of(new EmbedOutcome.Rejected(batchFailure.getClass().getName(),
                        String.valueOf(batchFailure.getMessage())));
            }
            log.warn("a batch of {} failed ({}); embedding its texts one by one", texts.size(), batchFailure.toString());
            return texts.stream().flatMap(text -> embedGuarded(List.of(text)).stream()).toList();
        }
    }

    private void emit(PendingEvent event, EmbedOutcome outcome) {
        if (outcome instanceof EmbedOutcome.Rejected rejected) {
            deadLetter(event.rawKey(), event.rawValue(), event.source(), DeadLetter.Stage.EMBED,
                    rejected.errorClass(), rejected.reason());
            return;
        }
        List<Embedding> vectors = ((EmbedOutcome.Embedded) outcome).vectors();
        // Serialize every vector first, so an event is either fully emitted or dead-lettered, never half.
        var records = new ArrayList<Record<byte[], byte[]>>(vectors.size());
        var now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        try {
            for (Embedding vector : vectors) {
                String key = OutputKeys.keyOf(event.id(), vector.chunk());
                var output = EmbeddingRecords.of(key, event, vector, embedder.info(), settings.includeText(), now);
                byte[] value = serializer.serialize(settings.outputTopic(), output);
                if (value.length > settings.maxRecordBytes()) {
                    throw new IllegalStateException("output record of " + value.length + " bytes is over the "
                            + settings.maxRecordBytes() + "-byte record limit");
                }
                records.add(new Record<>(key.getBytes(StandardCharsets.UTF_8), value, event.source().timestamp(),
                        DeadLetter.lineageHeaders(event.source())));
            }
        } catch (RuntimeException e) {
            deadLetter(event.rawKey(), event.rawValue(), event.source(), DeadLetter.Stage.SERIALIZE,
                    e.getClass().getName(), e.getMessage());
            return;
        }
        for (var record : records) {
            context.forward(record, OUTPUT_SINK);
            metrics.recordOut(event.source().timestamp(), now.toEpochMilli());
        }
    }

    /** The task moves or stops: its pending events stay in the store, for whoever owns the task next. */
    @Override
    public void close() {
        metrics.pendingChanged(-batch.size());
        batch.clear();
    }

    private void deadLetter(byte[] key, byte[] value, PendingEvent.Lineage source, DeadLetter.Stage stage,
                            String errorClass, String message) {
        Headers headers = DeadLetter.headers(stage, errorClass, message, source);
        byte[] limited = DeadLetter.limitValue(value, settings.maxRecordBytes(), headers);
        context.forward(new Record<>(key, limited, source.timestamp(), headers), DEAD_LETTER_SINK);
        metrics.deadLettered(stage);
        log.debug("dead-lettered {}-{}@{} at {}: {}", source.topic(), source.partition(), source.offset(),
                stage.label(), message);
    }
}
