package io.bertstream.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.bertstream.engine.PassPlanner;
import io.bertstream.engine.EngineOptions;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Peer (b), the engine's own limit: ONNX Runtime's Java API on the same graph, nothing in between. Texts are
 * sorted by length and cut into passes by the engine's {@link PassPlanner} (a padded-token budget, its default
 * row cap of 64), so (c)/(b) compares the same batching; then mean-pooled and normalised.
 * Not thread-safe (one caller at a time, as in the benchmark).
 */
public final class OnnxRuntimePeer implements Subject {

    private static final int MAX_PASS_ROWS = EngineOptions.DEFAULT_MAX_PASS_ROWS;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean wantsTokenTypes;
    private final int hidden;
    private final int maxPassTokens;
    private long realTokens;
    private long paddedSlots;

    /** {@code maxPassTokens}: padded-token budget of one forward pass (rows x longest row). */
    public OnnxRuntimePeer(Path graph, int threads, int maxPassTokens) {
        this.maxPassTokens = maxPassTokens;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(graph.toString(), options);
            wantsTokenTypes = session.getInputNames().contains("token_type_ids");
            long[] outShape = ((TensorInfo) session.getOutputInfo().values().iterator().next().getInfo()).getShape();
            hidden = (int) outShape[outShape.length - 1];
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the graph", e);
        }
        tokenizer = MiniLmFiles.tokenizer();
    }

    /** One normalised mean-pooled vector per text, in input order. */
    @Override
    public List<float[]> embedAll(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        Integer[] order = IntStream.range(0, texts.size()).boxed()
                .sorted(Comparator.comparingInt(i -> encodings[i].getIds().length)).toArray(Integer[]::new);
        float[][] vectors = new float[texts.size()][];
        int[] lengths = Arrays.stream(order).mapToInt(i -> encodings[i].getIds().length).toArray();
        int start = 0;
        for (int end : PassPlanner.plan(lengths, maxPassTokens, MAX_PASS_ROWS)) {
            runBatch(Arrays.copyOfRange(order, start, end), encodings, vectors);
            start = end;
        }
        return Arrays.asList(vectors);
    }

    private void runBatch(Integer[] rows, Encoding[] encodings, float[][] vectors) {
        int seqLen = encodings[rows[rows.length - 1]].getIds().length;
        long[] ids = new long[rows.length * seqLen];
        long[] mask = new long[ids.length];
        long[] types = new long[ids.length];
        for (int r = 0; r < rows.length; r++) {
            Encoding encoding = encodings[rows[r]];
            System.arraycopy(encoding.getIds(), 0, ids, r * seqLen, encoding.getIds().length);
            System.arraycopy(encoding.getAttentionMask(), 0, mask, r * seqLen, encoding.getIds().length);
            System.arraycopy(encoding.getTypeIds(), 0, types, r * seqLen, encoding.getIds().length);
            realTokens += encoding.getIds().length;
        }
        paddedSlots += ids.length;
        long[] shape = {rows.length, seqLen};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
            if (wantsTokenTypes) {
                inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                FloatBuffer states = ((OnnxTensor) result.get(0)).getFloatBuffer();
                for (int r = 0; r < rows.length; r++) {
                    int tokens = encodings[rows[r]].getIds().length;
                    vectors[rows[r]] = Vectors.meanPoolNormalized(states, r, seqLen, hidden, tokens);
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime forward pass failed", e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** Share of the forward passes' token slots that were padding, since the last reset. */
    @Override
    public Double paddedShare() {
        return paddedSlots == 0 ? 0 : 1 - (double) realTokens / paddedSlots;
    }

    @Override
    public void resetCounters() {
        realTokens = 0;
        paddedSlots = 0;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        } finally {
            tokenizer.close();
        }
    }
}
