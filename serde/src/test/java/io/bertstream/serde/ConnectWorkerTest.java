package io.bertstream.serde;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.kafka.EmbeddedKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The proof that stock Kafka Connect reads bertstream's output: a real standalone Connect worker, against a
 * real KRaft broker, with the stock JsonConverter, hands a sink connector a Struct whose vector is an
 * ARRAY of FLOAT32 — the shape the Elasticsearch and vector-database sinks take — and a tombstone (bertstream's
 * delete of an id) as a record with the key and a null value, which sinks with delete-on-null turn into a delete.
 */
class ConnectWorkerTest {

    private static final String TOPIC = "embeddings";

    @Test
    void standaloneWorkerWithJsonConverterDeliversFloat32VectorStructs(@TempDir Path workDir) throws Exception {
        List<EmbeddingRecord> sent = List.of(TestRecords.full(1), TestRecords.minimal(2), TestRecords.full(3));
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(TOPIC);
            produce(kafka.bootstrapServers(), sent);
            String deleted = sent.get(0).getId();
            try (KafkaProducer<String, EmbeddingRecord> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), OutputFormat.CONNECT_JSON.serializer(Map.of()))) {
                producer.send(new ProducerRecord<>(TOPIC, deleted, null)); // what bertstream sends for a delete
            }

            Connect<StandaloneHerder> worker = new ConnectStandalone().startConnect(Map.of(
                    "bootstrap.servers", kafka.bootstrapServers(),
                    "key.converter", "org.apache.kafka.connect.storage.StringConverter",
                    "value.converter", "org.apache.kafka.connect.json.JsonConverter",
                    "value.converter.schemas.enable", "true",
                    "offset.storage.file.filename", workDir.resolve("offsets").toString(),
                    "listeners", "http://127.0.0.1:0",
                    "plugin.discovery", "service_load",
                    "offset.flush.interval.ms", "1000"));
            try {
                FutureCallback<Object> created = new FutureCallback<>();
                worker.herder().putConnectorConfig("capture", Map.of(
                        "name", "capture",
                        "connector.class", CapturingSinkConnector.class.getName(),
                        "tasks.max", "1",
                        "topics", TOPIC), false, (error, result) -> created.onCompletion(error, result));
                created.get(30, TimeUnit.SECONDS);

                List<SinkRecord> received = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (received.size() < sent.size() + 1 && System.nanoTime() < deadline) {
                    SinkRecord record = CapturingSinkConnector.RECEIVED.poll(500, TimeUnit.MILLISECONDS);
                    if (record != null) {
                        received.add(record);
                    }
                }
                assertEquals(sent.size() + 1, received.size(), "records delivered to the sink");
                for (int i = 0; i < sent.size(); i++) {
                    assertDelivered(sent.get(i), received.get(i));
                }
                SinkRecord tombstone = received.get(sent.size());
                assertEquals(deleted, tombstone.key(), "the deleted id");
                assertNull(tombstone.value(), "a null value: a delete for the sink");
                assertNull(tombstone.valueSchema());
            } finally {
                worker.stop();
                worker.awaitStop();
            }
        }
    }

    private static void assertDelivered(EmbeddingRecord expected, SinkRecord record) {
        assertEquals(expected.getId(), record.key(), "the id is the key, so sinks upsert");
        Struct value = (Struct) record.value();
        Schema vectorSchema = record.valueSchema().field("vector").schema();
        assertEquals(Schema.Type.ARRAY, vectorSchema.type());
        assertEquals(Schema.Type.FLOAT32, vectorSchema.valueSchema().type());
        assertEquals(expected.getVector(), value.getArray("vector"));
        assertEquals(expected.getDims(), value.getInt32("dims"));
        assertEquals(expected.getModel().getWeightsSha256(), value.getStruct("model").getString("weights_sha256"));
        assertEquals(expected.getSource().getOffset(), value.getStruct("source").getInt64("offset"));
    }

    private static void produce(String bootstrap, List<EmbeddingRecord> records) {
        try (KafkaProducer<String, EmbeddingRecord> producer = new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), OutputFormat.CONNECT_JSON.serializer(Map.of()))) {
            records.forEach(record -> producer.send(new ProducerRecord<>(TOPIC, record.getId(), record)));
        }
    }
}
