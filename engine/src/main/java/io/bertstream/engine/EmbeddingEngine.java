package io.bertstream.engine;

import io.bertstream.engine.backend.Backends;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.engine.text.Segment;
import io.bertstream.engine.text.TextSegmenter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The engine's batch API: texts in, tokens and hidden states out, in input order. Tokenizes with the model's
 * own tokenizer (no fixed padding), applies the length policy, sorts segments by length and splits them into
 * forward passes under the pass budget so padding stays small. Each text is handed on as soon as its last
 * segment has been through its pass, and its hidden states are dropped then: what a call holds is a pass or so
 * of hidden states, not the whole call's. Thread-safe; one per process.
 */
public final class EmbeddingEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingEngine.class);

    static {
        DjlDefaults.apply();
    }

    private final LoadedModel model;
    private final EngineOptions options;
    private final TextSegmenter segmenter;
    private final Encoder encoder;
    private final LongAdder passes = new LongAdder();
    private final LongAdder rowsEncoded = new LongAdder();
    private final LongAdder realTokens = new LongAdder();
    private final LongAdder paddedSlots = new LongAdder();
    private final LongAdder forwardNanos = new LongAdder();
    private final AtomicLong heldStateBytes = new AtomicLong();
    private final AtomicLong peakHeldStateBytes = new AtomicLong();

    private EmbeddingEngine(LoadedModel model, EngineOptions options, TextSegmenter segmenter, Encoder encoder) {
        this.model = model;
        this.options = options;
        this.segmenter = segmenter;
        this.encoder = encoder;
    }

    /** Loads a built-in model or a path (see {@link ModelLoader}) and opens it. */
    public static EmbeddingEngine open(String modelSpec, EngineOptions options) {
        return open(ModelLoader.load(modelSpec), options);
    }

    /** Opens the model on the backend {@link Backends#choose} picks (AUTO: ONNX Runtime on the CPU for a graph). */
    public static EmbeddingEngine open(LoadedModel model, EngineOptions options) {
        return open(model, options, () -> Backends.choose(model, options).open(model, options));
    }

    /** With an encoder of the caller's (a custom backend, or an instrumented one in tests); closed with the engine. */
    public static EmbeddingEngine open(LoadedModel model, EngineOptions options, Supplier<Encoder> encoderFactory) {
        TextSegmenter segmenter = TextSegmenter.forModel(model);
        try {
            Encoder encoder = encoderFactory.get();
            LOG.info("model {} ({} layers, hidden {}) runs on {}", model.identity().name(),
                    model.config().numHiddenLayers(), model.config().hiddenSize(), encoder.name());
            return new EmbeddingEngine(model, options, segmenter, encoder);
        } catch (RuntimeException e) {
            segmenter.close();
            throw e;
        }
    }

    public LoadedModel model() {
        return model;
    }

    public Encoder encoder() {
        return encoder;
    }

    /** Cumulative counters of the forward passes so far. */
    public EngineStats stats() {
        return new EngineStats(passes.sum(), rowsEncoded.sum(), realTokens.sum(), paddedSlots.sum(), forwardNanos.sum());
    }

    /**
     * The most bytes of hidden states this engine has held at once, over all calls since it opened: rows copied
     * out of their pass and waiting for the rest of their text. A pass's worth or so, whatever the call's size.
     */
    public long peakHeldStateBytes() {
        return peakHeldStateBytes.get();
    }

    /** Tokens the text has with special tokens, before any truncation; for token budgets. */
    public int countTokens(String text) {
        return segmenter.countTokens(text);
    }

    /**
     * The one check of hidden-state indexes: 0 (embedding output) to N (the last layer); the encoders trust it.
     *
     * @throws IllegalArgumentException naming the valid range
     */
    public static void checkLayers(int[] layers, int numLayers) {
        for (int layer : layers) {
            if (layer < 0 || layer > numLayers) {
                throw new IllegalArgumentException("hidden-state index " + layer + " outside 0.." + numLayers);
            }
        }
    }

    /**
     * Encodes every text and keeps every hidden state asked for: for tools and tests that look at them. A
     * service extracts as it goes instead ({@link #encodeAll(List, int[], LengthPolicy, Function)}).
     */
    public List<EncodedText> encodeAll(List<String> texts, int[] layers, LengthPolicy policy) {
        return encodeAll(texts, layers, policy, Function.identity());
    }

    /**
     * Encodes every text and hands each one to {@code extract} as soon as all its segments are through their
     * passes; the hidden states are dropped after that call, only its result is kept. {@code layers} are
     * hidden-state indexes 0..N (already resolved, no negatives).
     *
     * @return {@code extract}'s result for each text, in input order; a text the engine refuses (empty, whitespace
     *         only, no tokens) reaches {@code extract} with its {@link InvalidTextException} and no segments
     * @throws IllegalArgumentException for layers out of range or a length policy that leaves no room for text
     * @throws RuntimeException         whatever the encoder throws: a failed pass is not any one text's fault
     */
    public <R> List<R> encodeAll(List<String> texts, int[] layers, LengthPolicy policy,
                                 Function<EncodedText, R> extract) {
        checkLayers(layers, encoder.numLayers());
        int n = texts.size();
        List<R> results = new ArrayList<>(java.util.Collections.nCopies(n, null));
        EncodedSegment[][] encoded = new EncodedSegment[n][];
        int[] waiting = new int[n];
        List<Pending> pending = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            List<Segment> segments;
            try {
                segments = segmenter.segment(texts.get(t), policy);
            } catch (InvalidTextException e) {
                results.set(t, extract.apply(new EncodedText(texts.get(t), List.of(), e)));
                continue;
            }
            encoded[t] = new EncodedSegment[segments.size()];
            waiting[t] = segments.size();
            for (int s = 0; s < segments.size(); s++) {
                pending.add(new Pending(t, s, segments.get(s)));
            }
        }

        // Sorted by length, neighbours pad little; each text's segments find their slot again below.
        pending.sort(Comparator.comparingInt(p -> p.segment.length()));
        int[] lengths = pending.stream().mapToInt(p -> p.segment.length()).toArray();
        int from = 0;
        try {
            for (int to : PassPlanner.plan(lengths, options.maxPassTokens(), options.maxPassRows())) {
                List<Pending> rows = pending.subList(from, to);
                List<EncodedSegment> out = run(rows, layers);
                for (int r = 0; r < rows.size(); r++) {
                    int t = rows.get(r).text;
                    encoded[t][rows.get(r).index] = out.get(r);
                    held(bytes(out.get(r)));
                    if (--waiting[t] == 0) {
                        EncodedSegment[] done = encoded[t];
                        encoded[t] = null;
                        results.set(t, extract.apply(new EncodedText(texts.get(t), List.of(done), null)));
                        held(-Arrays.stream(done).mapToLong(EmbeddingEngine::bytes).sum());
                    }
                }
                from = to;
            }
        } finally {
            // a failed pass leaves texts half done: they are dropped with the exception
            for (EncodedSegment[] partial : encoded) {
                if (partial != null) {
                    held(-Arrays.stream(partial).filter(java.util.Objects::nonNull).mapToLong(EmbeddingEngine::bytes).sum());
                }
            }
        }
        return results;
    }

    private static long bytes(EncodedSegment s) {
        long floats = 0;
        for (float[] layer : s.hidden()) {
            floats += layer.length;
        }
        return floats * Float.BYTES;
    }

    private void held(long delta) {
        long now = heldStateBytes.addAndGet(delta);
        peakHeldStateBytes.accumulateAndGet(now, Math::max);
    }

    /** A segment waiting for its forward pass, with the text and position it belongs to. */
    private record Pending(int text, int index, Segment segment) {
    }

    /** One forward pass over rows padded to the longest; copies out only each row's real tokens. */
    private List<EncodedSegment> run(List<Pending> rows, int[] layers) {
        int size = rows.size();
        int seqLen = 0;
        for (Pending p : rows) {
            seqLen = Math.max(seqLen, p.segment.length());
        }
        long[] ids = new long[size * seqLen];
        long[] mask = new long[size * seqLen];
        long[] types = new long[size * seqLen];
        Arrays.fill(ids, model.config().padTokenId());
        for (int r = 0; r < size; r++) {
            Segment s = rows.get(r).segment;
            System.arraycopy(s.ids(), 0, ids, r * seqLen, s.length());
            System.arraycopy(s.typeIds(), 0, types, r * seqLen, s.length());
            Arrays.fill(mask, r * seqLen, r * seqLen + s.length(), 1L);
        }
        long started = System.nanoTime();
        HiddenStates states = encoder.forward(new TokenPass(size, seqLen, ids, mask, types), layers);
        forwardNanos.add(System.nanoTime() - started);
        passes.increment();
        rowsEncoded.add(size);
        paddedSlots.add((long) size * seqLen);
        for (Pending p : rows) {
            realTokens.add(p.segment.length());
        }
        int hidden = states.hidden();
        List<EncodedSegment> results = new ArrayList<>(size);
        for (int r = 0; r < size; r++) {
            Segment s = rows.get(r).segment;
            float[][] perLayer = new float[layers.length][];
            for (int i = 0; i < layers.length; i++) {
                int offset = states.offset(r, 0);
                perLayer[i] = Arrays.copyOfRange(states.data()[i], offset, offset + s.length() * hidden);
            }
            results.add(new EncodedSegment(s, layers.clone(), hidden, perLayer));
        }
        return results;
    }

    /**
     * Runs a few forward passes of typical shapes (1, 8 and 32 rows of 16 to 64 tokens) so the allocators and
     * thread pools are warm before a service reports itself healthy; the first call is otherwise ~2x slower.
     */
    public void warmUp() {
        long started = System.nanoTime();
        int[] lastLayer = {encoder.numLayers()};
        for (int[] shape : new int[][] {{1, 16}, {8, 32}, {32, 64}, {32, 64}}) {
            int rows = Math.min(shape[0], Math.max(1, options.maxPassTokens() / shape[1]));
            int seqLen = Math.min(shape[1], model.maxTokens());
            long[] ids = new long[rows * seqLen];
            long[] mask = new long[rows * seqLen];
            Arrays.fill(ids, model.config().padTokenId());
            Arrays.fill(mask, 1L);
            encoder.forward(new TokenPass(rows, seqLen, ids, mask, new long[rows * seqLen]), lastLayer);
        }
        LOG.info("{} warmed up in {} ms", encoder.name(), (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void close() {
        try {
            encoder.close();
        } finally {
            segmenter.close();
        }
    }
}
