package io.bertstream.extract;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Extraction on the real all-MiniLM-L6-v2 (6 layers, 384 dims) through the engine on ONNX Runtime. */
class ExtractorMiniLmTest {

    static EmbeddingEngine engine;

    static final List<String> TEXTS = List.of("The cat sits on the mat.", "Stock markets fell sharply on Monday.",
            "An unbelievably long-winded explanation of tokenization.");

    @BeforeAll
    static void open() {
        engine = EmbeddingEngine.open(TestModels.minilm(), EngineOptions.defaults().withBackend(Backend.ONNXRUNTIME));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    static List<Embedding> embed(ExtractionSpec spec, String text) {
        EmbedOutcome out = new Extractor(engine, spec).embedAll(List.of(text)).get(0);
        return assertInstanceOf(EmbedOutcome.Embedded.class, out, out.toString()).vectors();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void defaultsAreTheSentenceTransformersEmbeddingAsLangchain4jComputesIt() {
        Extractor extractor = new Extractor(engine, ExtractionSpec.modelDefaults());
        ModelInfo info = extractor.info();
        assertEquals("-1", info.layers());
        assertEquals("mean", info.pooling());
        assertTrue(info.normalized());
        assertEquals("l2", info.postProcessing());
        assertEquals(384, info.dims());
        List<EmbedOutcome> out = extractor.embedAll(TEXTS);
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        for (int t = 0; t < TEXTS.size(); t++) {
            float[] v = ((EmbedOutcome.Embedded) out.get(t)).vectors().get(0).vector();
            float[] expected = reference.embed(TEXTS.get(t)).content().vector();
            assertEquals(1.0, dot(v, expected), 1e-5, "text " + t);
        }
    }

    @Test
    void concatOfTheLastFourLayersIsTheFourSingleLayerVectorsSideBySide() {
        String text = TEXTS.get(1);
        float[] concat = embed(ExtractionSpec.modelDefaults().withNormalize(false).withLayers(LayerSpec.parse("-4..-1", "concat")), text)
                .get(0).vector();
        assertEquals(4 * 384, concat.length);
        for (int i = 0; i < 4; i++) {
            float[] single = embed(ExtractionSpec.modelDefaults().withNormalize(false).withLayers(LayerSpec.single(3 + i)), text)
                    .get(0).vector();
            assertArrayEquals(single, Arrays.copyOfRange(concat, 384 * i, 384 * (i + 1)), 1e-5f);
        }
        // CLS of layer 2 differs from the mean of layer 2: the pooling really changes
        float[] cls = embed(ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(2)).withPooling(Pooling.CLS), text).get(0).vector();
        float[] mean = embed(ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(2)), text).get(0).vector();
        assertTrue(dot(cls, mean) < 0.99, "cls . mean = " + dot(cls, mean));
    }

    @Test
    void badRequestsOnTheRealModelSayWhatIsValid() {
        assertFalse(TestModels.minilm().weights().hasPooler(), "the ONNX export carries no pooler");
        String pooler = assertThrows(IllegalArgumentException.class,
                () -> new Extractor(engine, ExtractionSpec.modelDefaults().withPooling(Pooling.POOLER))).getMessage();
        assertTrue(pooler.contains("valid poolings"), pooler);
        String layer = assertThrows(IllegalArgumentException.class,
                () -> new Extractor(engine, ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(7)))).getMessage();
        assertTrue(layer.contains("valid are 0..6"), layer);
        assertThrows(IllegalArgumentException.class, () -> new Extractor(engine, ExtractionSpec.modelDefaults().withTruncateDims(385)));
        List<EmbedOutcome> out = new Extractor(engine, ExtractionSpec.modelDefaults()).embedAll(List.of("fine", "   ", "also fine"));
        assertInstanceOf(EmbedOutcome.Embedded.class, out.get(0));
        assertInstanceOf(EmbedOutcome.Rejected.class, out.get(1));
        assertInstanceOf(EmbedOutcome.Embedded.class, out.get(2));
    }

    @Test
    void tokenAndWordVectorsCarryOffsetsIntoTheOriginalText() {
        String text = TEXTS.get(2);
        Embedding tokens = embed(ExtractionSpec.modelDefaults().withPooling(Pooling.NONE), text).get(0);
        assertEquals("[CLS]", tokens.tokens().get(0).token());
        for (Embedding.TokenVector t : tokens.tokens().subList(1, tokens.tokens().size() - 1)) {
            assertEquals(t.token().replace("##", ""), text.substring(t.start(), t.end()).toLowerCase(), t.toString());
            assertEquals(384, t.vector().length);
        }
        assertTrue(tokens.tokens().size() > text.split(" ").length + 2, "some words split into WordPieces");
        Embedding words = embed(ExtractionSpec.modelDefaults().withPooling(Pooling.NONE).withWordVectors(true), text).get(0);
        assertEquals(Arrays.asList(text.split(" ")), words.tokens().stream().map(Embedding.TokenVector::token).toList());
    }

    @Test
    void longTextsAreChunkedOrTruncatedAndSayWhich() {
        String text = String.join(" ", java.util.Collections.nCopies(12, "The quick brown fox jumps over the lazy dog."));
        List<Embedding> chunks = embed(ExtractionSpec.modelDefaults()
                .withLength(new LengthPolicy(LengthPolicy.Mode.CHUNK, 32, 8)).withDocumentVector(true), text);
        Embedding doc = chunks.get(chunks.size() - 1);
        int count = chunks.size() - 1;
        assertTrue(count >= 4, count + " chunks");
        for (int c = 0; c < count; c++) {
            Embedding.ChunkInfo info = chunks.get(c).chunk();
            assertEquals(c, info.index());
            assertEquals(count, info.count());
            assertTrue(chunks.get(c).tokenCount() <= 32);
            assertFalse(chunks.get(c).truncated());
            if (c > 0) {
                // windows overlap: each starts before the previous one ends
                assertTrue(info.charStart() < chunks.get(c - 1).chunk().charEnd(), chunks.get(c - 1).chunk() + " " + info);
            }
        }
        assertEquals(0, chunks.get(0).chunk().charStart());
        assertEquals(text.length(), chunks.get(count - 1).chunk().charEnd());
        assertEquals(new Embedding.ChunkInfo(count, count, 0, text.length()), doc.chunk());
        assertEquals(1.0, dot(doc.vector(), doc.vector()), 1e-5);
        Embedding head = embed(ExtractionSpec.modelDefaults().withLength(new LengthPolicy(LengthPolicy.Mode.HEAD, 16, 0)), text).get(0);
        assertTrue(head.truncated());
        assertEquals(16, head.tokenCount());
        assertFalse(embed(ExtractionSpec.modelDefaults(), text).get(0).truncated());
    }

    @Test
    void compactVectorsStayCloseToTheFloats() {
        String text = TEXTS.get(0);
        float[] full = embed(ExtractionSpec.modelDefaults(), text).get(0).vector();
        float[] matryoshka = embed(ExtractionSpec.modelDefaults().withTruncateDims(128), text).get(0).vector();
        assertEquals(128, matryoshka.length);
        assertEquals(1.0, dot(matryoshka, matryoshka), 1e-5);
        Embedding int8 = embed(ExtractionSpec.modelDefaults().withQuantize(Quantizer.Kind.INT8), text).get(0);
        float[] back = Quantizer.dequantize(int8.vector(), int8.quantization(), 384);
        for (int i = 0; i < 384; i++) {
            assertEquals(full[i], back[i], int8.quantization().scale() / 2 + 1e-6);
        }
        Embedding binary = embed(ExtractionSpec.modelDefaults().withQuantize(Quantizer.Kind.BINARY), text).get(0);
        assertEquals(48, binary.vector().length);
        float[] bits = Quantizer.dequantize(binary.vector(), binary.quantization(), 384);
        assertTrue(dot(full, bits) / Math.sqrt(dot(bits, bits)) > 0.7, "binary keeps the direction");
    }

    @Test
    void pcaFittedOnTheSampleRoundTripsThroughItsFileAndIsRefusedElsewhere(@TempDir Path dir) throws Exception {
        List<String> sample = ProbeData.sampleLabels().stream().map(ProbeData.LabelledText::text).collect(Collectors.toList());
        Extractor plain = new Extractor(engine, ExtractionSpec.modelDefaults());
        List<float[]> vectors = plain.embedAll(sample).stream()
                .map(o -> ((EmbedOutcome.Embedded) o).vectors().get(0).vector()).toList();
        PcaProjection pca = PcaProjection.fit(vectors, 32, plain.info().name(), plain.info().sha256(), plain.plan().extractionKey());
        Path file = dir.resolve("pca.json");
        pca.write(file);
        PcaProjection read = PcaProjection.read(file);
        Extractor projected = new Extractor(engine, ExtractionSpec.modelDefaults().withPca(read));
        assertEquals(32, projected.info().dims());
        assertEquals("l2,pca:32#" + pca.fingerprint(), projected.info().postProcessing());
        float[] v = ((EmbedOutcome.Embedded) projected.embedAll(List.of(sample.get(0))).get(0)).vectors().get(0).vector();
        float[] expected = PostProcessing.l2(pca.project(vectors.get(0)));
        assertArrayEquals(expected, v, 1e-5f);
        // 32 of 384 axes keep most of what tells 60 topic sentences apart
        assertTrue(pca.explainedShare() > 0.5, "explained share " + pca.explainedShare());
        double cos = dot(vectors.get(0), pca.reconstruct(pca.project(vectors.get(0))));
        assertTrue(cos > 0.8, "reconstruction cosine " + cos);
        String other = assertThrows(IllegalArgumentException.class, () -> new Extractor(engine,
                ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(-2)).withPca(read))).getMessage();
        assertTrue(other.contains("fitted for extraction"), other);
        PcaProjection forOtherModel = new PcaProjection(read.format(), read.version(), "bge-small", "0123", read.fittedFor(),
                read.sampleSize(), read.mean(), read.components(), read.explainedVariance(), read.totalVariance());
        assertThrows(IllegalArgumentException.class, () -> new Extractor(engine, ExtractionSpec.modelDefaults().withPca(forOtherModel)));
    }
}
