package io.bertstream.extract;

import io.bertstream.engine.EncodedSegment;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * An {@link ExtractionSpec} resolved against one model: absolute layer indexes, pooling, post-processing, all
 * checked up front so that a bad request fails once with a clear message instead of on every text. Turns the
 * engine's hidden states into {@link Embedding}s.
 *
 * <p>Several layers are pooled one by one and the pooled vectors then combined (as bert-as-service does), so
 * {@code max} over {@code -4..-1 mean} is the mean of four per-layer maxima. Token vectors combine per token.
 */
public final class ExtractionPlan {

    private final ModelIdentity identity;
    private final LayerSpec layerSpec;
    private final int[] layers;
    private final Pooling pooling;
    private final PoolerWeights pooler;
    private final PostProcessing post;
    private final LengthPolicy length;
    private final boolean documentVector;
    private final boolean wordVectors;
    private final int hidden;
    private final int outputDims;

    private ExtractionPlan(ModelIdentity identity, LayerSpec layerSpec, int[] layers, Pooling pooling, PoolerWeights pooler,
                           PostProcessing post, LengthPolicy length, boolean documentVector, boolean wordVectors,
                           int hidden, int outputDims) {
        this.identity = identity;
        this.layerSpec = layerSpec;
        this.layers = layers;
        this.pooling = pooling;
        this.pooler = pooler;
        this.post = post;
        this.length = length;
        this.documentVector = documentVector;
        this.wordVectors = wordVectors;
        this.hidden = hidden;
        this.outputDims = outputDims;
    }

    /** Fills in the model's defaults and refuses what this model cannot do, listing what is valid. */
    public static ExtractionPlan resolve(ExtractionSpec spec, LoadedModel model) {
        PoolingDefaults defaults = model.defaults();
        int numLayers = model.config().numHiddenLayers();
        int hidden = model.config().hiddenSize();
        LayerSpec layerSpec = spec.layers() != null ? spec.layers() : LayerSpec.single(defaults.layer());
        int[] layers = layerSpec.resolve(numLayers);
        Pooling pooling = spec.pooling() != null ? spec.pooling() : Pooling.parse(defaults.pooling());
        PoolerWeights pooler = null;
        if (pooling == Pooling.POOLER) {
            pooler = PoolerWeights.of(model.weights()).orElseThrow(() -> new IllegalArgumentException(
                    "pooling 'pooler' needs the checkpoint's pooler.dense.weight and pooler.dense.bias, which "
                            + model.identity().name() + " does not have: valid poolings for it are cls, mean, max, mean-max, sep, none"));
        }
        boolean tokenLevel = pooling == Pooling.NONE;
        if (tokenLevel && spec.quantize() != null) {
            throw new IllegalArgumentException("quantisation applies to pooled vectors: use a pooling other than none, or drop the quantisation");
        }
        if (spec.wordVectors() && !tokenLevel) {
            throw new IllegalArgumentException("word vectors are token-level output: use them with pooling none");
        }
        if (spec.documentVector() && (spec.length().mode() != LengthPolicy.Mode.CHUNK || tokenLevel)) {
            throw new IllegalArgumentException("a document vector is the mean of chunk vectors: it needs long-text mode chunk and a pooling other than none");
        }
        boolean normalize = spec.normalize() != null ? spec.normalize() : defaults.normalize() && !tokenLevel;
        PostProcessing post = new PostProcessing(normalize, spec.truncateDims(), spec.pca(), spec.quantize());
        int pooledDims = tokenLevel ? hidden : pooling.dims(hidden);
        int combinedDims = layerSpec.combine() == LayerSpec.Combine.CONCAT ? layers.length * pooledDims : pooledDims;
        int outputDims = post.outputDims(combinedDims);
        ExtractionPlan plan = new ExtractionPlan(model.identity(), layerSpec, layers, pooling, pooler, post, spec.length(),
                spec.documentVector(), spec.wordVectors(), hidden, outputDims);
        if (spec.pca() != null) {
            spec.pca().checkApplicable(model.identity().sha256(), plan.extractionKey());
        }
        return plan;
    }

    /** Absolute hidden-state indexes to ask the engine for. */
    public int[] layers() {
        return layers.clone();
    }

    public LengthPolicy lengthPolicy() {
        return length;
    }

    public ModelInfo info(String backend) {
        return new ModelInfo(identity.name(), identity.sha256(), identity.format().name().toLowerCase(Locale.ROOT), backend,
                layerSpec.toString(), pooling.label(), post.normalize(), post.toString(), outputDims);
    }

    /** Layers, pooling and the post-processing before PCA: what a PCA file must have been fitted on. */
    public String extractionKey() {
        return "layers " + layerSpec + "; pooling " + pooling.label() + "; post-processing " + post.beforePca();
    }

    /**
     * The vectors of one text, or why the engine refused it ({@link io.bertstream.engine.InvalidTextException});
     * anything else thrown here is a fault of the extraction, not of the text, and propagates.
     */
    public EmbedOutcome extract(EncodedText text) {
        if (!text.ok()) {
            return new EmbedOutcome.Rejected(text.error().getClass().getSimpleName(), text.error().getMessage());
        }
        return new EmbedOutcome.Embedded(pooling == Pooling.NONE ? tokenLevel(text) : pooled(text));
    }

    private List<Embedding> pooled(EncodedText text) {
        List<Embedding> out = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (EncodedSegment s : text.segments()) {
            float[] v = poolSegment(s);
            vectors.add(v);
            PostProcessing.Processed p = post.apply(v);
            out.add(new Embedding(p.vector(), chunkInfo(s.segment()), s.segment().length(), s.segment().truncated(),
                    null, p.quantization()));
        }
        if (documentVector) {
            out.add(documentEmbedding(text.segments(), vectors));
        }
        return out;
    }

    /** The combined pooled vector of one segment, before post-processing. */
    public float[] poolSegment(EncodedSegment s) {
        int tokens = s.segment().length();
        float[][] perLayer = new float[layers.length][];
        for (int i = 0; i < layers.length; i++) {
            perLayer[i] = pooling.pool(states(s, layers[i]), tokens, hidden, pooler);
        }
        return combine(perLayer);
    }

    /** Token-weighted mean of the chunks' pooled vectors; its chunk index equals the chunk count. */
    private Embedding documentEmbedding(List<EncodedSegment> segments, List<float[]> vectors) {
        float[] doc = new float[vectors.get(0).length];
        int total = 0;
        for (int c = 0; c < vectors.size(); c++) {
            int weight = segments.get(c).segment().length();
            total += weight;
            for (int d = 0; d < doc.length; d++) {
                doc[d] += weight * vectors.get(c)[d];
            }
        }
        for (int d = 0; d < doc.length; d++) {
            doc[d] /= total;
        }
        Segment first = segments.get(0).segment();
        Segment last = segments.get(segments.size() - 1).segment();
        PostProcessing.Processed p = post.apply(doc);
        Embedding.ChunkInfo info = new Embedding.ChunkInfo(segments.size(), segments.size(), first.spanStart(), last.spanEnd());
        boolean truncated = segments.stream().anyMatch(s -> s.segment().truncated());
        return new Embedding(p.vector(), info, total, truncated, null, p.quantization());
    }

    private List<Embedding> tokenLevel(EncodedText text) {
        List<Embedding> out = new ArrayList<>();
        for (EncodedSegment s : text.segments()) {
            Segment seg = s.segment();
            List<Embedding.TokenVector> tokens = new ArrayList<>();
            if (wordVectors) {
                for (int[] w : words(seg)) {
                    float[][] pieces = IntStream.range(w[0], w[1]).mapToObj(t -> tokenVector(s, t)).toArray(float[][]::new);
                    float[] mean = scale(weightedSum(pieces, null), 1f / pieces.length);
                    int start = seg.charStart()[w[0]];
                    int end = seg.charEnd()[w[1] - 1];
                    tokens.add(new Embedding.TokenVector(text.text().substring(start, end), start, end, post.applyFloat(mean)));
                }
            } else {
                for (int t = 0; t < seg.length(); t++) {
                    tokens.add(new Embedding.TokenVector(seg.tokens()[t], seg.charStart()[t], seg.charEnd()[t],
                            post.applyFloat(tokenVector(s, t))));
                }
            }
            out.add(new Embedding(new float[0], chunkInfo(seg), seg.length(), seg.truncated(), tokens, null));
        }
        return out;
    }

    /**
     * Words as token ranges [first, end): a word is a maximal run of tokens where each one either is a "##"
     * continuation or starts exactly where the previous one ended, i.e. a whitespace-delimited word (punctuation
     * attached to a word belongs to it). Special tokens, which cover no text, belong to no word.
     */
    static List<int[]> words(Segment seg) {
        List<int[]> words = new ArrayList<>();
        int start = -1;
        for (int t = 0; t < seg.length(); t++) {
            boolean special = seg.charEnd()[t] <= seg.charStart()[t];
            boolean continues = start >= 0 && !special
                    && (seg.tokens()[t].startsWith("##") || seg.charStart()[t] == seg.charEnd()[t - 1]);
            if (start >= 0 && !continues) {
                words.add(new int[] {start, t});
                start = -1;
            }
            if (start < 0 && !special) {
                start = t;
            }
        }
        if (start >= 0) {
            words.add(new int[] {start, seg.length()});
        }
        return words;
    }

    private float[] tokenVector(EncodedSegment s, int token) {
        float[][] perLayer = new float[layers.length][];
        for (int i = 0; i < layers.length; i++) {
            perLayer[i] = Arrays.copyOfRange(states(s, layers[i]), token * hidden, (token + 1) * hidden);
        }
        return combine(perLayer);
    }

    private float[] combine(float[][] perLayer) {
        if (perLayer.length == 1) {
            return perLayer[0];
        }
        return switch (layerSpec.combine()) {
            case CONCAT -> Pooling.concat(perLayer);
            case SUM -> weightedSum(perLayer, null);
            case MEAN -> scale(weightedSum(perLayer, null), 1f / perLayer.length);
            case WEIGHTED -> weightedSum(perLayer, layerSpec.weights());
        };
    }

    private static float[] weightedSum(float[][] vectors, float[] weights) {
        float[] out = new float[vectors[0].length];
        for (int i = 0; i < vectors.length; i++) {
            float w = weights == null ? 1f : weights[i];
            for (int d = 0; d < out.length; d++) {
                out[d] += w * vectors[i][d];
            }
        }
        return out;
    }

    private static float[] scale(float[] v, float factor) {
        float[] out = new float[v.length];
        for (int d = 0; d < v.length; d++) {
            out[d] = v[d] * factor;
        }
        return out;
    }

    private static float[] states(EncodedSegment s, int layer) {
        for (int i = 0; i < s.layers().length; i++) {
            if (s.layers()[i] == layer) {
                return s.hidden()[i];
            }
        }
        throw new IllegalStateException("the engine returned layers " + Arrays.toString(s.layers()) + ", not " + layer);
    }

    private Embedding.ChunkInfo chunkInfo(Segment seg) {
        return length.mode() == LengthPolicy.Mode.CHUNK
                ? new Embedding.ChunkInfo(seg.chunkIndex(), seg.chunkCount(), seg.spanStart(), seg.spanEnd())
                : null;
    }
}
