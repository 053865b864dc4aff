package io.bertstream.topology;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.EngineStats;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
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

    /** Texts the warm-up embeds; every one must come out as a vector, or the settings reject every text. */
    static final List<String> WARM_UP_TEXTS = List.of("warm-up",
            "A somewhat longer sentence to warm up the model with a second length.",
            "and a third one of yet another length, so that a batch of several rows runs too");

    private final EmbeddingEngine engine;
    private final TextEmbedder embedder;
    private final SegmentShape shape;
    private final boolean owned;
    private volatile String keepOpen;
    private boolean closed;

    private SharedModel(EmbeddingEngine engine, TextEmbedder embedder, SegmentShape shape, boolean owned) {
        this.engine = engine;
        this.embedder = embedder;
        this.shape = shape;
        this.owned = owned;
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
            var extractor = new Extractor(engine, extractionSpec(config));
            return new SharedModel(engine, extractor,
                    SegmentShape.of(extractor.plan().lengthPolicy(), engine.model().maxTokens()), true);
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
     * How the model runs, from bertstream.backend / device / precision / threads / engine.max-pass-tokens: the one place engine
     * options are made from settings, for the service and the command line's options alike.
     */
    public static EngineOptions engineOptions(BertstreamConfig config) {
        return new EngineOptions(config.getEnum(BACKEND, Backend.class), config.getEnum(DEVICE, Device.class),
                config.getEnum(PRECISION, Precision.class), config.getInt(ENGINE_MAX_PASS_TOKENS), config.getInt(THREADS));
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
        return of(embedder, new SegmentShape(LengthPolicy.Mode.HEAD, 512, 0));
    }

    /** Wraps an embedder someone else owns, which cuts texts as {@code shape} says. */
    public static SharedModel of(TextEmbedder embedder, SegmentShape shape) {
        return new SharedModel(null, embedder, shape, false);
    }

    /** Takes ownership of an embedder (a test double standing in for a model): closing this closes it. */
    static SharedModel owning(TextEmbedder embedder, SegmentShape shape) {
        return new SharedModel(null, embedder, shape, true);
    }

    public TextEmbedder embedder() {
        return embedder;
    }

    /** How the model cuts texts: what the stream needs to know of an event's work in advance. */
    public SegmentShape shape() {
        return shape;
    }

    /**
     * Something may still run on the model (a stream thread or the inference worker did not stop in time): closing
     * it would free native memory under a running pass, so {@link #close()} leaves it to the OS at exit instead.
     */
    void keepOpen(String reason) {
        keepOpen = reason;
    }

    /** The engine's forward-pass counters; null when this wraps an embedder someone else owns. */
    public EngineStats engineStats() {
        return engine == null ? null : engine.stats();
    }

    /**
     * First calls are slow (allocator, thread pools): pay that before reporting healthy. Also proves that the
     * settings let ordinary texts through: a warm-up text that is rejected, or a model that throws on them, refuses
     * the start (settings such as {@code bertstream.length.max-tokens=2} would otherwise dead-letter every event).
     *
     * @return the warm-up texts' vectors
     * @throws IllegalArgumentException when the settings reject ordinary texts
     */
    public List<EmbedOutcome.Embedded> warmUp() {
        long started = System.nanoTime();
        List<EmbedOutcome> outcomes = List.of();
        for (int round = 0; round < 3; round++) {
            try {
                outcomes = embedder.embedAll(WARM_UP_TEXTS);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the model cannot embed ordinary texts with these settings: "
                        + e.getMessage(), e);
            }
        }
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) instanceof EmbedOutcome.Rejected rejected) {
                throw new IllegalArgumentException("the settings reject ordinary texts: the warm-up text \""
                        + WARM_UP_TEXTS.get(i) + "\" was rejected (" + rejected.reason() + "); check bertstream.length.*");
            }
        }
        log.info("model {} warmed up in {} ms", embedder.info().name(), (System.nanoTime() - started) / 1_000_000);
        return outcomes.stream().map(EmbedOutcome.Embedded.class::cast).toList();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (keepOpen != null) {
            log.warn("not closing the model: {}; its native memory is freed when the process exits", keepOpen);
            return;
        }
        if (owned) {
            embedder.close();
            if (engine != null) {
                engine.close();
            }
        }
    }
}
