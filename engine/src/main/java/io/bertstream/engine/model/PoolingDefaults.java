package io.bertstream.engine.model;

/**
 * The model's own extraction defaults: from sentence-transformers' modules.json and
 * 1_Pooling/config.json when present, from the built-in registry, or the documented fallback.
 *
 * @param layer     hidden-state index (0 = embedding output, -1 = last)
 * @param pooling   pooling name as the extraction layer spells it (cls, mean, max, mean-max, sep, pooler, none)
 * @param normalize whether sentence vectors are L2-normalised
 * @param source    where these defaults came from, for `inspect` and docs
 */
public record PoolingDefaults(int layer, String pooling, boolean normalize, String source) {

    /** Fallback for a plain BERT checkpoint with no pooling config: mean of the last layer, not normalised. */
    public static PoolingDefaults fallback() {
        return new PoolingDefaults(-1, "mean", false, "fallback");
    }
}
