package io.bertstream.topology;

import io.bertstream.kafka.StubSchemaRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deletes and ids on the real broker, read back with read_committed: Debezium change events (inserts, an update to
 * fewer chunks, delete events followed by their tombstones, a tombstone alone, an insert after a delete) and the
 * chunk counts restored from their changelog by a fresh instance; each delete policy, each output format (a null
 * value is a tombstone in all of them); ids at 0.5×, 0.9×, 1× and 1.5× of the limit. Every input has exactly the
 * outcome the test expects, found by the lineage headers of what came out.
 *
 * <p>The embedder is the {@link FakeEmbedder} test double in chunk mode (6 words a chunk): which keys go out is under
 * test, not the vectors. The registry is the {@code StubSchemaRegistry}.
 */
class DeletesTest {

    @TempDir
    Path stateDir;

    private final String input = unique("texts");
    private final String output = unique("embeddings");
    private final String dlq = unique("dlq");
    private final String appId = unique("deletes");

    private BertstreamApp app(Map<String, String> overrides, Path state) {
        var settings = new HashMap<>(config(appId, input, output, dlq, state));
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        settings.put(BertstreamConfig.LENGTH_MODE, "chunk");
        settings.putAll(overrides);
        var fake = FakeEmbedder.parse("mode=" + settings.get(BertstreamConfig.LENGTH_MODE) + ";window=8");
        return new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape()));
    }

    /** A text of {@code chunks} chunks (6 words each). */
    private static String words(int chunks) {
        return String.join(" ", java.util.Collections.nCopies(6 * chunks - 1, "word"));
    }

    private static void produce(String topic, List<String[]> records) {
        try (KafkaProducer<byte[], byte[]> producer = producer(1 << 20)) {
            for (String[] record : records) {
                producer.send(new ProducerRecord<>(topic, 0, record[0] == null ? null : record[0].getBytes(StandardCharsets.UTF_8),
                        record[1] == null ? null : record[1].getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    private static String[] record(String key, String value) {
        return new String[] {key, value};
    }

    private static String change(String op, String id, String text) {
        String row = text == null ? "null" : "{\"id\":\"" + id + "\",\"text\":\"" + text + "\"}";
        return op.equals("d") ? "{\"op\":\"d\",\"before\":{\"id\":\"" + id + "\"},\"after\":null}"
                : "{\"op\":\"" + op + "\",\"before\":null,\"after\":" + row + "}";
    }

    /**
     * What came out for each input offset, read with read_committed: "key" for a record, "key=null" for a tombstone,
     * "dlq" for a dead letter; sorted per offset. Reads until {@code outcomes} outcomes arrived.
     */
    private Map<Long, List<String>> outcomesByOffset(int outcomes, List<ConsumerRecord<String, byte[]>> into) {
        var records = readCommitted(List.of(output, dlq), Duration.ofSeconds(60), read -> read.size() >= outcomes);
        into.addAll(records);
        var byOffset = new TreeMap<Long, List<String>>();
        for (var record : records) {
            long offset = Long.parseLong(DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET));
            String outcome = record.topic().equals(dlq) ? "dlq" : record.key() + (record.value() == null ? "=null" : "");
            byOffset.computeIfAbsent(offset, o -> new ArrayList<>()).add(outcome);
        }
        byOffset.values().forEach(list -> list.sort(null));
        return byOffset;
    }

    private static Map<Long, List<String>> expected(Object... offsetsAndOutcomes) {
        var expected = new TreeMap<Long, List<String>>();
        for (int i = 0; i < offsetsAndOutcomes.length; i += 2) {
            var outcomes = new ArrayList<>(List.of(((String) offsetsAndOutcomes[i + 1]).split(" ")));
            outcomes.sort(null);
            expected.put(((Number) offsetsAndOutcomes[i]).longValue(), outcomes);
        }
        return expected;
    }

    @Test
    void debeziumDeletesFlowThroughAndAFreshInstanceRestoresTheChunkCounts() throws Exception {
        broker().createTopics(1, input);
        broker().createTopics(2, output, dlq);
        Map<String, String> debezium = Map.of(BertstreamConfig.INPUT_TEXT_POINTER, "/after/text",
                BertstreamConfig.INPUT_ID_POINTER, "/after/id");
        produce(input, List.of(
                record("{\"id\":\"a\"}", change("c", "a", words(3))),   // 0
                record("{\"id\":\"b\"}", change("c", "b", words(1))),   // 1
                record("{\"id\":\"c\"}", change("c", "c", words(3))),   // 2
                record("{\"id\":\"a\"}", change("u", "a", words(2))),   // 3: fewer chunks
                record("{\"id\":\"b\"}", change("d", "b", null)),       // 4: a delete event ...
                record("{\"id\":\"b\"}", null),                         // 5: ... and Debezium's tombstone: one delete
                record("{\"id\":\"c\"}", null),                         // 6: a tombstone alone deletes too
                record("{\"id\":\"d\"}", change("c", "d", words(1))),   // 7
                record("{\"id\":\"d\"}", change("d", "d", null)),       // 8
                record("{\"id\":\"d\"}", null),                         // 9
                record("{\"id\":\"e\"}", null),                         // 10: never embedded
                record("{\"id\":\"e\"}", change("c", "e", words(2)))));  // 11: back after a delete
        var seen = new ArrayList<ConsumerRecord<String, byte[]>>();
        Map<Long, List<String>> first;
        try (var app = app(debezium, stateDir.resolve("first")).start()) {
            var outcomes = outcomesByOffset(23, seen);
            assertEquals(expected(
                    0, "a#0 a#1 a#2", 1, "b#0", 2, "c#0 c#1 c#2", 3, "a#0 a#1 a#2=null", 4, "b=null b#0=null",
                    6, "c=null c#0=null c#1=null c#2=null", 7, "d#0", 8, "d=null d#0=null", 10, "e=null e#0=null",
                    11, "e#0 e#1"), outcomes, "offsets 5 and 9 repeat the delete events before them: no outcome");
            first = outcomes;
            assertEquals(4.0, app.metrics().deletes(PipelineMetrics.DeleteAction.PROPAGATED));
            assertEquals(2.0, app.metrics().deletes(PipelineMetrics.DeleteAction.REPEAT));
            assertEquals(10.0, app.metrics().tombstonesOut(PipelineMetrics.TombstoneCause.DELETE));
            assertEquals(1.0, app.metrics().tombstonesOut(PipelineMetrics.TombstoneCause.FEWER_CHUNKS));
        }
        for (var record : seen) {
            if (record.value() == null) {
                assertEquals(output, record.topic());
            }
        }
        // A fresh instance (another state directory) restores the counts from the changelog: a and e had two chunk
        // keys, so their one-chunk texts tombstone #1.
        produce(input, List.of(record("{\"id\":\"a\"}", change("u", "a", words(1))),    // 12
                record("{\"id\":\"e\"}", change("u", "e", words(1)))));                  // 13
        try (var app = app(debezium, stateDir.resolve("second")).start()) {
            var outcomes = outcomesByOffset(23 + 4, new ArrayList<>());
            var expected = new TreeMap<>(first);
            expected.putAll(expected(12, "a#0 a#1=null", 13, "e#0 e#1=null"));
            assertEquals(expected, outcomes, "the new records' outcomes, nothing else, and nothing twice");
        }
    }

    /**
     * Each policy in another output format: a shorter text's surplus chunk keys are tombstoned whatever the policy, so
     * every format carries tombstones; an input delete propagates (registry), is dead-lettered (connect-json) or is
     * ignored (single-object). A tombstone without a key names nothing: dead-lettered, or ignored with the rest.
     */
    @Test
    void eachDeletePolicyInEachOutputFormat() throws Exception {
        broker().createTopics(1, input);
        broker().createTopics(2, output, dlq);
        produce(input, List.of(
                record("a", json("a", words(3))),   // 0
                record("a", null),                  // 1: the delete
                record("b", json("b", words(3))),   // 2
                record("b", json("b", words(1))),   // 3: fewer chunks
                record(null, null)));               // 4: a tombstone without a key
        var common = expected(0, "a#0 a#1 a#2", 2, "b#0 b#1 b#2", 3, "b#0 b#1=null b#2=null");
        try (var registry = new StubSchemaRegistry()) {
            var propagate = new TreeMap<>(common);
            propagate.putAll(expected(1, "a=null a#0=null a#1=null a#2=null", 4, "dlq"));
            runPolicy("propagate", Map.of(BertstreamConfig.OUTPUT_FORMAT, "registry", "schema.registry.url", registry.url()),
                    propagate, (byte) 0);
        }
        var deadLetter = new TreeMap<>(common);
        deadLetter.putAll(expected(1, "dlq", 4, "dlq"));
        runPolicy("dead-letter", Map.of(BertstreamConfig.OUTPUT_FORMAT, "connect-json"), deadLetter, (byte) '{');
        runPolicy("ignore", Map.of(BertstreamConfig.OUTPUT_FORMAT, "single-object"), common, (byte) 0xC3);
    }

    private void runPolicy(String policy, Map<String, String> format, Map<Long, List<String>> expected, byte firstByte)
            throws Exception {
        String run = unique(policy);
        var overrides = new HashMap<>(format);
        overrides.put(BertstreamConfig.INPUT_DELETES, policy);
        overrides.put(BertstreamConfig.OUTPUT_TOPIC, run);
        overrides.put(BertstreamConfig.DLQ_TOPIC, run + "-dlq");
        overrides.put("application.id", run);
        broker().createTopics(2, run, run + "-dlq");
        int outcomes = expected.values().stream().mapToInt(List::size).sum();
        try (var app = app(overrides, stateDir.resolve(run)).start()) {
            var records = readCommitted(List.of(run, run + "-dlq"), Duration.ofSeconds(60), read -> read.size() >= outcomes);
            var byOffset = new TreeMap<Long, List<String>>();
            for (var record : records) {
                long offset = Long.parseLong(DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET));
                String outcome = record.topic().endsWith("-dlq") ? "dlq" : record.key() + (record.value() == null ? "=null" : "");
                byOffset.computeIfAbsent(offset, o -> new ArrayList<>()).add(outcome);
                if (record.topic().equals(run) && record.value() != null) {
                    assertEquals(firstByte, record.value()[0], policy + ": the output format's first byte");
                }
            }
            byOffset.values().forEach(list -> list.sort(null));
            assertEquals(expected, byOffset, policy);
            if (policy.equals("dead-letter")) {
                var dead = records.stream().filter(r -> r.topic().endsWith("-dlq")
                        && DeadLetter.header(r.headers(), DeadLetter.SOURCE_OFFSET).equals("1")).findFirst().orElseThrow();
                assertEquals("TOMBSTONE: deletes id a, and bertstream.input.deletes=dead-letter",
                        DeadLetter.header(dead.headers(), DeadLetter.ERROR_MESSAGE));
            }
            if (policy.equals("ignore")) {
                assertEquals(2.0, app.metrics().deletes(PipelineMetrics.DeleteAction.IGNORED));
            }
        }
    }

    /**
     * The id limit on the real broker, at its default (512 bytes, Elasticsearch's _id limit): ids of 0.5×, 0.9× and
     * 1× the limit become keys as they are, 1.5× and empty are dead-lettered with the reason; head mode.
     */
    @Test
    void idsAtHalfNineTenthsOneAndOneAndAHalfTimesTheLimit() throws Exception {
        broker().createTopics(1, input, output, dlq);
        var ids = List.of("h".repeat(256), "n".repeat(461), "x".repeat(512), "é".repeat(256), "y".repeat(768), "");
        var records = new ArrayList<String[]>();
        for (String id : ids) {
            records.add(record(id, json(id, "a text")));
        }
        produce(input, records);
        try (var app = app(Map.of(BertstreamConfig.LENGTH_MODE, "head"), stateDir).start()) {
            var outcomes = Outcomes.await(output, dlq, ids.size(), Duration.ofSeconds(60)).assertExactlyOneEach(input, ids.size());
            assertEquals(new TreeSet<>(ids.subList(0, 4)), new TreeSet<>(outcomes.outputs.stream().map(ConsumerRecord::key).toList()),
                    "up to the limit, the ids as they are");
            outcomes.assertDeadLettered(4, "decode", "the id takes 768 bytes, over the 512-byte limit of bertstream.input.max-id-bytes");
            outcomes.assertDeadLettered(5, "decode", "the id is empty");
            assertTrue(app.health().up(), app.health().detail());
        }
    }
}
