package io.bertstream.serde;

import io.bertstream.kafka.StubSchemaRegistry;

import io.bertstream.avro.EmbeddingRecord;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** One record, three wire formats: each reader gets back exactly the record that was written, field by field. */
class CrossFormatTest {

    private static StubSchemaRegistry registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = new StubSchemaRegistry();
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    static Stream<EmbeddingRecord> records() {
        return Stream.of(TestRecords.full(11), TestRecords.minimal(12));
    }

    @ParameterizedTest
    @MethodSource("records")
    void avroFormatsRoundTrip(EmbeddingRecord record) {
        for (OutputFormat format : List.of(OutputFormat.REGISTRY, OutputFormat.SINGLE_OBJECT)) {
            Serde<EmbeddingRecord> serde = format.serde(EmbeddingRecord.class, Map.of(RegistryClient.URL_CONFIG, registry.url()));
            assertEquals(record, serde.deserializer().deserialize("embeddings", serde.serializer().serialize("embeddings", record)), format.name());
        }
    }

    @ParameterizedTest
    @MethodSource("records")
    void connectJsonCarriesEveryFieldOfTheAvroRecord(EmbeddingRecord record) {
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "true"), false);
        byte[] json = OutputFormat.CONNECT_JSON.serializer(Map.of()).serialize("embeddings", record);
        Struct struct = (Struct) converter.toConnectData("embeddings", json).value();
        assertSameContent(record.getSchema(), record, struct, "");
    }

    /** Walks the Avro schema and compares each value with what Connect made of it. */
    private static void assertSameContent(Schema schema, Object avro, Object connect, String path) {
        if (avro == null) {
            assertNull(connect, path);
            return;
        }
        if (schema.isUnion()) {
            Schema branch = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElseThrow();
            assertSameContent(branch, avro, connect, path);
            return;
        }
        switch (schema.getType()) {
            case RECORD -> {
                for (Schema.Field field : schema.getFields()) {
                    assertSameContent(field.schema(), ((IndexedRecord) avro).get(field.pos()), ((Struct) connect).get(field.name()),
                            path + "/" + field.name());
                }
            }
            case ARRAY -> {
                List<?> avroList = (List<?>) avro;
                List<?> connectList = (List<?>) connect;
                assertEquals(avroList.size(), connectList.size(), path);
                for (int i = 0; i < avroList.size(); i++) {
                    assertSameContent(schema.getElementType(), avroList.get(i), connectList.get(i), path + "/" + i);
                }
            }
            case LONG -> assertEquals(avro instanceof Instant instant ? new Date(instant.toEpochMilli()) : avro, connect, path);
            default -> assertEquals(avro, connect, path);
        }
    }
}
