package io.bertstream.engine;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every backend must do through the engine's batch API, on the real MiniLM. Each backend module runs it
 * with its own backend (a subclass naming {@link #backend()}); the engine core has no runtime to run it with.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class EngineContract {

    protected LoadedModel minilm;
    protected EmbeddingEngine engine;

    /** The backend under test. */
    protected abstract Backend backend();

    @BeforeAll
    void openEngine() {
        minilm = TestModels.minilm();
        engine = EmbeddingEngine.open(minilm, TestEngines.on(backend()));
    }

    @AfterAll
    void closeEngine() {
        engine.close();
    }

    protected int[] last() {
        return new int[] {minilm.config().numHiddenLayers()};
    }

    /** langchain4j runs the same ONNX file its own way: its own tokenizer call, batching and pooling. */
    @Test
    void meanPooledNormalisedLastLayerEqualsLangchain4j() {
        List<String> texts = SampleTexts.VARIED.subList(0, SampleTexts.VARIED.size() - 1); // langchain4j splits >510
        List<EncodedText> encoded = engine.encodeAll(texts, last(), LengthPolicy.truncateHead());
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        for (int t = 0; t < texts.size(); t++) {
            EncodedSegment s = encoded.get(t).segments().get(0);
            float[] expected = reference.embed(texts.get(t)).content().vector();
            float[] actual = meanPooledNormalised(s.hidden()[0], s.segment().length(), s.hiddenSize());
            double cosine = 0;
            for (int i = 0; i < expected.length; i++) {
                cosine += expected[i] * actual[i];
            }
            assertTrue(cosine >= 0.99999, backend() + " text " + t + ": cosine " + cosine);
        }
    }

    /** Every token is real (the engine returns no padding), so the attention-mask mean is a plain mean. */
    private static float[] meanPooledNormalised(float[] tokens, int count, int hidden) {
        float[] mean = new float[hidden];
        for (int t = 0; t < count; t++) {
            for (int h = 0; h < hidden; h++) {
                mean[h] += tokens[t * hidden + h] / count;
            }
        }
        double norm = 0;
        for (float v : mean) {
            norm += v * v;
        }
        for (int h = 0; h < hidden; h++) {
            mean[h] /= (float) Math.sqrt(norm);
        }
        return mean;
    }

    @Test
    void aTextAloneAndInsideAMixedBatchGetTheSameStatesInInputOrder() {
        List<String> mixed = new ArrayList<>(SampleTexts.VARIED);
        Collections.reverse(mixed);
        mixed.add(2, mixed.get(5)); // a duplicate, to make sure order, not text, places results
        int[] layers = {3, 0, 6};
        List<EncodedText> together = engine.encodeAll(mixed, layers, LengthPolicy.truncateHead());
        assertEquals(mixed.size(), together.size());
        for (int t = 0; t < mixed.size(); t++) {
            assertEquals(mixed.get(t), together.get(t).text());
            EncodedSegment alone = engine.encodeAll(List.of(mixed.get(t)), layers, LengthPolicy.truncateHead())
                    .get(0).segments().get(0);
            EncodedSegment batched = together.get(t).segments().get(0);
            assertEquals(alone.segment().length() * 384, batched.hidden()[0].length);
            for (int i = 0; i < layers.length; i++) {
                assertEquals(layers[i], batched.layers()[i]);
                assertClose(alone.hidden()[i], batched.hidden()[i], backend() + " text " + t + " layer " + layers[i]);
            }
        }
    }

    /** Stream threads share one engine: concurrent callers must each get exactly their own texts' states. */
    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        List<List<String>> work = List.of(SampleTexts.VARIED.subList(0, 4), SampleTexts.VARIED.subList(4, 8),
                SampleTexts.VARIED.subList(2, 6));
        List<List<EncodedText>> sequential = work.stream()
                .map(texts -> engine.encodeAll(texts, last(), LengthPolicy.truncateHead())).toList();
        ExecutorService pool = Executors.newFixedThreadPool(work.size());
        try {
            List<Future<List<EncodedText>>> running = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (List<String> texts : work) {
                    running.add(pool.submit(() -> engine.encodeAll(texts, last(), LengthPolicy.truncateHead())));
                }
            }
            for (int i = 0; i < running.size(); i++) {
                List<EncodedText> expected = sequential.get(i % work.size());
                List<EncodedText> actual = running.get(i).get();
                for (int t = 0; t < expected.size(); t++) {
                    assertEquals(expected.get(t).text(), actual.get(t).text());
                    assertClose(expected.get(t).segments().get(0).hidden()[0],
                            actual.get(t).segments().get(0).hidden()[0], backend() + " call " + i + " text " + t);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void countTokensIsBeforeTruncation() {
        assertEquals(3, engine.countTokens("x"));
        assertTrue(engine.countTokens(SampleTexts.LONG) > 512);
    }

    protected static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4, what + " at " + i + ": " + expected[i] + " vs "
                    + actual[i]);
        }
    }
}
