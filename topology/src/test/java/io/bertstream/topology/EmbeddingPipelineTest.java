package io.bertstream.topology;

import io.bertstream.extract.EmbedOutcome;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole application on a real KRaft broker, exactly-once, with the real MiniLM model. */
class EmbeddingPipelineTest {

    @TempDir
    Path stateDir;

    @Test
    void nEventsInGiveExactlyNCommittedRecordsWithTheModelsVectors() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(3, input, output, dlq);
        int n = 60;
        List<String> texts = IntStream.range(0, n).mapToObj(i -> "sentence number " + i + " about "
                + (i % 3 == 0 ? "kafka streams" : i % 3 == 1 ? "vector search" : "language models")).toList();
        try (var producer = producer(1 << 20)) {
            for (int i = 0; i < n; i++) {
                send(producer, input, "key-" + i, json("e" + i, texts.get(i)).getBytes(StandardCharsets.UTF_8));
            }
        }
        var config = BertstreamConfig.of(config(unique("app"), input, output, dlq, stateDir), Map.of());
        List<ConsumerRecord<String, byte[]>> records;
        try (var app = new BertstreamApp(config, SharedModel.of(TestModel.embedder()))) {
            assertFalse(app.health().up(), "not healthy before the model is warm and Streams runs");
            app.start();
            records = readCommitted(output, Duration.ofSeconds(120), r -> r.size() >= n);
            assertTrue(app.metricsAddress().isLoopbackAddress(), "ops endpoints on loopback by default: " + app.metricsAddress());
            var client = HttpClient.newHttpClient();
            var health = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            String metrics = client.send(HttpRequest.newBuilder(URI.create("http://localhost:" + app.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("bertstream_records_out_total " + n + ".0"), "records out counted");
            assertTrue(metrics.contains("bertstream_model_info{"), "model info gauge");
            assertTrue(metrics.contains("kafka_consumer_fetch_manager_records_lag"), "consumer lag from Streams metrics");
        }
        assertEquals(n, records.size(), "exactly one record per event");
        var byId = new HashMap<String, float[]>();
        for (var record : records) {
            byId.put(record.key(), MicroBatchTopologyTest.toArray(decode(record).getVector()));
        }
        assertEquals(n, byId.size(), "no id twice");
        List<EmbedOutcome> direct = TestModel.embedder().embedAll(texts);
        for (int i = 0; i < n; i++) {
            float[] expected = ((EmbedOutcome.Embedded) direct.get(i)).vectors().get(0).vector();
            assertArrayEquals(expected, byId.get("e" + i), 1e-5f, "vector of e" + i);
        }
    }

    @Test
    void poisonPillsGoToTheDeadLetterTopicWhileGoodEventsFlow() {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        // The input topic takes the 5 MB record; the app dead-letters it (over its input limit), cut to 1 MB.
        broker().createTopics(List.of(new NewTopic(input, 1, (short) 1).configs(Map.of("max.message.bytes", "6000000")),
                new NewTopic(output, 1, (short) 1), new NewTopic(dlq, 1, (short) 1)));
        var pills = new ArrayList<byte[]>();
        pills.add("{not json".getBytes(StandardCharsets.UTF_8));
        pills.add(null);
        pills.add(json("empty", "").getBytes(StandardCharsets.UTF_8));
        pills.add(json("blank", " \\t  ").getBytes(StandardCharsets.UTF_8));
        pills.add(json("huge", "word ".repeat(1_000_000)).getBytes(StandardCharsets.UTF_8));
        pills.add(new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'});
        pills.add("{\"id\":\"no-text\",\"content\":\"text under another name\"}".getBytes(StandardCharsets.UTF_8));
        try (var producer = producer(8 << 20)) {
            for (int i = 0; i < pills.size(); i++) {
                send(producer, input, "good-" + i, json("good-" + i, "a perfectly fine sentence " + i).getBytes(StandardCharsets.UTF_8));
                send(producer, input, "pill-" + i, pills.get(i));
            }
        }
        // A tombstone is a delete (by default a tombstone out, see DeletesTest); with deletes dead-lettered it is a pill too.
        var settings = config(unique("app"), input, output, dlq, stateDir);
        settings.put(BertstreamConfig.INPUT_DELETES, "dead-letter");
        var config = BertstreamConfig.of(settings, Map.of());
        List<ConsumerRecord<String, byte[]>> dead;
        List<ConsumerRecord<String, byte[]>> good;
        try (var app = new BertstreamApp(config, SharedModel.of(TestModel.embedder())).start()) {
            dead = readCommitted(dlq, Duration.ofSeconds(120), r -> r.size() >= pills.size());
            good = readCommitted(output, Duration.ofSeconds(30), r -> r.size() >= pills.size());
        }
        assertEquals(IntStream.range(0, pills.size()).mapToObj(i -> "good-" + i).toList(),
                good.stream().map(ConsumerRecord::key).toList());
        assertEquals(IntStream.range(0, pills.size()).mapToObj(i -> "pill-" + i).toList(),
                dead.stream().map(ConsumerRecord::key).toList(), "every pill dead-lettered once, with its key");
        for (int i = 0; i < dead.size(); i++) {
            var record = dead.get(i);
            String reason = DeadLetter.header(record.headers(), DeadLetter.ERROR_MESSAGE);
            assertTrue(reason != null && !reason.isBlank(), "a reason for pill " + i);
            assertEquals(String.valueOf(2 * i + 1), DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET));
            if (pills.get(i) != null && pills.get(i).length < 1_000_000) {
                assertArrayEquals(pills.get(i), record.value(), "original bytes of pill " + i);
            }
        }
        assertEquals(null, dead.get(1).value(), "the tombstone stays a tombstone");
        assertEquals(String.valueOf(pills.get(4).length), DeadLetter.header(dead.get(4).headers(), DeadLetter.VALUE_TRUNCATED_FROM));
        assertTrue(DeadLetter.header(dead.get(6).headers(), DeadLetter.ERROR_MESSAGE).contains("POINTER_NOT_FOUND"));
    }
}
