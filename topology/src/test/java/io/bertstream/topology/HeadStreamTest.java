package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.ProbeData;
import io.bertstream.extract.head.EntityData;
import io.bertstream.extract.head.HeadFile;
import io.bertstream.extract.head.HeadFitter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heads and prefixes in the stream, on the real KRaft broker with the real MiniLM model: records carry the labels
 * (or entities) the extractor gives the same texts directly (what {@code embed --head} prints), a tagging-only
 * output keeps sinks working with an empty vector, a head for other weights refuses to start, and per-topic
 * prefixes give vectors and identities of their own.
 */
class HeadStreamTest {

    @TempDir
    static Path heads;
    @TempDir
    Path stateDir;

    static EmbeddingEngine engine;
    static Path topicsHead;
    static Path entitiesHead;

    static final List<String> TEXTS = List.of(
            "The striker scored twice in the second half and the home crowd went wild.",
            "Whisk the eggs with sugar, then fold in the flour and bake for twenty minutes.",
            "The new phone ships with a faster chip and a bigger battery.",
            "Expect heavy rain and strong winds along the coast tomorrow night.",
            "The central bank raised interest rates to slow inflation.",
            "Jürgen Klopp met officials of Borussia Dortmund in Düsseldorf.",
            "Shares of Siemens rose in Frankfurt after the results.");

    @BeforeAll
    static void fitHeads() throws Exception {
        engine = EmbeddingEngine.open("minilm", EngineOptions.defaults().withThreads(1));
        var topics = HeadFitter.classes(engine, ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(3)).withPooling(Pooling.MEAN),
                ProbeData.sampleLabels(), HeadFitter.Options.defaults());
        topicsHead = heads.resolve("topics.head.json");
        topics.head().write(topicsHead);
        var entities = HeadFitter.entities(engine, ExtractionSpec.modelDefaults().withLayers(LayerSpec.single(3)),
                EntityData.sample(), HeadFitter.Options.defaults());
        entitiesHead = heads.resolve("entities.head.json");
        entities.head().write(entitiesHead);
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static void sendTexts(String topic, String idPrefix) {
        try (var producer = producer(1 << 20)) {
            for (int i = 0; i < TEXTS.size(); i++) {
                send(producer, topic, idPrefix + i, json(idPrefix + i, TEXTS.get(i)).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static Map<String, EmbeddingRecord> byId(List<ConsumerRecord<String, byte[]>> records) {
        var out = new HashMap<String, EmbeddingRecord>();
        records.forEach(r -> out.put(r.key(), decode(r)));
        return out;
    }

    @Test
    void recordsCarryTheLabelsTheExtractorGivesTheSameTextsAndTheMetersCountThem() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(2, input, output, dlq);
        sendTexts(input, "t");
        var settings = new HashMap<>(config(unique("app"), input, output, dlq, stateDir));
        settings.put(BertstreamConfig.HEAD, topicsHead.toString());
        var config = BertstreamConfig.of(settings, Map.of());
        Map<String, EmbeddingRecord> records;
        String metrics;
        try (var app = BertstreamApp.owning(config, SharedModel.open(config)).start()) {
            records = byId(readCommitted(output, Duration.ofSeconds(120), r -> r.size() >= TEXTS.size()));
            metrics = app.registry().scrape();
        }
        assertEquals(TEXTS.size(), records.size());
        HeadFile head = HeadFile.read(topicsHead);
        // what `embed --head` computes: the same extractor on the same texts
        var direct = new Extractor(engine, SharedModel.extractionSpec(config), head, 0).embedAll(TEXTS);
        var topLabels = new HashMap<String, Integer>();
        for (int i = 0; i < TEXTS.size(); i++) {
            EmbeddingRecord record = records.get("t" + i);
            Embedding expected = ((EmbedOutcome.Embedded) direct.get(i)).vectors().get(0);
            assertEquals(384, record.getDims());
            assertEquals(head.fingerprint(), record.getModel().getHead());
            assertNull(record.getModel().getPrefix());
            assertNull(record.getEntities());
            assertEquals(expected.labels().stream().map(Embedding.Label::label).toList(),
                    record.getLabels().stream().map(io.bertstream.avro.Label::getLabel).toList(), "labels of t" + i);
            for (int k = 0; k < expected.labels().size(); k++) {
                assertEquals(expected.labels().get(k).score(), record.getLabels().get(k).getScore(), 1e-5);
            }
            assertEquals(1.0, record.getLabels().stream().mapToDouble(io.bertstream.avro.Label::getScore).sum(), 1e-5);
            assertArrayEquals(expected.vector(), MicroBatchTopologyTest.toArray(record.getVector()), 1e-5f);
            topLabels.merge(record.getLabels().get(0).getLabel(), 1, Integer::sum);
        }
        assertEquals(List.of("sports", "cooking", "technology", "weather", "finance"),
                TEXTS.subList(0, 5).stream().map(t -> records.get("t" + TEXTS.indexOf(t)).getLabels().get(0).getLabel()).toList());
        for (String label : head.labels()) {
            String line = "bertstream_head_labels_total{label=\"" + label + "\"} " + topLabels.getOrDefault(label, 0) + ".0";
            assertTrue(metrics.contains(line), line + " in\n" + metrics.lines().filter(l -> l.contains("head")).collect(Collectors.joining("\n")));
        }
    }

    @Test
    void aTaggingOnlyOutputCarriesEntitiesAndAnEmptyVector() throws Exception {
        String input = unique("texts");
        String output = unique("entities");
        String dlq = unique("dlq");
        broker().createTopics(1, input, output, dlq);
        sendTexts(input, "n");
        var settings = new HashMap<>(config(unique("app"), input, output, dlq, stateDir));
        settings.put(BertstreamConfig.HEAD, entitiesHead.toString());
        settings.put(BertstreamConfig.OUTPUT_VECTOR, "false");
        var config = BertstreamConfig.of(settings, Map.of());
        Map<String, EmbeddingRecord> records;
        String metrics;
        try (var app = BertstreamApp.owning(config, SharedModel.open(config)).start()) {
            records = byId(readCommitted(output, Duration.ofSeconds(120), r -> r.size() >= TEXTS.size()));
            metrics = app.registry().scrape();
        }
        assertEquals(TEXTS.size(), records.size());
        var direct = new Extractor(engine, SharedModel.extractionSpec(config), HeadFile.read(entitiesHead), 0).embedAll(TEXTS);
        int found = 0;
        for (int i = 0; i < TEXTS.size(); i++) {
            EmbeddingRecord record = records.get("n" + i);
            assertEquals(0, record.getDims(), "tagging only: no vector");
            assertTrue(record.getVector().isEmpty());
            assertNull(record.getLabels());
            List<Embedding.Entity> expected = ((EmbedOutcome.Embedded) direct.get(i)).vectors().get(0).entities();
            assertEquals(expected.stream().map(e -> e.type() + ":" + e.start() + "-" + e.end()).toList(),
                    record.getEntities().stream().map(e -> e.getType() + ":" + e.getStart() + "-" + e.getEnd()).toList());
            for (var e : record.getEntities()) {
                assertEquals(TEXTS.get(i).substring(e.getStart(), e.getEnd()), e.getText());
                found++;
            }
        }
        var klopp = records.get("n5").getEntities().stream().map(e -> e.getType() + ":" + e.getText()).toList();
        assertTrue(klopp.contains("LOC:Düsseldorf") && klopp.contains("PER:Jürgen Klopp"), klopp.toString());
        assertTrue(metrics.contains("bertstream_head_entities_total{type=\"LOC\"}"), "entity meters by type");
        assertTrue(found > 0);
    }

    @Test
    void aHeadForOtherWeightsOrAnotherPrefixRefusesToStart() throws Exception {
        HeadFile head = HeadFile.read(topicsHead);
        Path other = heads.resolve("other-model.head.json");
        new HeadFile(head.format(), head.version(), head.kind(), "bge-small", "ab".repeat(32), head.layers(), head.pooling(),
                head.normalize(), head.prefix(), head.fittedFor(), head.labels(), head.mean(), head.scale(), head.weights(),
                head.bias(), head.examples(), head.crossValidation()).write(other);
        var settings = new HashMap<>(config(unique("app"), "in", "out", "dlq", stateDir));
        settings.put(BertstreamConfig.HEAD, other.toString());
        var refused = assertThrows(IllegalArgumentException.class, () -> SharedModel.open(BertstreamConfig.of(settings, Map.of())));
        assertTrue(refused.getMessage().startsWith("head file was fitted for model bge-small (sha256 abab"), refused.getMessage());

        settings.put(BertstreamConfig.HEAD, topicsHead.toString());
        settings.put(BertstreamConfig.INPUT_PREFIX + ".in", "query:");
        refused = assertThrows(IllegalArgumentException.class, () -> SharedModel.open(BertstreamConfig.of(settings, Map.of())));
        assertTrue(refused.getMessage().contains("was fitted on texts with prefix '', but an input topic has prefix 'query:'"),
                refused.getMessage());

        settings.remove(BertstreamConfig.INPUT_PREFIX + ".in");
        settings.put(BertstreamConfig.INPUT_PREFIX + ".elsewhere", "query:");
        refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(settings, Map.of()));
        assertTrue(refused.getMessage().contains("bertstream.input.prefix.elsewhere is refused: elsewhere is not one of"),
                refused.getMessage());

        settings.remove(BertstreamConfig.INPUT_PREFIX + ".elsewhere");
        settings.remove(BertstreamConfig.HEAD);
        settings.put(BertstreamConfig.OUTPUT_VECTOR, "false");
        refused = assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(settings, Map.of()));
        assertTrue(refused.getMessage().contains("bertstream.output.vector=false is refused"), refused.getMessage());
    }

    @Test
    void eachTopicEmbedsWithItsOwnPrefixRecordedInTheModelIdentity() throws Exception {
        String queries = unique("queries");
        String passages = unique("passages");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(1, queries, passages, output, dlq);
        sendTexts(queries, "q");
        sendTexts(passages, "p");
        var settings = new HashMap<>(config(unique("app"), queries + "," + passages, output, dlq, stateDir));
        settings.put(BertstreamConfig.INPUT_PREFIX, "passage:");
        settings.put(BertstreamConfig.INPUT_PREFIX + "." + queries, "query:");
        settings.put(BertstreamConfig.CACHE_MAX_ENTRIES, "100"); // the same text under two prefixes must not share an entry
        var config = BertstreamConfig.of(settings, Map.of());
        Map<String, EmbeddingRecord> records;
        try (var app = BertstreamApp.owning(config, SharedModel.open(config)).start()) {
            records = byId(readCommitted(output, Duration.ofSeconds(120), r -> r.size() >= 2 * TEXTS.size()));
        }
        assertEquals(2 * TEXTS.size(), records.size());
        Extractor extractor = new Extractor(engine, ExtractionSpec.modelDefaults());
        var asQueries = extractor.embedAll(TEXTS, TEXTS.stream().map(t -> "query:").toList());
        var asPassages = extractor.embedAll(TEXTS, TEXTS.stream().map(t -> "passage:").toList());
        for (int i = 0; i < TEXTS.size(); i++) {
            EmbeddingRecord q = records.get("q" + i);
            EmbeddingRecord p = records.get("p" + i);
            assertEquals("query:", q.getModel().getPrefix());
            assertEquals("passage:", p.getModel().getPrefix());
            assertFalse(q.getModel().equals(p.getModel()), "different prefixes, different identities");
            assertArrayEquals(((EmbedOutcome.Embedded) asQueries.get(i)).vectors().get(0).vector(),
                    MicroBatchTopologyTest.toArray(q.getVector()), 1e-5f);
            assertArrayEquals(((EmbedOutcome.Embedded) asPassages.get(i)).vectors().get(0).vector(),
                    MicroBatchTopologyTest.toArray(p.getVector()), 1e-5f);
        }
        assertTrue(Files.isDirectory(heads));
    }
}
