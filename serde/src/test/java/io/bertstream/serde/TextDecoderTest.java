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
        return decoder.decode("texts", 3, 42L, NO_HEADERS, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
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
        assertEquals(Reason.NULL_VALUE, reasonOf(TextDecoder.string(), "k", null));
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

    @Test
    void debeziumDeleteHasNoTextToEmbed() {
        String delete = DEBEZIUM_UPDATE.replace("\"after\":{\"id\":107,\"name\":\"rocks\",\"description\":\"box of assorted rocks, polished\",\"weight\":5.3}",
                "\"after\":null").replace("\"op\":\"u\"", "\"op\":\"d\"");
        assertTrue(delete.contains("\"after\":null"));
        assertEquals(Reason.POINTER_NOT_FOUND, reasonOf(TextDecoder.json("/after/description", "/after/id"), null, utf8(delete)));
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
        assertEquals(Reason.NULL_VALUE, reasonOf(decoder, null, null));
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
        assertEquals(Reason.NULL_VALUE, reasonOf(decoder, null, null));
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
