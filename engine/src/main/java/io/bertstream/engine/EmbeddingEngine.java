package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.TokenBatch;
import io.bertstream.engine.backend.onnx.OnnxRuntimeEncoder;
import io.bertstream.engine.backend.pytorch.PyTorchEncoder;
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
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The engine's batch API: texts in, tokens and hidden states out, in input order. Tokenizes with the model's
 * own tokenizer (no fixed padding), applies the length policy, sorts segments by length and splits them into
 * forward passes under the token budget so padding stays small. Thread-safe; one per process.
 */
public final class EmbeddingEngine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingEngine.class);

    private final LoadedModel model;
    private final EngineOptions options;
    private final TextSegmenter segmenter;
    private final Encoder encoder;
    private final LongAdder passes = new LongAdder();
    private final LongAdder rowsEncoded = new LongAdder();
    private final LongAdder realTokens = new LongAdder();
    private final LongAdder paddedSlots = new LongAdder();
    private final LongAdder forwardNanos = new LongAdder();

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

    public static EmbeddingEngine open(LoadedModel model, EngineOptions options) {
        return open(model, options, () -> openEncoder(model, options));
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

    /**
     * AUTO: ONNX Runtime on the CPU when the model has an ONNX graph (it ran MiniLM 2.3x faster than the NDArray
     * BERT on PyTorch there), PyTorch on a GPU or for checkpoints without a graph.
     */
    private static Encoder openEncoder(LoadedModel model, EngineOptions options) {
        Backend backend = options.backend();
        if (backend == Backend.AUTO && options.precision() != Precision.INT8) {
            boolean gpu = options.device() == Device.GPU
                    || options.device() == Device.AUTO && PyTorchEncoder.resolve(Device.AUTO).isGpu();
            backend = !gpu && model.onnxModel().isPresent() ? Backend.ONNXRUNTIME : Backend.PYTORCH;
        }
        if (options.precision() == Precision.INT8) {
            if (backend == Backend.PYTORCH || options.device() == Device.GPU) {
                throw new IllegalArgumentException("precision int8 is a mode of the ONNX Runtime backend on the CPU; "
                        + "use backend onnxruntime (or auto) with device cpu (or auto)");
            }
            if (model.onnxModel().isEmpty()) {
                throw new IllegalArgumentException("precision int8 needs an ONNX graph, and model "
                        + model.identity().name() + " has none");
            }
            backend = Backend.ONNXRUNTIME;
        }
        if (backend == Backend.PYTORCH) {
            return PyTorchEncoder.load(model, options.device(), options.precision(), options.threads());
        }
        if (options.device() == Device.GPU || options.precision() == Precision.FP16 || options.precision() == Precision.BF16) {
            throw new IllegalArgumentException("the ONNX Runtime backend runs fp32 on the CPU only (or int8: precision int8); use the "
                    + "PyTorch backend for device " + options.device() + " / precision " + options.precision());
        }
        return OnnxRuntimeEncoder.load(model, options.threads(), options.precision());
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

    /** Tokens the text has with special tokens, before any truncation; for token budgets. */
    public int countTokens(String text) {
        return segmenter.countTokens(text);
    }

    /** Encodes every text; {@code layers} are hidden-state indexes 0..N (already resolved, no negatives). */
    public List<EncodedText> encodeAll(List<String> texts, int[] layers, LengthPolicy policy) {
        for (int layer : layers) {
            if (layer < 0 || layer > encoder.numLayers()) {
                throw new IllegalArgumentException("hidden-state index " + layer + " outside 0.."
                        + encoder.numLayers());
            }
        }
        List<List<Segment>> segmentsByText = new ArrayList<>(texts.size());
        InvalidTextException[] errors = new InvalidTextException[texts.size()];
        List<Pending> pending = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            List<Segment> segments;
            try {
                segments = segmenter.segment(texts.get(t), policy);
            } catch (InvalidTextException e) {
                errors[t] = e;
                segments = List.of();
            }
            segmentsByText.add(segments);
            for (int s = 0; s < segments.size(); s++) {
                pending.add(new Pending(t, s, segments.get(s)));
            }
        }

        // Sorted by length, neighbours pad little; each text's segments find their slot again below.
        pending.sort(Comparator.comparingInt(p -> p.segment.length()));
        EncodedSegment[][] encoded = new EncodedSegment[texts.size()][];
        for (int t = 0; t < texts.size(); t++) {
            encoded[t] = new EncodedSegment[segmentsByText.get(t).size()];
        }
        int[] lengths = pending.stream().mapToInt(p -> p.segment.length()).toArray();
        int from = 0;
        for (int to : BatchPlanner.plan(lengths, options.maxBatchTokens(), options.maxBatchRows())) {
            List<Pending> rows = pending.subList(from, to);
            List<EncodedSegment> results = run(rows, layers);
            for (int r = 0; r < rows.size(); r++) {
                encoded[rows.get(r).text][rows.get(r).index] = results.get(r);
            }
            from = to;
        }

        List<EncodedText> out = new ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            out.add(errors[t] != null ? new EncodedText(texts.get(t), List.of(), errors[t])
                    : new EncodedText(texts.get(t), List.of(encoded[t]), null));
        }
        return out;
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
        HiddenStates states = encoder.forward(new TokenBatch(size, seqLen, ids, mask, types), layers);
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
            int rows = Math.min(shape[0], Math.max(1, options.maxBatchTokens() / shape[1]));
            int seqLen = Math.min(shape[1], model.maxTokens());
            long[] ids = new long[rows * seqLen];
            long[] mask = new long[rows * seqLen];
            Arrays.fill(ids, model.config().padTokenId());
            Arrays.fill(mask, 1L);
            encoder.forward(new TokenBatch(rows, seqLen, ids, mask, new long[rows * seqLen]), lastLayer);
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
