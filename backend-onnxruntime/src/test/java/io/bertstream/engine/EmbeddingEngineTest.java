package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.backend.onnx.OnnxRuntimeEncoder;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch API on the real MiniLM with ONNX Runtime: the backend contract ({@link EngineContract}), and how the
 * engine plans passes and treats bad texts, watched over this backend.
 */
class EmbeddingEngineTest extends EngineContract {

    @Override
    protected Backend backend() {
        return Backend.ONNXRUNTIME;
    }

    @Test
    void smallTokenBudgetsSplitIntoManyPassesWithTheSameResults() {
        EngineOptions tight = TestEngines.on(Backend.ONNXRUNTIME).withPassLimits(600, 3);
        List<String> texts = SampleTexts.VARIED;
        try (EmbeddingEngine small = EmbeddingEngine.open(minilm, tight)) {
            List<EncodedText> a = small.encodeAll(texts, last(), LengthPolicy.truncateHead());
            List<EncodedText> b = engine.encodeAll(texts, last(), LengthPolicy.truncateHead());
            for (int t = 0; t < texts.size(); t++) {
                assertClose(b.get(t).segments().get(0).hidden()[0], a.get(t).segments().get(0).hidden()[0],
                        "text " + t);
            }
        }
    }

    /** Watches the forward passes the engine makes over a real encoder. */
    @Test
    void batchesAreSortedKeepToTheTokenBudgetAndRowCapAndPadLittle() {
        List<TokenPass> passes = new ArrayList<>();
        EngineOptions options = TestEngines.on(Backend.ONNXRUNTIME).withPassLimits(1024, 4);
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
            for (TokenPass pass : passes) {
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

    private static Encoder recording(Encoder real, List<TokenPass> passes) {
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
            public HiddenStates forward(TokenPass batch, int[] layers) {
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
        List<EncodedText> out = engine.encodeAll(
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
        List<EncodedText> out = engine.encodeAll(List.of(SampleTexts.LONG, "short"),
                last(), new LengthPolicy(LengthPolicy.Mode.CHUNK, 256, 64));
        List<EncodedSegment> chunks = out.get(0).segments();
        int inner = engine.countTokens(SampleTexts.LONG) - 2;
        assertEquals(1 + (inner - 254 + 189) / 190, chunks.size());
        for (int c = 0; c < chunks.size(); c++) {
            assertEquals(c, chunks.get(c).segment().chunkIndex());
            assertEquals(chunks.get(c).segment().length() * 384, chunks.get(c).hidden()[0].length);
            assertFalse(chunks.get(c).segment().truncated());
        }
        assertEquals(1, out.get(1).segments().size());
    }

    @Test
    void autoPicksOnnxRuntimeOnTheCpuForAModelWithAGraph() {
        try (EmbeddingEngine auto = EmbeddingEngine.open(minilm, TestEngines.on(Backend.AUTO))) {
            assertEquals("onnxruntime-cpu", auto.encoder().name());
        }
    }

    @Test
    void wrongRequestsAreRefusedClearly() {
        IllegalArgumentException onnxGpu = assertThrows(IllegalArgumentException.class, () -> EmbeddingEngine.open(
                minilm, new EngineOptions(Backend.ONNXRUNTIME, Device.GPU, Precision.FP32, 8192, 1)));
        assertTrue(onnxGpu.getMessage().contains("fp32 on the CPU only"), onnxGpu.getMessage());
    }
}
