package io.bertstream.extract.head;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.model.TestModels;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.ProbeData;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heads on the real all-MiniLM-L6-v2 through ONNX Runtime: fitted on the shipped samples (60 texts in 5 topics; 95
 * news sentences tagged PER, ORG, LOC), cross-validated, written, read back and applied from the same pass as the
 * vectors. The thresholds sit below the figures measured on this model (docs/extraction.md, Downstream heads), and far
 * above chance (0.2 for 5 topics).
 */
class HeadMiniLmTest {

    static EmbeddingEngine engine;
    static HeadFitter.Fitted topics;
    static HeadFitter.Fitted entities;

    /** Middle layers tell topics and names apart better than MiniLM's last (trained for similarity). */
    static final ExtractionSpec TOPIC_FEATURES = ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(3)).withPooling(Pooling.MEAN);
    static final ExtractionSpec ENTITY_FEATURES = ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(3));

    /** Cross-validated accuracy of the topic head at least; measured: see the docs. */
    static final double ACCURACY = 0.9;
    /** Cross-validated entity F1 (exact spans, micro-averaged) at least; measured: see the docs. */
    static final double ENTITY_F1 = 0.7;

    @BeforeAll
    static void fit() {
        engine = EmbeddingEngine.open(TestModels.minilm(), EngineOptions.defaults().withBackend(Backend.ONNXRUNTIME));
        topics = HeadFitter.classes(engine, TOPIC_FEATURES, ProbeData.sampleLabels(), HeadFitter.Options.defaults());
        entities = HeadFitter.entities(engine, ENTITY_FEATURES, EntityData.sample(), HeadFitter.Options.defaults());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void aTopicHeadCrossValidatesWellAboveChance() {
        var report = topics.report();
        System.out.print(report.format());
        assertEquals(60, report.examples());
        assertEquals(List.of("sports", "cooking", "technology", "weather", "finance"),
                report.scores().stream().map(HeadFitter.Score::label).toList());
        assertTrue(report.summary().get("accuracy") >= ACCURACY, report.format());
        assertTrue(report.summary().get("macro_f1") >= ACCURACY - 0.05, report.format());
        report.scores().forEach(s -> assertEquals(12, s.support(), s.label()));
        assertEquals(report.summary(), topics.head().crossValidation(), "the file keeps what cross-validation measured");
    }

    @Test
    void anEntityHeadFindsExactSpansOfEveryType() {
        var report = entities.report();
        System.out.print(report.format());
        assertEquals(List.of("PER", "ORG", "LOC"), report.scores().stream().map(HeadFitter.Score::label).toList());
        assertEquals(List.of(49, 58, 79), report.scores().stream().map(HeadFitter.Score::support).toList());
        assertTrue(report.summary().get("f1") >= ENTITY_F1, report.format());
        report.scores().forEach(s -> assertTrue(s.f1() >= ENTITY_F1 - 0.15, s.toString()));
        assertEquals(List.of("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"), entities.head().labels());
    }

    @Test
    void theHeadFileIsBoundToModelExtractionAndPrefix(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("topics.head.json");
        topics.head().write(file);
        HeadFile read = HeadFile.read(file);
        assertEquals(topics.head().fingerprint(), read.fingerprint());
        assertEquals("3", read.layers());
        assertEquals("layers 3; pooling mean; post-processing l2", read.fittedFor());

        HeadFile otherModel = new HeadFile(read.format(), read.version(), read.kind(), "bge-small", "0".repeat(64), read.layers(),
                read.pooling(), read.normalize(), read.prefix(), read.fittedFor(), read.labels(), read.mean(), read.scale(),
                read.weights(), read.bias(), read.examples(), read.crossValidation());
        var refused = assertThrows(IllegalArgumentException.class,
                () -> new Extractor(engine, ExtractionSpec.modelDefaults(), otherModel, 0));
        assertTrue(refused.getMessage().startsWith("head file was fitted for model bge-small (sha256 0000"), refused.getMessage());

        HeadFile otherExtraction = new HeadFile(read.format(), read.version(), read.kind(), read.modelName(), read.modelSha256(),
                read.layers(), read.pooling(), read.normalize(), read.prefix(), "layers 3; pooling max; post-processing l2",
                read.labels(), read.mean(), read.scale(), read.weights(), read.bias(), read.examples(), read.crossValidation());
        refused = assertThrows(IllegalArgumentException.class,
                () -> new Extractor(engine, ExtractionSpec.modelDefaults(), otherExtraction, 0));
        assertTrue(refused.getMessage().contains("fitted for extraction 'layers 3; pooling max"), refused.getMessage());

        refused = assertThrows(IllegalArgumentException.class,
                () -> new Extractor(engine, ExtractionSpec.modelDefaults().withPrefix("query:"), read, 0));
        assertEquals("head file was fitted on texts with prefix '', not 'query:': use the same prefix or refit", refused.getMessage());
        Extractor headed = new Extractor(engine, ExtractionSpec.modelDefaults(), read, 0);
        refused = assertThrows(IllegalArgumentException.class, () -> headed.embedAll(List.of("a text"), List.of("query:")));
        assertTrue(refused.getMessage().contains("cannot label texts with another"), refused.getMessage());

        Files.writeString(dir.resolve("pca.json"), "{\"format\":\"bertstream-pca\",\"version\":1}");
        var notAHead = assertThrows(IOException.class, () -> HeadFile.read(dir.resolve("pca.json")));
        assertTrue(notAHead.getMessage().contains("not a bertstream-head version 1 file"), notAHead.getMessage());
    }

    static final List<String> NEW_TEXTS = List.of(
            "The striker scored twice in the second half and the home crowd went wild.",
            "Whisk the eggs with sugar, then fold in the flour and bake for twenty minutes.",
            "The new phone ships with a faster chip and a bigger battery.",
            "Expect heavy rain and strong winds along the coast tomorrow night.",
            "The central bank raised interest rates to slow inflation.");

    @Test
    void theHeadLabelsFromTheSamePassAsTheDefaultVector() {
        // Output: the model's own vector (layer 6, mean, l2); head: layer 3, mean. One pass must serve both.
        Extractor plain = new Extractor(engine, ExtractionSpec.modelDefaults());
        Extractor headed = new Extractor(engine, ExtractionSpec.modelDefaults(), topics.head(), 0);
        long before = engine.stats().passes();
        List<EmbedOutcome> without = plain.embedAll(NEW_TEXTS);
        long plainPasses = engine.stats().passes() - before;
        before = engine.stats().passes();
        List<EmbedOutcome> with = headed.embedAll(NEW_TEXTS);
        long headedPasses = engine.stats().passes() - before;
        assertTrue(plainPasses >= 1);
        assertEquals(plainPasses, headedPasses, "the head adds no forward pass");
        assertEquals(topics.head().fingerprint(), headed.info().head());

        List<String> expected = List.of("sports", "cooking", "technology", "weather", "finance");
        for (int i = 0; i < NEW_TEXTS.size(); i++) {
            Embedding a = assertInstanceOf(EmbedOutcome.Embedded.class, without.get(i)).vectors().get(0);
            Embedding b = assertInstanceOf(EmbedOutcome.Embedded.class, with.get(i)).vectors().get(0);
            assertEquals(a.vector().length, b.vector().length);
            for (int d = 0; d < a.vector().length; d++) {
                assertEquals(a.vector()[d], b.vector()[d], 1e-6, "the vector is unchanged by the head");
            }
            assertNull(a.labels());
            assertEquals(5, b.labels().size());
            assertEquals(1.0, b.labels().stream().mapToDouble(Embedding.Label::score).sum(), 1e-5);
            for (int k = 1; k < 5; k++) {
                assertTrue(b.labels().get(k - 1).score() >= b.labels().get(k).score(), "most likely first");
            }
            assertEquals(expected.get(i), b.labels().get(0).label(), NEW_TEXTS.get(i) + " -> " + b.labels());
        }
        Extractor top2 = new Extractor(engine, ExtractionSpec.modelDefaults(), topics.head(), 2);
        Embedding two = ((EmbedOutcome.Embedded) top2.embedAll(NEW_TEXTS.subList(0, 1)).get(0)).vectors().get(0);
        assertEquals(2, two.labels().size());
        assertEquals("sports", two.labels().get(0).label());
    }

    @Test
    void entitiesPointIntoTheOriginalTextIncludingNonAscii() {
        String text = "Jürgen Klopp met officials of Borussia Dortmund in Düsseldorf.";
        Extractor headed = new Extractor(engine, ExtractionSpec.modelDefaults(), entities.head(), 0);
        long before = engine.stats().passes();
        Embedding e = ((EmbedOutcome.Embedded) headed.embedAll(List.of(text)).get(0)).vectors().get(0);
        assertEquals(1, engine.stats().passes() - before, "vector and entities from one pass");
        assertEquals(384, e.vector().length);
        assertFalse(e.entities().isEmpty(), "entities: " + e.entities());
        for (Embedding.Entity entity : e.entities()) {
            assertEquals(text.substring(entity.start(), entity.end()), entity.text());
            assertTrue(entity.score() > 0 && entity.score() <= 1);
        }
        List<String> found = e.entities().stream().map(x -> x.type() + ":" + x.text()).toList();
        assertTrue(found.contains("LOC:Düsseldorf"), found.toString());
        assertTrue(found.contains("PER:Jürgen Klopp"), found.toString());
    }

    @Test
    void aPrefixChangesTheVectorAndTheIdentityButNotTheOffsets() {
        String text = "Zürich's café opened at dawn.";
        ExtractionSpec words = ExtractionSpec.modelDefaults().withPooling(Pooling.NONE).withWordVectors(true);
        Extractor plain = new Extractor(engine, words);
        Extractor query = new Extractor(engine, words.withPrefix("query: "));
        assertEquals("", plain.info().prefix());
        assertEquals("query:", query.info().prefix(), "stripped: 'query:' and 'query: ' are one prefix");
        assertNotEquals(plain.info(), query.info());
        assertEquals(plain.countTokens(text) + 2, query.countTokens(text), "'query' and ':' are two more tokens");
        List<Embedding.TokenVector> a = ((EmbedOutcome.Embedded) plain.embedAll(List.of(text)).get(0)).vectors().get(0).tokens();
        List<Embedding.TokenVector> b = ((EmbedOutcome.Embedded) query.embedAll(List.of(text)).get(0)).vectors().get(0).tokens();
        assertEquals(a.stream().map(t -> t.token() + "@" + t.start() + "-" + t.end()).toList(),
                b.stream().map(t -> t.token() + "@" + t.start() + "-" + t.end()).toList(), "the same words at the same offsets");
        for (Embedding.TokenVector t : b) {
            assertEquals(text.substring(t.start(), t.end()), t.token());
        }
        float[] pooledPlain = ((EmbedOutcome.Embedded) new Extractor(engine, ExtractionSpec.modelDefaults())
                .embedAll(List.of(text)).get(0)).vectors().get(0).vector();
        float[] pooledQuery = ((EmbedOutcome.Embedded) new Extractor(engine, ExtractionSpec.modelDefaults().withPrefix("query:"))
                .embedAll(List.of(text)).get(0)).vectors().get(0).vector();
        double cos = 0;
        for (int d = 0; d < pooledPlain.length; d++) {
            cos += pooledPlain[d] * pooledQuery[d];
        }
        assertTrue(cos < 0.999, "the prefix changes the vector: cosine " + cos);
        // per text: the same text with and without a prefix in one call
        List<EmbedOutcome> mixed = plain.embedAll(List.of(text, text), List.of("", "query:"));
        assertEquals(b.size(), ((EmbedOutcome.Embedded) mixed.get(1)).vectors().get(0).tokens().size());
        assertInstanceOf(EmbedOutcome.Rejected.class, query.embedAll(List.of("   ")).get(0), "a blank text stays refused");
    }
}
