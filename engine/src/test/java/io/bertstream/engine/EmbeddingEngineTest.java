package io.bertstream.engine;

import ai.djl.engine.Engine;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.backend.TokenBatch;
import io.bertstream.engine.backend.onnx.OnnxRuntimeEncoder;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch API on the real MiniLM, both backends. */
class EmbeddingEngineTest {

    private static LoadedModel minilm;
    private static Map<Backend, EmbeddingEngine> engines;

    @BeforeAll
    static void open() {
        minilm = ModelLoader.load(BuiltinModels.MINILM);
        engines = Map.of(
                Backend.ONNXRUNTIME, EmbeddingEngine.open(minilm, TestEngines.on(Backend.ONNXRUNTIME)),
                Backend.PYTORCH, EmbeddingEngine.open(minilm, TestEngines.on(Backend.PYTORCH)));
    }

    @AfterAll
    static void close() {
        engines.values().forEach(EmbeddingEngine::close);
    }

    private static int[] last() {
        return new int[] {minilm.config().numHiddenLayers()};
    }

    /** langchain4j runs the same ONNX file its own way: its own tokenizer call, batching and pooling. */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ONNXRUNTIME", "PYTORCH"})
    void meanPooledNormalisedLastLayerEqualsLangchain4j(Backend backend) {
        List<String> texts = SampleTexts.VARIED.subList(0, SampleTexts.VARIED.size() - 1); // langchain4j splits >510
        List<EncodedText> encoded = engines.get(backend).encodeAll(texts, last(), LengthPolicy.truncateHead());
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        for (int t = 0; t < texts.size(); t++) {
            EncodedSegment s = encoded.get(t).segments().get(0);
            float[] expected = reference.embed(texts.get(t)).content().vector();
            float[] actual = meanPooledNormalised(s.hidden()[0], s.segment().length(), s.hiddenSize());
            double cosine = 0;
            for (int i = 0; i < expected.length; i++) {
                cosine += expected[i] * actual[i];
            }
            assertTrue(cosine >= 0.99999, backend + " text " + t + ": cosine " + cosine);
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

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ONNXRUNTIME", "PYTORCH"})
    void aTextAloneAndInsideAMixedBatchGetTheSameStatesInInputOrder(Backend backend) {
        EmbeddingEngine engine = engines.get(backend);
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
                assertClose(alone.hidden()[i], batched.hidden()[i], backend + " text " + t + " layer " + layers[i]);
            }
        }
    }

    /** Stream threads share one engine: concurrent callers must each get exactly their own texts' states. */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ONNXRUNTIME", "PYTORCH"})
    void concurrentCallersGetTheirOwnResults(Backend backend) throws Exception {
        EmbeddingEngine engine = engines.get(backend);
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
                            actual.get(t).segments().get(0).hidden()[0], backend + " call " + i + " text " + t);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void smallTokenBudgetsSplitIntoManyPassesWithTheSameResults() {
        EngineOptions tight = TestEngines.on(Backend.ONNXRUNTIME).withBatching(600, 3);
        List<String> texts = SampleTexts.VARIED;
        try (EmbeddingEngine small = EmbeddingEngine.open(minilm, tight)) {
            List<EncodedText> a = small.encodeAll(texts, last(), LengthPolicy.truncateHead());
            List<EncodedText> b = engines.get(Backend.ONNXRUNTIME)
                    .encodeAll(texts, last(), LengthPolicy.truncateHead());
            for (int t = 0; t < texts.size(); t++) {
                assertClose(b.get(t).segments().get(0).hidden()[0], a.get(t).segments().get(0).hidden()[0],
                        "text " + t);
            }
        }
    }

    /** Watches the forward passes the engine makes over a real encoder. */
    @Test
    void batchesAreSortedKeepToTheTokenBudgetAndRowCapAndPadLittle() {
        List<TokenBatch> passes = new ArrayList<>();
        EngineOptions options = TestEngines.on(Backend.ONNXRUNTIME).withBatching(1024, 4);
        List<String> texts = new ArrayList<>(SampleTexts.VARIED);
        for (int i = 1; i <= 12; i++) {
            texts.add("word ".repeat(i * 7));
        }
        try (EmbeddingEngine engine = EmbeddingEngine.open(minilm, options,
                () -> recording(OnnxRuntimeEncoder.load(minilm, 1), passes))) {
            List<EncodedText> out = engine.encodeAll(texts, last(), LengthPolicy.truncateHead());
            int realTokens = out.stream().mapToInt(e -> e.segments().get(0).segment().length()).sum();
            int seen = 0;
            int previousLongest = 0;
            for (TokenBatch pass : passes) {
                int real = (int) Arrays.stream(pass.attentionMask()).sum();
                seen += real;
                assertTrue(pass.size() <= 4, "row cap");
                assertTrue(pass.size() == 1 || pass.size() * pass.seqLen() <= 1024, "token budget");
                assertTrue(pass.seqLen() >= previousLongest, "passes go from short rows to long");
                previousLongest = pass.seqLen();
            }
            assertEquals(realTokens, seen, "every real token went through exactly one pass");
            EngineStats stats = engine.stats();
            assertEquals(passes.size(), stats.passes());
            assertEquals(realTokens, stats.realTokens());
            assertTrue(stats.paddedShare() < 0.10, "padding share " + stats.paddedShare());
            assertTrue(passes.size() >= texts.size() / 4);
        }
    }

    private static Encoder recording(Encoder real, List<TokenBatch> passes) {
        return new Encoder() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public int numLayers() {
                return real.numLayers();
            }

            @Override
            public HiddenStates forward(TokenBatch batch, int[] layers) {
                passes.add(batch);
                return real.forward(batch, layers);
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }

    @Test
    void badTextsFailAloneWithAReason() {
        List<EncodedText> out = engines.get(Backend.ONNXRUNTIME).encodeAll(
                List.of("fine", "", "   \n\t ", "also fine", "\u0000"), last(), LengthPolicy.truncateHead());
        assertTrue(out.get(0).ok());
        assertTrue(out.get(3).ok());
        assertNull(out.get(0).error());
        assertEquals("text is empty", out.get(1).error().getMessage());
        assertTrue(out.get(2).error().getMessage().contains("whitespace"));
        assertTrue(out.get(4).error().getMessage().contains("no tokens"));
        assertTrue(out.get(1).segments().isEmpty());
    }

    @Test
    void chunkedTextGetsOneEncodedSegmentPerWindow() {
        List<EncodedText> out = engines.get(Backend.ONNXRUNTIME).encodeAll(List.of(SampleTexts.LONG, "short"),
                last(), new LengthPolicy(LengthPolicy.Mode.CHUNK, 256, 64));
        List<EncodedSegment> chunks = out.get(0).segments();
        int inner = engines.get(Backend.ONNXRUNTIME).countTokens(SampleTexts.LONG) - 2;
        assertEquals(1 + (inner - 254 + 189) / 190, chunks.size());
        for (int c = 0; c < chunks.size(); c++) {
            assertEquals(c, chunks.get(c).segment().chunkIndex());
            assertEquals(chunks.get(c).segment().length() * 384, chunks.get(c).hidden()[0].length);
            assertFalse(chunks.get(c).segment().truncated());
        }
        assertEquals(1, out.get(1).segments().size());
    }

    @Test
    void countTokensIsBeforeTruncation() {
        assertEquals(3, engines.get(Backend.PYTORCH).countTokens("x"));
        assertTrue(engines.get(Backend.PYTORCH).countTokens(SampleTexts.LONG) > 512);
    }

    @Test
    void autoPicksOnnxRuntimeOnTheCpuForAModelWithAGraph() {
        try (EmbeddingEngine auto = EmbeddingEngine.open(minilm, TestEngines.on(Backend.AUTO))) {
            assertEquals("onnxruntime-cpu", auto.encoder().name());
        }
        assertEquals("pytorch-cpu", engines.get(Backend.PYTORCH).encoder().name());
    }

    @Test
    void wrongRequestsAreRefusedClearly() {
        IllegalArgumentException fp16 = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(minilm,
                new EngineOptions(Backend.PYTORCH, Device.CPU, Precision.FP16, 8192, 1)));
        assertTrue(fp16.getMessage().contains("FP16 on the CPU is refused"), fp16.getMessage());
        IllegalArgumentException onnxGpu = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(
                minilm, new EngineOptions(Backend.ONNXRUNTIME, Device.GPU, Precision.FP32, 8192, 1)));
        assertTrue(onnxGpu.getMessage().contains("fp32 on the CPU only"), onnxGpu.getMessage());
        if (Engine.getEngine("PyTorch").getGpuCount() == 0) {
            IllegalArgumentException noGpu = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(
                    minilm, new EngineOptions(Backend.PYTORCH, Device.GPU, Precision.BF16, 8192, 1)));
            assertTrue(noGpu.getMessage().contains("sees no GPU"), noGpu.getMessage());
        }
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> engines.get(Backend.PYTORCH).encodeAll(List.of("a"), new int[] {7}, LengthPolicy.truncateHead()));
        assertTrue(layer.getMessage().contains("0..6"), layer.getMessage());
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4, what + " at " + i + ": " + expected[i] + " vs "
                    + actual[i]);
        }
    }
}
