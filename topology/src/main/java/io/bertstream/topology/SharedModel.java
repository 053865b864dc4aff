package io.bertstream.topology;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.EngineStats;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.Quantizer;
import io.bertstream.extract.TextEmbedder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

import static io.bertstream.topology.BertstreamConfig.*;

/**
 * The one model of a process: weights loaded once, shared by every stream thread and task through its
 * thread-safe {@link #embedder()}. Closing it releases the engine's native memory.
 */
public final class SharedModel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SharedModel.class);

    private final EmbeddingEngine engine;
    private final TextEmbedder embedder;

    private SharedModel(EmbeddingEngine engine, TextEmbedder embedder) {
        this.engine = engine;
        this.embedder = embedder;
    }

    /**
     * Loads the model and extraction named by the config's bertstream.model / layers / pooling / ... keys.
     *
     * @throws IllegalArgumentException when a setting is invalid or does not fit the model (the message says what is
     *                                  valid), or the weights are not the ones bertstream.model.sha256 pins
     */
    public static SharedModel open(BertstreamConfig config) {
        EmbeddingEngine engine = EmbeddingEngine.open(config.require(MODEL), engineOptions(config));
        try {
            checkPinned(config.optional(MODEL_SHA256), config.require(MODEL), engine.model().identity().sha256());
            return new SharedModel(engine, new Extractor(engine, extractionSpec(config)));
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** bertstream.model.sha256 pins the weights: any others (a changed file, another build) refuse to start. */
    static void checkPinned(String pinned, String model, String sha256) {
        if (pinned != null && !pinned.equalsIgnoreCase(sha256)) {
            throw new IllegalArgumentException(MODEL_SHA256 + " pins the weights to sha256 " + pinned.toLowerCase(java.util.Locale.ROOT)
                    + ", but model " + model + " has sha256 " + sha256 + ": refusing to start (if these weights are"
                    + " the ones you want, pin their sha256)");
        }
    }

    /**
     * How the model runs, from bertstream.backend / device / threads / engine.max-pass-tokens: the one place engine
     * options are made from settings, for the service and the command line's options alike.
     */
    public static EngineOptions engineOptions(BertstreamConfig config) {
        return new EngineOptions(config.getEnum(BACKEND, Backend.class), config.getEnum(DEVICE, Device.class),
                Precision.FP32, config.getInt(ENGINE_MAX_PASS_TOKENS), config.getInt(THREADS));
    }

    /**
     * What to extract, from bertstream.layers / pooling / normalize / truncate-dims / quantize / length.* /
     * document-vector: the one place an {@link ExtractionSpec} is made from settings, for the service and the
     * command line's options alike (so `embed` and `run` with the same settings give the same vectors).
     */
    public static ExtractionSpec extractionSpec(BertstreamConfig config) {
        var spec = ExtractionSpec.modelDefaults()
                .withTruncateDims(config.getInt(TRUNCATE_DIMS))
                .withDocumentVector(config.getBoolean(DOCUMENT_VECTOR))
                .withLength(new LengthPolicy(lengthMode(config), config.getInt(LENGTH_MAX_TOKENS),
                        config.getInt(LENGTH_OVERLAP)));
        if (config.optional(LAYERS) != null) {
            spec = spec.withLayers(LayerSpec.parse(config.optional(LAYERS), config.optional(LAYERS_COMBINE)));
        }
        if (config.optional(POOLING) != null) {
            spec = spec.withPooling(Pooling.parse(config.optional(POOLING)));
        }
        if (config.optional(NORMALIZE) != null) {
            spec = spec.withNormalize(Boolean.parseBoolean(config.optional(NORMALIZE)));
        }
        if (config.optional(QUANTIZE) != null) {
            spec = spec.withQuantize(Quantizer.Kind.parse(config.optional(QUANTIZE)));
        }
        return spec;
    }

    /** Through the engine's one parser of length modes (head, tail, head-tail, chunk; truncate-* accepted too). */
    private static LengthPolicy.Mode lengthMode(BertstreamConfig config) {
        try {
            return LengthPolicy.Mode.parse(config.require(LENGTH_MODE));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(LENGTH_MODE + ": " + e.getMessage(), e);
        }
    }

    /** Wraps an embedder someone else owns (tests, the demo): closing this leaves it open. */
    public static SharedModel of(TextEmbedder embedder) {
        return new SharedModel(null, embedder);
    }

    public TextEmbedder embedder() {
        return embedder;
    }

    /** The engine's forward-pass counters; null when this wraps an embedder someone else owns. */
    public EngineStats engineStats() {
        return engine == null ? null : engine.stats();
    }

    /** First calls are slow (allocator, thread pools): pay that before reporting healthy. */
    public void warmUp() {
        long started = System.nanoTime();
        var texts = List.of("warm-up", "A somewhat longer sentence to warm up the model with a second length.",
                "and a third one of yet another length, so that a batch of several rows runs too");
        for (int round = 0; round < 3; round++) {
            embedder.embedAll(texts);
        }
        log.info("model {} warmed up in {} ms", embedder.info().name(), (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void close() {
        if (engine != null) {
            embedder.close();
            engine.close();
        }
    }
}
