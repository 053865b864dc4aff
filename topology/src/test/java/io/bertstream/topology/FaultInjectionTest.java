package io.bertstream.topology;

import io.bertstream.avro.TextEvent;
import io.bertstream.serde.RegistryAvroSerializer;
import io.bertstream.serde.RegistryClient;
import io.bertstream.kafka.StubSchemaRegistry;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow and failing parts, on the real broker: an embedder slower than the transaction timeout, one that throws for a
 * while and then recovers, a text that crashes it, the schema registry down at start and mid-run, settings that
 * reject every text. Each asserts exactly one outcome per input, that no good event is dead-lettered because of an
 * infrastructure fault, that the app makes progress (or refuses to start), and what /health says meanwhile.
 *
 * <p>The embedder is the {@link FakeEmbedder} test double (failures must be injected; vectors are not under test),
 * except where the real model's own refusal is the point. The registry is serde's {@code StubSchemaRegistry}.
 */
class FaultInjectionTest {

    @TempDir
    Path stateDir;

    private final String input = unique("texts");
    private final String output = unique("embeddings");
    private final String dlq = unique("dlq");
    private final String appId = unique("faults");

    private Map<String, String> settings(Map<String, String> overrides) {
        var settings = new HashMap<>(config(appId, input, output, dlq, stateDir));
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        settings.putAll(overrides);
        return settings;
    }

    private BertstreamApp app(FakeEmbedder fake, Map<String, String> overrides) {
        return new BertstreamApp(BertstreamConfig.of(settings(overrides), Map.of()), SharedModel.of(fake, fake.shape()));
    }

    private static void sendTexts(String topic, int from, int to) {
        try (var producer = producer(1 << 20)) {
            for (int i = from; i < to; i++) {
                send(producer, topic, "e" + i, json("e" + i, "event number " + i + " about streams").getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void await(String what, Duration patience, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " within " + patience);
            Thread.sleep(20);
        }
    }

    @Test
    void anEmbedderSlowerThanTheTransactionTimeoutNeitherFencesNorLoops() throws Exception {
        broker().createTopics(3, input, output, dlq);
        // 7 s a call, against transaction.timeout.ms=5000 (KafkaTestSupport): a synchronous flush would be fenced
        // forever. A small queue bound makes stream threads wait for room too.
        var fake = new FakeEmbedder();
        sendTexts(input, 0, 30);
        try (var app = app(fake, Map.of(BertstreamConfig.INFERENCE_QUEUE_MAX_TOKENS, "40")).start()) {
            long warmUpCalls = fake.calls();
            fake.delayPerCall(Duration.ofSeconds(7));
            await("the first run started", Duration.ofSeconds(60), () -> fake.calls() > warmUpCalls);
            sendTexts(input, 30, 60);
            var outcomes = Outcomes.await(output, dlq, 60, Duration.ofSeconds(150));
            assertEquals(60, outcomes.outputs.size(), "every event out, none dead-lettered");
            assertTrue(outcomes.deadLetters.isEmpty());
            assertEquals(0.0, app.metrics().threadFailures(), "no stream thread failed");
            assertTrue(app.health().up(), app.health().detail());
            assertTrue(app.registry().get("bertstream.backpressure.wait.seconds").counter().count() > 0,
                    "stream threads waited for room in the full queue");
        }
        var fenced = Outcomes.await(output, dlq, 60, Duration.ofSeconds(5));
        assertEquals(60, fenced.outputs.size(), "nothing emitted twice: no transaction was fenced and replayed");
    }

    @Test
    void anEngineThatFailsForAWhilePausesProcessingAndNothingGoodIsDeadLettered() throws Exception {
        broker().createTopics(2, input, output, dlq);
        var fake = new FakeEmbedder().poisonedBy(text -> text.contains("poison"));
        try (var app = app(fake, Map.of()).start()) {
            sendTexts(input, 0, 10);
            Outcomes.await(output, dlq, 10, Duration.ofSeconds(60));
            fake.failFor(Duration.ofSeconds(4));
            sendTexts(input, 10, 30);
            var sawDown = new AtomicBoolean();
            await("processing paused by the engine fault", Duration.ofSeconds(30), () -> {
                var health = app.health();
                if (!health.up() && health.detail().contains("paused: the embedding engine")) {
                    sawDown.set(true);
                }
                return sawDown.get();
            });
            assertEquals(1.0, app.registry().get("bertstream.paused").tag("cause", "engine").gauge().value());
            try (var producer = producer(1 << 20)) {
                send(producer, input, "poison", json("poison", "a poison pill among good texts").getBytes(StandardCharsets.UTF_8));
            }
            var outcomes = Outcomes.await(output, dlq, 31, Duration.ofSeconds(90));
            assertEquals(30, outcomes.outputs.size(), "every good event out once the engine works again");
            assertEquals(1, outcomes.deadLetters.size(), "only the text that fails on its own");
            String reason = DeadLetter.header(outcomes.deadLetters.get(0).headers(), DeadLetter.ERROR_MESSAGE);
            assertTrue(reason.contains("canary text passed"), reason);
            assertEquals("poison", outcomes.deadLetters.get(0).key());
            await("healthy again", Duration.ofSeconds(30), () -> app.health().up());
            assertEquals(0.0, app.registry().get("bertstream.paused").tag("cause", "engine").gauge().value());
            assertTrue(fake.failedCalls() > 0, "the engine did fail meanwhile");
        }
    }

    @Test
    void settingsThatRejectEveryTextAreRefusedAtStart() {
        broker().createTopics(1, input, output, dlq);
        try (var tiny = SharedModel.open(BertstreamConfig.of(Map.of(BertstreamConfig.THREADS, "1",
                BertstreamConfig.LENGTH_MAX_TOKENS, "2"), Map.of()))) {
            var app = new BertstreamApp(BertstreamConfig.of(settings(Map.of(BertstreamConfig.LENGTH_MAX_TOKENS, "2")), Map.of()), tiny);
            var refused = assertThrows(IllegalArgumentException.class, app::start, "the real model with max-tokens=2");
            app.close();
            assertTrue(refused.getMessage().contains("ordinary texts"), refused.getMessage());
            assertFalse(app.health().up());
        }
        var rejectsAll = new FakeEmbedder().rejecting(text -> true);
        var app = app(rejectsAll, Map.of());
        var refused = assertThrows(IllegalArgumentException.class, app::start);
        app.close();
        assertTrue(refused.getMessage().contains("bertstream.length"), refused.getMessage());
    }

    @Test
    void registryOutputRegistersAtStartWaitingWhileTheRegistryIsDownAndGivingUpAtTheDeadline() throws Exception {
        broker().createTopics(1, input, output, dlq);
        try (var registry = new StubSchemaRegistry()) {
            registry.failAllWith(503);
            var config = Map.of(BertstreamConfig.OUTPUT_FORMAT, "registry", "schema.registry.url", registry.url(),
                    BertstreamConfig.OUTPUT_REGISTER_TIMEOUT_MS, "60000");
            var app = app(new FakeEmbedder(), config);
            var starting = CompletableFuture.runAsync(app::start);
            await("health says why it is not up", Duration.ofSeconds(30),
                    () -> app.health().detail().equals("registering the output schema"));
            Thread.sleep(1500);
            assertFalse(starting.isDone(), "start waits for the registry");
            registry.failAllWith(0);
            starting.get(60, java.util.concurrent.TimeUnit.SECONDS);
            try (app) {
                sendTexts(input, 0, 5);
                var outcomes = Outcomes.await(output, dlq, 5, Duration.ofSeconds(60)).assertExactlyOneEach(input, 5);
                assertEquals(5, outcomes.outputs.size());
                outcomes.outputs.forEach(r -> assertEquals(0, r.value()[0], "registry framing"));
            }
            // Credentials refused until the deadline: the start gives up with the cause (RunCommand: exit code 3).
            registry.failAllWith(401);
            var refused = app(new FakeEmbedder(), Map.of(BertstreamConfig.OUTPUT_FORMAT, "registry",
                    "schema.registry.url", registry.url(), BertstreamConfig.OUTPUT_REGISTER_TIMEOUT_MS, "1500"));
            var e = assertThrows(IllegalStateException.class, refused::start);
            refused.close();
            assertTrue(e.getMessage().contains("cannot register the output schema within 1 s") && e.getMessage().contains("401"),
                    e.getMessage());
        }
    }

    @Test
    void aRegistryDownMidRunPausesDecodingAndNoRecordIsDeadLetteredForIt() throws Exception {
        broker().createTopics(1, input, output, dlq);
        try (var registry = new StubSchemaRegistry()) {
            var client = new RegistryClient(RegistryClient.Settings.of(registry.url()));
            var framed = new RegistryAvroSerializer<>(TextEvent.class, client);
            var records = new ArrayList<byte[]>();
            for (int i = 0; i < 5; i++) {
                records.add(framed.serialize(input, TextEvent.newBuilder().setId("e" + i).setText("text " + i).build()));
            }
            // A second writer schema the app has not seen yet: records written with it make the app ask the registry.
            Schema evolved = new Schema.Parser().parse(TextEvent.getClassSchema().toString().replaceFirst("\"fields\":\\[",
                    "\"fields\":[{\"name\":\"lang\",\"type\":[\"null\",\"string\"],\"default\":null},"));
            int evolvedId = client.register(input + "-value", evolved);
            for (int i = 5; i < 15; i++) {
                records.add(registryFramed(evolvedId, evolved, "e" + i, "text " + i));
            }
            byte[] unknownId = registryFramed(9999, evolved, "unknown", "a schema id the registry does not know");
            try (var app = app(new FakeEmbedder(), Map.of(BertstreamConfig.INPUT_FORMAT, "avro",
                    "schema.registry.url", registry.url())).start();
                 var producer = producer(1 << 20)) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(input, records.get(i))).get();
                }
                Outcomes.await(output, dlq, 5, Duration.ofSeconds(60));
                registry.failAllWith(503);
                for (int i = 5; i < 15; i++) {
                    producer.send(new ProducerRecord<>(input, records.get(i))).get();
                }
                var sawDown = new AtomicBoolean();
                await("paused by the registry", Duration.ofSeconds(30), () -> {
                    if (!app.health().up() && app.health().detail().contains("paused: the schema registry")) {
                        sawDown.set(true);
                    }
                    return sawDown.get();
                });
                assertEquals(1.0, app.registry().get("bertstream.paused").tag("cause", "registry").gauge().value());
                Thread.sleep(2000);
                assertEquals(5, Outcomes.await(output, dlq, 15, Duration.ofSeconds(1)).outputs.size(),
                        "nothing decoded, nothing dead-lettered while the registry is down");
                registry.failAllWith(401); // then it refuses our credentials: still the infrastructure
                Thread.sleep(1500);
                registry.failAllWith(0);
                producer.send(new ProducerRecord<>(input, unknownId)).get();
                var outcomes = Outcomes.await(output, dlq, 16, Duration.ofSeconds(60)).assertExactlyOneEach(input, 16);
                assertEquals(15, outcomes.outputs.size(), "every record decoded once the registry is back");
                outcomes.assertDeadLettered(15, "decode", "UNKNOWN_SCHEMA");
                await("healthy again", Duration.ofSeconds(30), () -> app.health().up());
            }
        }
    }

    private static byte[] registryFramed(int schemaId, Schema schema, String id, String text) throws IOException {
        var record = new GenericData.Record(schema);
        record.put("id", id);
        record.put("text", text);
        record.put("metadata", Map.of());
        var out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
        var encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericData.Record>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
