package io.bertstream.serde;

import io.bertstream.kafka.StubSchemaRegistry;

import io.bertstream.avro.TextEvent;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextDecoderTest {

    /** A Debezium (PostgreSQL connector) update event of an inventory.products row, as JsonConverter writes it without schemas. */
    private static final String DEBEZIUM_UPDATE = """
            {"before":{"id":107,"name":"rocks","description":"box of assorted rocks","weight":5.3},
             "after":{"id":107,"name":"rocks","description":"box of assorted rocks, polished","weight":5.3},
             "source":{"version":"3.0.0.Final","connector":"postgresql","name":"dbserver1","ts_ms":1700000000000,
                       "snapshot":"false","db":"inventory","sequence":"[null,\\"34540048\\"]","schema":"inventory",
                       "table":"products","txId":771,"lsn":34540048,"xmin":null},
             "transaction":null,"op":"u","ts_ms":1700000000123,"ts_us":1700000000123456,"ts_ns":1700000000123456000}
            """;

    /** The same event with schemas.enable=true: {"schema":…,"payload":…}. */
    private static final String DEBEZIUM_UPDATE_WITH_SCHEMA = """
            {"schema":{"type":"struct","name":"dbserver1.inventory.products.Envelope","optional":false,"fields":[
               {"type":"struct","name":"dbserver1.inventory.products.Value","optional":true,"field":"before","fields":[
                 {"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},
                 {"type":"string","optional":true,"field":"description"},{"type":"double","optional":true,"field":"weight"}]},
               {"type":"struct","name":"dbserver1.inventory.products.Value","optional":true,"field":"after","fields":[
                 {"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"name"},
                 {"type":"string","optional":true,"field":"description"},{"type":"double","optional":true,"field":"weight"}]},
               {"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"}]},
             "payload":%s}
            """.formatted(DEBEZIUM_UPDATE);

    private static final RecordHeaders NO_HEADERS = new RecordHeaders();
    private static final byte[] INVALID_UTF8 = {'o', 'k', (byte) 0xC3, (byte) 0x28};

    private static DecodedText decode(TextDecoder decoder, String key, byte[] value) {
        return assertInstanceOf(DecodedText.class, decoded(decoder, key, value));
    }

    private static Decoded decoded(TextDecoder decoder, String key, byte[] value) {
        return decoder.decode("texts", 3, 42L, NO_HEADERS, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
    }

    private static DecodedDelete delete(TextDecoder decoder, String key, byte[] value) {
        return assertInstanceOf(DecodedDelete.class, decoded(decoder, key, value));
    }

    private static Reason reasonOf(TextDecoder decoder, String key, byte[] value) {
        return assertThrows(DecodeException.class, () -> decode(decoder, key, value)).reason();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // --- plain strings ---

    @Test
    void stringValueWithTheKeyAsId() {
        DecodedText decoded = decode(TextDecoder.string(), "k-1", utf8("Grüße, 世界"));
        assertEquals(new DecodedText("k-1", "Grüße, 世界", Map.of(), null), decoded);
    }

    @Test
    void withoutAKeyTheIdIsTopicPartitionOffset() {
        assertEquals("texts-3-42", decode(TextDecoder.string(), null, utf8("hello")).id());
    }

    @Test
    void invalidUtf8IsAnErrorNotAReplacementCharacter() {
        assertEquals(Reason.INVALID_UTF8, reasonOf(TextDecoder.string(), "k", INVALID_UTF8));
        assertEquals(Reason.INVALID_UTF8, assertThrows(DecodeException.class, () -> TextDecoder.string()
                .decode("texts", 0, 0, NO_HEADERS, INVALID_UTF8, utf8("fine text"))).reason(), "the key too");
        assertEquals(new DecodedDelete("k", DecodedDelete.Kind.TOMBSTONE), delete(TextDecoder.string(), "k", null),
                "a tombstone deletes its key");
        assertEquals(Reason.NO_ID, reasonOf(TextDecoder.string(), null, null), "a tombstone without a key deletes nothing");
        assertEquals(Reason.NO_ID, reasonOf(TextDecoder.string(), "", null), "nor with an empty one");
    }

    // --- JSON ---

    @Test
    void debeziumChangeEventWithPointersToTextAndId() {
        DecodedText decoded = decode(TextDecoder.json("/after/description", "/after/id"), "{\"id\":107}", utf8(DEBEZIUM_UPDATE));
        assertEquals("107", decoded.id());
        assertEquals("box of assorted rocks, polished", decoded.text());
    }

    @Test
    void connectSchemaAndPayloadEnvelopeIsUnwrapped() {
        DecodedText decoded = decode(TextDecoder.json("/after/description", "/after/id"), null, utf8(DEBEZIUM_UPDATE_WITH_SCHEMA));
        assertEquals(new DecodedText("107", "box of assorted rocks, polished", Map.of(), null), decoded);
    }

    @Test
    void jsonWithoutIdPointerTakesTheKey() {
        assertEquals("key-9", decode(TextDecoder.json("/text", null), "key-9", utf8("{\"text\":\"hi\"}")).id());
    }

    private static final String DEBEZIUM_DELETE = DEBEZIUM_UPDATE
            .replace("\"after\":{\"id\":107,\"name\":\"rocks\",\"description\":\"box of assorted rocks, polished\",\"weight\":5.3}",
                    "\"after\":null").replace("\"op\":\"u\"", "\"op\":\"d\"");

    @Test
    void aDebeziumDeleteEventDeletesTheIdOfTheRowAsItWas() {
        assertTrue(DEBEZIUM_DELETE.contains("\"after\":null") && DEBEZIUM_DELETE.contains("\"op\":\"d\""));
        TextDecoder decoder = TextDecoder.json("/after/description", "/after/id");
        var expected = new DecodedDelete("107", DecodedDelete.Kind.DELETE_EVENT);
        assertEquals(expected, delete(decoder, "{\"id\":107}", utf8(DEBEZIUM_DELETE)), "the id from before");
        assertEquals(expected, delete(decoder, "{\"id\":107}", utf8(DEBEZIUM_UPDATE_WITH_SCHEMA.replace(DEBEZIUM_UPDATE, DEBEZIUM_DELETE))),
                "with schemas.enable too");
        // PostgreSQL's default replica identity puts only the primary key in before; a delete without before falls
        // back to the key, as a tombstone would
        String noBefore = DEBEZIUM_DELETE.replaceFirst("\"before\":\\{[^}]*}", "\"before\":null");
        assertTrue(noBefore.contains("\"before\":null"), noBefore);
        assertEquals(expected, delete(decoder, "{\"id\":107}", utf8(noBefore)));
        assertEquals(Reason.NO_ID, reasonOf(decoder, null, utf8(noBefore)), "neither before nor a key: no id");
        // Without an id pointer the key is the id of every record, deletes included
        assertEquals(new DecodedDelete("{\"id\":107}", DecodedDelete.Kind.DELETE_EVENT),
                delete(TextDecoder.json("/after/description", null), "{\"id\":107}", utf8(DEBEZIUM_DELETE)));
        // op d alone is not enough: a document that merely has such a field is a text like any other
        assertEquals("x", decode(decoder, null, utf8("{\"op\":\"d\",\"after\":{\"id\":1,\"description\":\"x\"}}")).text());
    }

    @Test
    void debeziumsTombstoneAfterTheDeleteEventNamesTheSameId() {
        // Debezium keys a row by its primary key, {"id":107}; the tombstone after a delete event carries that key
        TextDecoder decoder = TextDecoder.json("/after/description", "/after/id");
        assertEquals(new DecodedDelete("107", DecodedDelete.Kind.TOMBSTONE), delete(decoder, "{\"id\":107}", null));
        assertEquals(new DecodedDelete("107", DecodedDelete.Kind.TOMBSTONE),
                delete(decoder, "{\"schema\":{\"type\":\"struct\"},\"payload\":{\"id\":107}}", null), "a key with schemas.enable");
        assertEquals(delete(decoder, "{\"id\":107}", utf8(DEBEZIUM_DELETE)).id(), delete(decoder, "{\"id\":107}", null).id(),
                "the delete event and its tombstone name one id, not two of different kinds");
        assertEquals(Reason.NO_ID, reasonOf(decoder, "{\"sku\":\"a-1\"}", null), "a key without the id");
        assertEquals(Reason.NO_ID, reasonOf(decoder, null, null), "no key");
    }

    @Test
    void aTombstonesIdComesFromItsKey() {
        // Flattened rows (Debezium's ExtractNewRecordState) keep the primary-key struct as their key
        TextDecoder flat = TextDecoder.json("/text", "/id");
        assertEquals("107", delete(flat, "{\"id\":107}", null).id());
        assertEquals("doc-1", delete(flat, "doc-1", null).id(), "a plain key is the id");
        assertEquals("doc-1", delete(flat, "\"doc-1\"", null).id(), "a JSON string key is the id");
        assertEquals("42", delete(flat, "42", null).id());
        assertEquals(Reason.WRONG_TYPE, reasonOf(flat, "{\"id\":{\"a\":1}}", null));
        assertEquals(Reason.INVALID_UTF8, assertThrows(DecodeException.class,
                () -> flat.decode("texts", 0, 0, NO_HEADERS, INVALID_UTF8, null)).reason(), "a key that is not UTF-8");
        // Without an id pointer the key is the id, as for every record: the JSON text as it is
        assertEquals("{\"id\":107}", delete(TextDecoder.json("/text", null), "{\"id\":107}", null).id());
        // Avro: TextEvent producers key by id
        assertEquals(new DecodedDelete("evt-1", DecodedDelete.Kind.TOMBSTONE), delete(TextDecoder.avro(null), "evt-1", null));
        assertEquals(Reason.NO_ID, reasonOf(TextDecoder.avro(null), null, null));
    }

    @Test
    void badJsonInputsCarryTheirReason() {
        TextDecoder decoder = TextDecoder.json("/after/description", "/after/id");
        assertEquals(Reason.MALFORMED_JSON, reasonOf(decoder, null, utf8("{\"after\":{\"description\":\"x\"")));
        assertEquals(Reason.MALFORMED_JSON, reasonOf(decoder, null, utf8("{\"a\":1} trailing")));
        assertEquals(Reason.MALFORMED_JSON, reasonOf(decoder, null, new byte[0]));
        assertEquals(Reason.POINTER_NOT_FOUND, reasonOf(decoder, null, utf8("{\"after\":{\"id\":1}}")));
        assertEquals(Reason.POINTER_NOT_FOUND, reasonOf(decoder, null, utf8("{\"after\":{\"id\":1,\"description\":null}}")));
        assertEquals(Reason.POINTER_NOT_FOUND, reasonOf(decoder, null, utf8("{\"after\":{\"description\":\"x\"}}")));
        assertEquals(Reason.WRONG_TYPE, reasonOf(decoder, null, utf8("{\"after\":{\"id\":1,\"description\":42}}")));
        assertEquals(Reason.WRONG_TYPE, reasonOf(decoder, null, utf8("{\"after\":{\"id\":{\"x\":1},\"description\":\"x\"}}")));
        assertEquals(Reason.POINTER_NOT_FOUND, reasonOf(decoder, null, utf8("[\"after\"]")), "an array has no /after/description");
        assertEquals(Reason.INVALID_UTF8, reasonOf(decoder, null, INVALID_UTF8));
        assertEquals(Reason.NO_ID, reasonOf(decoder, null, null), "a tombstone without a key");
    }

    // --- Avro ---

    @Test
    void avroTextEventInBothFramings() throws IOException {
        TextEvent event = TestRecords.textEvent("evt-1", "Avro text");
        DecodedText expected = new DecodedText("evt-1", "Avro text", Map.of("source", "test"), Instant.ofEpochMilli(1_690_000_000_000L));
        try (StubSchemaRegistry registry = new StubSchemaRegistry()) {
            RegistryClient client = new RegistryClient(RegistryClient.Settings.of(registry.url()));
            TextDecoder decoder = TextDecoder.fromConfigs(Map.of(TextDecoder.FORMAT_CONFIG, "avro", RegistryClient.URL_CONFIG, registry.url()));
            byte[] registryFramed = new RegistryAvroSerializer<>(TextEvent.class, client).serialize("texts", event);
            byte[] singleObject = new SingleObjectSerializer<>(TextEvent.class).serialize("texts", event);
            assertEquals(expected, decode(decoder, null, registryFramed));
            assertEquals(expected, decode(decoder, null, singleObject));
        }
    }

    @Test
    void badAvroInputsCarryTheirReason() {
        TextDecoder decoder = TextDecoder.avro(null);
        byte[] valid = new SingleObjectSerializer<>(TextEvent.class).serialize("texts", TestRecords.textEvent("a", "b"));
        assertEquals(Reason.UNKNOWN_FRAMING, reasonOf(decoder, null, utf8("plain text")));
        assertEquals(Reason.MALFORMED_AVRO, reasonOf(decoder, null, java.util.Arrays.copyOf(valid, 11)));
        assertEquals(Reason.UNKNOWN_SCHEMA, reasonOf(decoder, null, new byte[]{0, 0, 0, 0, 1, 2, 'a'}), "registry framing, no registry");
        assertEquals(Reason.NO_ID, reasonOf(decoder, null, null), "a tombstone without a key");
    }

    @Test
    void avroWithARegistryThatIsDownIsUnavailableNotACrash() throws IOException {
        byte[] framed;
        String url;
        try (StubSchemaRegistry registry = new StubSchemaRegistry()) {
            url = registry.url();
            framed = new RegistryAvroSerializer<>(TextEvent.class, new RegistryClient(RegistryClient.Settings.of(url)))
                    .serialize("texts", TestRecords.textEvent("a", "b"));
        }
        TextDecoder decoder = TextDecoder.avro(new RegistryClient(new RegistryClient.Settings(java.net.URI.create(url), null, 2,
                Duration.ofMillis(10), Duration.ofSeconds(2))));
        assertEquals(Reason.REGISTRY_UNAVAILABLE, reasonOf(decoder, null, framed));
    }

    @Test
    void configsPickTheFormat() {
        assertEquals("x", decode(TextDecoder.fromConfigs(Map.of(TextDecoder.FORMAT_CONFIG, "string")), "k", utf8("x")).text());
        assertEquals("y", decode(TextDecoder.fromConfigs(Map.of(TextDecoder.FORMAT_CONFIG, "json")), "k", utf8("{\"text\":\"y\"}")).text());
        assertThrows(IllegalArgumentException.class, () -> TextDecoder.fromConfigs(Map.of(TextDecoder.FORMAT_CONFIG, "xml")));
        // The defaults are the service's (one home, TextDecoder.CONFIG_DEF): json, the text at /text, the id from the key
        DecodedText byDefault = decode(TextDecoder.fromConfigs(Map.of()), "k", utf8("{\"text\":\"z\",\"id\":\"ignored\"}"));
        assertEquals("z", byDefault.text());
        assertEquals("k", byDefault.id());
        assertEquals("i", decode(TextDecoder.fromConfigs(Map.of(TextDecoder.JSON_ID_POINTER_CONFIG, "/id")), "k",
                utf8("{\"text\":\"z\",\"id\":\"i\"}")).id());
        var badPointer = assertThrows(IllegalArgumentException.class,
                () -> TextDecoder.fromConfigs(Map.of(TextDecoder.JSON_TEXT_POINTER_CONFIG, "text")));
        assertTrue(badPointer.getMessage().contains(TextDecoder.JSON_TEXT_POINTER_CONFIG), badPointer.getMessage());
    }
}
