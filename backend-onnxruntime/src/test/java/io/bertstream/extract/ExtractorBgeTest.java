package io.bertstream.extract;

import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.TestModels;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The model's own defaults differ per model: bge-small-en-v1.5 is CLS of the last layer, normalised. */
class ExtractorBgeTest {

    @Test
    void defaultsAreClsOfTheLastLayerNormalisedAsLangchain4jComputesIt() {
        try (EmbeddingEngine engine = EmbeddingEngine.open(TestModels.builtin(BuiltinModels.BGE_SMALL),
                EngineOptions.defaults().withBackend(Backend.ONNXRUNTIME))) {
            Extractor extractor = new Extractor(engine, ExtractionSpec.modelDefaults());
            assertEquals("cls", extractor.info().pooling());
            assertEquals("-1", extractor.info().layers());
            assertEquals("l2", extractor.info().postProcessing());
            assertEquals(384, extractor.info().dims());
            List<String> texts = ExtractorMiniLmTest.TEXTS;
            List<EmbedOutcome> out = extractor.embedAll(texts);
            BgeSmallEnV15EmbeddingModel reference = new BgeSmallEnV15EmbeddingModel();
            for (int t = 0; t < texts.size(); t++) {
                float[] v = ((EmbedOutcome.Embedded) out.get(t)).vectors().get(0).vector();
                float[] expected = reference.embed(texts.get(t)).content().vector();
                assertEquals(1.0, ExtractorMiniLmTest.dot(v, expected), 1e-4, "text " + t);
            }
        }
    }
}
