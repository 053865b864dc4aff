package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.SampleTexts;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.LayerSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hidden states are extracted pass by pass: a call holds about one pass of them, not the whole call's, and the
 * vectors are exactly those of extracting after the whole call. Real MiniLM on ONNX Runtime; the engine counts
 * the bytes of hidden states it holds (copied out of a pass, waiting for the rest of their text).
 */
class PassByPassTest {

    private static final int PASS_TOKENS = 1024;

    @Test
    void aCallHoldsAboutAPassOfHiddenStatesAndTheVectorsAreUnchanged() {
        LoadedModel minilm = TestModels.minilm();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            texts.add("Event " + i + ": " + "a few words of text ".repeat(1 + i % 12));
        }
        texts.add(150, SampleTexts.LONG); // ~780 tokens: four chunks of 256 with overlap 64
        int[] all = IntStream.rangeClosed(0, 6).toArray();
        LengthPolicy chunks = new LengthPolicy(LengthPolicy.Mode.CHUNK, 256, 64);
        ExtractionSpec spec = ExtractionSpec.modelDefaults().withLayers(LayerSpec.parse("all", "mean")).withLength(chunks);
        try (EmbeddingEngine engine = EmbeddingEngine.open(minilm,
                TestEngines.on(Backend.ONNXRUNTIME).withPassLimits(PASS_TOKENS, 64))) {
            Extractor extractor = new Extractor(engine, spec);
            List<EmbedOutcome> streamed = extractor.embedAll(texts);
            long peak = engine.peakHeldStateBytes();

            // the same extraction after the whole call, as the engine did before: every hidden state kept
            List<EncodedText> whole = engine.encodeAll(texts, all, chunks);
            long total = whole.stream().flatMap(t -> t.segments().stream())
                    .mapToLong(s -> (long) s.segment().length() * s.hiddenSize() * all.length * Float.BYTES).sum();
            long chunked = whole.get(150).segments().stream()
                    .mapToLong(s -> (long) s.segment().length() * s.hiddenSize() * all.length * Float.BYTES).sum();
            long onePass = (long) PASS_TOKENS * 384 * all.length * Float.BYTES;
            assertTrue(peak > 0 && peak <= onePass + chunked, "held " + peak + " bytes at most, one pass is "
                    + onePass + ", the chunked text " + chunked);
            assertTrue(peak < total / 10, "held " + peak + " of " + total + " bytes");

            for (int t = 0; t < texts.size(); t++) {
                EmbedOutcome.Embedded expected = (EmbedOutcome.Embedded) extractor.plan().extract(whole.get(t));
                EmbedOutcome.Embedded actual = (EmbedOutcome.Embedded) streamed.get(t);
                assertEquals(expected.vectors().size(), actual.vectors().size());
                for (int v = 0; v < expected.vectors().size(); v++) {
                    assertArrayEquals(expected.vectors().get(v).vector(), actual.vectors().get(v).vector(), "text " + t);
                }
            }
            assertEquals(4, ((EmbedOutcome.Embedded) streamed.get(150)).vectors().size(), "one vector per chunk");
        }
    }
}
