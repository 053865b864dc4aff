package io.bertstream.engine;

import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.TestEngines;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failure contract of {@link io.bertstream.extract.TextEmbedder}: bad data is a Rejected outcome, a fault
 * of the encoder is an exception for the whole call. The encoders are test doubles (a fault must be injected; the
 * model's numbers do not matter here); the tokenizer and the pass planning are MiniLM's real ones.
 */
class EngineFaultsTest {

    private static final LoadedModel MINILM = TestModels.minilm();

    /** Zeros for every row, or the given fault; counts its passes. */
    private static final class DoubleEncoder implements Encoder {
        final AtomicInteger passes = new AtomicInteger();
        final RuntimeException fault;

        DoubleEncoder(RuntimeException fault) {
            this.fault = fault;
        }

        @Override
        public String name() {
            return "double";
        }

        @Override
        public int numLayers() {
            return 6;
        }

        @Override
        public HiddenStates forward(TokenPass pass, int[] layers) {
            passes.incrementAndGet();
            if (fault != null) {
                throw fault;
            }
            float[][] data = new float[layers.length][pass.size() * pass.seqLen() * 384];
            for (float[] layer : data) {
                java.util.Arrays.fill(layer, 1f);
            }
            return new HiddenStates(pass.size(), pass.seqLen(), 384, layers.clone(), data);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFaultOfTheEncoderFailsTheWholeCallNotOneText() {
        IllegalStateException fault = new IllegalStateException("native fault in the forward pass");
        try (EmbeddingEngine engine = EmbeddingEngine.open(MINILM, TestEngines.on(Backend.AUTO),
                () -> new DoubleEncoder(fault))) {
            Extractor extractor = new Extractor(engine, ExtractionSpec.modelDefaults());
            assertSame(fault, assertThrows(IllegalStateException.class, () -> extractor.embedAll(List.of("fine", ""))));
            assertSame(fault, assertThrows(IllegalStateException.class,
                    () -> engine.encodeAll(List.of("fine"), new int[] {6}, LengthPolicy.truncateHead())));
        }
    }

    @Test
    void badTextsAreRejectedWithoutAPassAndTheOthersEmbedded() {
        DoubleEncoder encoder = new DoubleEncoder(null);
        try (EmbeddingEngine engine = EmbeddingEngine.open(MINILM, TestEngines.on(Backend.AUTO), () -> encoder)) {
            Extractor extractor = new Extractor(engine, ExtractionSpec.modelDefaults());
            List<EmbedOutcome> out = extractor.embedAll(List.of("", "  \t", "\u0000"));
            assertEquals(0, encoder.passes.get(), "nothing to run");
            out.forEach(o -> assertEquals("InvalidTextException", assertInstanceOf(EmbedOutcome.Rejected.class, o).errorClass()));
            List<EmbedOutcome> mixed = extractor.embedAll(List.of("fine", "", "also fine"));
            assertInstanceOf(EmbedOutcome.Embedded.class, mixed.get(0));
            assertInstanceOf(EmbedOutcome.Rejected.class, mixed.get(1));
            assertInstanceOf(EmbedOutcome.Embedded.class, mixed.get(2));
        }
    }

    @Test
    void aSettingThatLeavesNoRoomForTextIsAnExceptionNotARejection() {
        try (EmbeddingEngine engine = EmbeddingEngine.open(MINILM, TestEngines.on(Backend.AUTO),
                () -> new DoubleEncoder(null))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.encodeAll(
                    List.of("fine"), new int[] {6}, new LengthPolicy(LengthPolicy.Mode.HEAD, 2, 0)));
            assertTrue(e.getMessage().contains("leaves no room"), e.getMessage());
        }
    }
}
