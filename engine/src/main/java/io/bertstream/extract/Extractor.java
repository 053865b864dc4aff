package io.bertstream.extract;

import io.bertstream.engine.EmbeddingEngine;

import java.util.List;

/**
 * The {@link TextEmbedder} on an {@link EmbeddingEngine}: one engine call per micro-batch for exactly the layers
 * the extraction needs; each text is pooled and post-processed as soon as its last segment is through its pass,
 * so only vectors outlive a pass, never a whole call's hidden states. The engine belongs to the caller (one per process,
 * shared by extractors); closing an extractor leaves it open.
 */
public final class Extractor implements TextEmbedder {

    private final EmbeddingEngine engine;
    private final ExtractionPlan plan;
    private final ModelInfo info;

    /** Resolves the spec against the engine's model; an IllegalArgumentException says what is valid when it does not fit. */
    public Extractor(EmbeddingEngine engine, ExtractionSpec spec) {
        this.engine = engine;
        this.plan = ExtractionPlan.resolve(spec, engine.model());
        this.info = plan.info(engine.encoder().name());
    }

    public ExtractionPlan plan() {
        return plan;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public int countTokens(String text) {
        return engine.countTokens(text);
    }

    @Override
    public List<EmbedOutcome> embedAll(List<String> texts) {
        if (texts.isEmpty()) {
            return List.of();
        }
        return engine.encodeAll(texts, plan.layers(), plan.lengthPolicy(), plan::extract);
    }

    @Override
    public void close() {
        // Nothing of its own to release: vectors live on the heap, the engine is the caller's.
    }
}
