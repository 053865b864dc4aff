package io.bertstream.topology;

import io.bertstream.extract.Embedding;
import io.bertstream.extract.ModelInfo;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Vectors already computed, keyed by sha256(text, model identity, extraction settings), so repeated texts and
 * replays skip the model. One per task, over the task's changelogged store, bounded by entries and by bytes
 * (key + encoded value), least recently used out first. Evictions are deletes in the store, so the compacted
 * changelog (and every standby copy) stays as small as the cache. The recency order lives in memory: after a
 * restore it starts again in key order.
 */
final class EmbeddingCache {

    private static final int KEY_BYTES = 32;

    private final KeyValueStore<Bytes, byte[]> store;
    private final byte[] modelIdentity;
    private final TopologySettings.Cache bounds;
    private final SizeLimits limits;
    private final PipelineMetrics metrics;
    /** Every key in the store with its size, least recently used first. */
    private final LinkedHashMap<Bytes, Integer> recency = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    EmbeddingCache(KeyValueStore<Bytes, byte[]> store, ModelInfo model, String extraction, TopologySettings.Cache bounds,
                   SizeLimits limits, PipelineMetrics metrics) {
        this.store = store;
        this.bounds = bounds;
        this.limits = limits;
        this.metrics = metrics;
        // Every field of ModelInfo changes the vectors, so all of them are part of the key, with the rest.
        this.modelIdentity = (model + "|" + extraction).getBytes(StandardCharsets.UTF_8);
        try (var all = store.all()) {
            all.forEachRemaining(entry -> {
                StateFormat.checkVectorsReadable(entry.value); // an unknown format fails the task here, not later
                recency.put(entry.key, KEY_BYTES + entry.value.length);
                bytes += KEY_BYTES + entry.value.length;
            });
        }
        evict(); // the bounds may have shrunk since the entries were written
    }

    Optional<List<Embedding>> get(String text) {
        Bytes key = keyOf(text);
        byte[] cached = store.get(key);
        if (cached == null) {
            return Optional.empty();
        }
        recency.get(key); // access order: now the most recent
        return Optional.of(StateFormat.readVectors(cached));
    }

    /** Caches the vectors unless the entry alone is over the cache's byte bound or the changelog's record limit. */
    void put(String text, List<Embedding> vectors) {
        Bytes key = keyOf(text);
        byte[] value = StateFormat.writeVectors(vectors);
        int size = KEY_BYTES + value.length;
        if (size > bounds.maxBytes() || !limits.fits(SizeLimits.Kind.CACHE, key.get(), value, null)) {
            metrics.oversized(SizeLimits.Kind.CACHE);
            return;
        }
        Integer previous = recency.put(key, size);
        bytes += size - (previous == null ? 0 : previous);
        store.put(key, value);
        evict();
    }

    private void evict() {
        Iterator<Map.Entry<Bytes, Integer>> eldest = recency.entrySet().iterator();
        while ((recency.size() > bounds.maxEntries() || bytes > bounds.maxBytes()) && eldest.hasNext()) {
            Map.Entry<Bytes, Integer> entry = eldest.next();
            store.delete(entry.getKey());
            bytes -= entry.getValue();
            eldest.remove();
        }
    }

    long bytes() {
        return bytes;
    }

    int entries() {
        return recency.size();
    }

    private Bytes keyOf(String text) {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            sha.update(modelIdentity);
            sha.update((byte) 0);
            sha.update(text.getBytes(StandardCharsets.UTF_8));
            return Bytes.wrap(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
