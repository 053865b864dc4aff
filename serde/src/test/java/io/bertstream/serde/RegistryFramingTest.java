package io.bertstream.serde;

import io.bertstream.kafka.StubSchemaRegistry;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.avro.TextEvent;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The schema-registry wire format against a stub speaking the registry's REST contract. */
class RegistryFramingTest {

    private StubSchemaRegistry registry;

    @BeforeEach
    void startRegistry() throws IOException {
        registry = new StubSchemaRegistry();
    }

    @AfterEach
    void stopRegistry() {
        registry.close();
    }

    private RegistryClient client() {
        return new RegistryClient(new RegistryClient.Settings(java.net.URI.create(registry.url()), null, 3,
                Duration.ofMillis(10), Duration.ofSeconds(5)));
    }

    @Test
    void framesAvroBinaryBehindMagicByteAndRegisteredId() throws IOException {
        EmbeddingRecord record = TestRecords.full(1);
        byte[] bytes = OutputFormat.REGISTRY.serializer(Map.of(RegistryClient.URL_CONFIG, registry.url()))
                .serialize("embeddings", record);

        StubSchemaRegistry.Request register = registry.requests().get(0);
        assertEquals("POST", register.method());
        assertEquals("/subjects/embeddings-value/versions", register.path());
        assertEquals("application/vnd.schemaregistry.v1+json", register.contentType());
        Schema registered = new Schema.Parser().parse(StubSchemaRegistry.parse(register.body()).path("schema").asText());
        assertEquals(EmbeddingRecord.getClassSchema(), registered);

        assertEquals(0, bytes[0]);
        assertEquals(100, ByteBuffer.wrap(bytes, 1, 4).getInt(), "the id the registry answered, big-endian");
        // The rest is plain Avro binary: a generic reader with the registered schema reads it independently.
        GenericRecord generic = new GenericDatumReader<GenericRecord>(registered)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, 5, bytes.length - 5, null));
        assertEquals(record.getId(), generic.get("id").toString());
        assertEquals(record.getVector(), generic.get("vector"));
        assertEquals(record.getCreatedAt().toEpochMilli(), generic.get("created_at"));
    }

    @Test
    void roundTripsThroughTheRegistryWithLookupsCached() {
        RegistryClient client = client();
        var serializer = new RegistryAvroSerializer<>(EmbeddingRecord.class, client);
        var deserializer = new AvroDeserializer<>(EmbeddingRecord.class, client());
        for (EmbeddingRecord record : new EmbeddingRecord[]{TestRecords.full(2), TestRecords.minimal(3), TestRecords.full(4)}) {
            assertEquals(record, deserializer.deserialize("embeddings", serializer.serialize("embeddings", record)));
        }
        assertEquals(1, registry.requests().stream().filter(r -> r.method().equals("POST")).count(), "registration cached");
        assertEquals(1, registry.requests().stream().filter(r -> r.method().equals("GET")).count(), "lookup cached");
    }

    @Test
    void keySerializerRegistersUnderTheKeySubject() {
        Serializer<TextEvent> serializer = new RegistryAvroSerializer<>(TextEvent.class, client());
        serializer.configure(Map.of(), true);
        serializer.serialize("texts", TestRecords.textEvent("a", "b"));
        assertEquals("/subjects/texts-key/versions", registry.requests().get(0).path());
    }

    @Test
    void keepsTheBaseUrlPathOfRegistriesServedUnderAPrefix() {
        // Apicurio serves the Confluent API under /apis/ccompat/v7
        RegistryClient client = new RegistryClient(RegistryClient.Settings.of(registry.url() + "/apis/ccompat/v7/"));
        int id = client.register("texts-value", TextEvent.getClassSchema());
        assertEquals(TextEvent.getClassSchema(), new RegistryClient(RegistryClient.Settings.of(registry.url() + "/apis/ccompat/v7"))
                .schemaById(id));
        assertEquals("/apis/ccompat/v7/subjects/texts-value/versions", registry.requests().get(0).path());
        assertEquals("/apis/ccompat/v7/schemas/ids/" + id, registry.requests().get(1).path());
    }

    /** The stub speaks plain http only, so this test opts in to basic auth over http (see the next test). */
    @Test
    void sendsBasicAuthWhenConfigured() {
        OutputFormat.REGISTRY.serializer(Map.of(RegistryClient.URL_CONFIG, registry.url(),
                RegistryClient.BASIC_AUTH_USER_INFO_CONFIG, "alice:s3cret",
                RegistryClient.BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG, "true")).serialize("embeddings", TestRecords.minimal(5));
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, registry.requests().get(0).authorization());
    }

    @Test
    void basicAuthOverPlainHttpIsRefusedUnlessExplicitlyAllowed() {
        var refused = assertThrows(IllegalArgumentException.class, () -> RegistryClient.Settings.fromConfigs(Map.of(
                RegistryClient.URL_CONFIG, "http://registry:8081", RegistryClient.BASIC_AUTH_USER_INFO_CONFIG, "alice:s3cret")));
        assertTrue(refused.getMessage().contains(RegistryClient.BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG + "=true"), refused.getMessage());
        assertTrue(refused.getMessage().contains("http://registry:8081"), refused.getMessage());
        assertFalse(refused.getMessage().contains("s3cret"), refused.getMessage());
        // Credentials in the URL are basic auth too (Java's HTTP client would silently drop them): same rule.
        var inTheUrl = assertThrows(IllegalArgumentException.class, () -> RegistryClient.Settings.fromConfigs(Map.of(
                RegistryClient.URL_CONFIG, "http://alice:s3cret@registry:8081")));
        assertFalse(inTheUrl.getMessage().contains("s3cret"), inTheUrl.getMessage());
        assertTrue(inTheUrl.getMessage().contains("http://registry:8081"), inTheUrl.getMessage());

        var https = RegistryClient.Settings.fromConfigs(Map.of(
                RegistryClient.URL_CONFIG, "https://registry:8081", RegistryClient.BASIC_AUTH_USER_INFO_CONFIG, "alice:s3cret"));
        assertEquals("alice:s3cret", https.basicAuthUserInfo());
        var noAuth = RegistryClient.Settings.fromConfigs(Map.of(RegistryClient.URL_CONFIG, "http://registry:8081"));
        assertNull(noAuth.basicAuthUserInfo(), "plain http without credentials is fine");
        assertThrows(IllegalArgumentException.class, () -> RegistryClient.Settings.fromConfigs(Map.of(
                RegistryClient.URL_CONFIG, "https://bob:x@registry:8081", RegistryClient.BASIC_AUTH_USER_INFO_CONFIG, "alice:s3cret")),
                "credentials given twice");
    }

    @Test
    void credentialsInTheUrlAreSentAsBasicAuthAndNotInTheUrl() {
        String url = registry.url().replace("http://", "http://alice:s%3Acret@");
        OutputFormat.REGISTRY.serializer(Map.of(RegistryClient.URL_CONFIG, url,
                RegistryClient.BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG, "true")).serialize("embeddings", TestRecords.minimal(5));
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s:cret".getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, registry.requests().get(0).authorization());
    }

    @Test
    void registrySettingsAreChecked() {
        for (var bad : List.of(Map.of(RegistryClient.URL_CONFIG, "registry:8081"),
                Map.of(RegistryClient.URL_CONFIG, "ftp://registry"),
                Map.of(RegistryClient.URL_CONFIG, "https://registry", RegistryClient.MAX_ATTEMPTS_CONFIG, "0"),
                Map.of(RegistryClient.URL_CONFIG, "https://registry", RegistryClient.MAX_ATTEMPTS_CONFIG, "11"),
                Map.of(RegistryClient.URL_CONFIG, "https://registry", RegistryClient.BACKOFF_MS_CONFIG, "-1"),
                Map.of(RegistryClient.URL_CONFIG, "https://registry", RegistryClient.BASIC_AUTH_USER_INFO_CONFIG, "alice"),
                Map.of(RegistryClient.URL_CONFIG, "https://registry", RegistryClient.BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG, "yes"))) {
            var refused = assertThrows(IllegalArgumentException.class, () -> RegistryClient.Settings.fromConfigs(bad), bad.toString());
            assertFalse(refused.getMessage().contains("alice") && bad.containsKey(RegistryClient.BASIC_AUTH_USER_INFO_CONFIG),
                    "a refused secret is not repeated: " + refused.getMessage());
        }
        var malformed = assertThrows(IllegalArgumentException.class, () -> RegistryClient.Settings.fromConfigs(Map.of(
                RegistryClient.URL_CONFIG, "https://alice:s3cret@registry:8081/a path")));
        assertFalse(malformed.getMessage().contains("s3cret"), "credentials in a refused URL are masked: " + malformed.getMessage());
        var edges = RegistryClient.Settings.fromConfigs(Map.of(RegistryClient.URL_CONFIG, "https://registry",
                RegistryClient.MAX_ATTEMPTS_CONFIG, "10", RegistryClient.BACKOFF_MS_CONFIG, "5000"));
        assertEquals(10, edges.maxAttempts());
        assertEquals(Duration.ofSeconds(5), edges.initialBackoff());
    }

    @Test
    void retriesServerErrorsWithBackoff() {
        registry.failNext(2);
        byte[] bytes = new RegistryAvroSerializer<>(EmbeddingRecord.class, client()).serialize("embeddings", TestRecords.minimal(6));
        assertEquals(3, registry.requests().size(), "two 500s, then success");
        assertEquals(0, bytes[0]);
    }

    @Test
    void givesUpAfterMaxAttemptsAndSaysWhy() {
        registry.failNext(10);
        var serializer = new RegistryAvroSerializer<>(EmbeddingRecord.class, client());
        SerializationException e = assertThrows(SerializationException.class,
                () -> serializer.serialize("embeddings", TestRecords.minimal(7)));
        assertEquals(3, registry.requests().size());
        assertEquals(500, assertInstanceOf(RegistryException.class, e.getCause()).status());
    }

    @Test
    void unknownSchemaIdIsADecodeErrorNotACrash() {
        byte[] bytes = new byte[]{0, 0, 0, 0x30, 0x39, 2, 'x'};
        DecodeException e = assertThrows(DecodeException.class,
                () -> new AvroDeserializer<>(EmbeddingRecord.class, client()).deserialize("embeddings", bytes));
        assertEquals(Reason.UNKNOWN_SCHEMA, e.reason());
        assertEquals(1, registry.requests().size(), "404 is not retried");
    }

    @Test
    void registryDownIsADecodeErrorNotACrash() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RegistryClient unreachable = new RegistryClient(new RegistryClient.Settings(
                java.net.URI.create("http://127.0.0.1:" + closedPort), null, 2, Duration.ofMillis(10), Duration.ofSeconds(2)));
        byte[] bytes = new RegistryAvroSerializer<>(EmbeddingRecord.class, client()).serialize("embeddings", TestRecords.minimal(8));
        DecodeException e = assertThrows(DecodeException.class,
                () -> new AvroDeserializer<>(EmbeddingRecord.class, unreachable).deserialize("embeddings", bytes));
        assertEquals(Reason.REGISTRY_UNAVAILABLE, e.reason());
        assertThrows(SerializationException.class,
                () -> new RegistryAvroSerializer<>(EmbeddingRecord.class, unreachable).serialize("embeddings", TestRecords.minimal(8)));
    }

    @Test
    void onlyNotFoundIsAboutTheDataEveryOtherRegistryFailureIsInfrastructure() {
        byte[] bytes = new RegistryAvroSerializer<>(EmbeddingRecord.class, client()).serialize("embeddings", TestRecords.minimal(9));
        byte[] unknownId = new byte[]{0, 0, 0, 0x30, 0x39, 2, 'x'};
        DecodeException notFound = assertThrows(DecodeException.class,
                () -> new AvroDeserializer<>(EmbeddingRecord.class, client()).deserialize("embeddings", unknownId));
        assertFalse(notFound.infrastructure(), "a schema id the registry does not know is bad data");
        for (int status : new int[] {401, 403, 500, 503}) {
            registry.failAllWith(status);
            DecodeException e = assertThrows(DecodeException.class,
                    () -> new AvroDeserializer<>(EmbeddingRecord.class, client()).deserialize("embeddings", bytes));
            assertEquals(Reason.REGISTRY_UNAVAILABLE, e.reason(), "status " + status);
            assertTrue(e.infrastructure(), "status " + status + " says nothing about the record");
            assertEquals(status, assertInstanceOf(RegistryException.class, e.getCause()).status());
        }
        registry.failAllWith(0);
        assertEquals("doc-9", new AvroDeserializer<>(EmbeddingRecord.class, client()).deserialize("embeddings", bytes).getId(),
                "the same bytes decode once the registry is back");
    }

    @Test
    void theRequestTimeoutIsConfigurable() {
        var settings = RegistryClient.Settings.fromConfigs(Map.of(RegistryClient.URL_CONFIG, registry.url(),
                RegistryClient.REQUEST_TIMEOUT_MS_CONFIG, "750", RegistryClient.MAX_ATTEMPTS_CONFIG, "1"));
        assertEquals(Duration.ofMillis(750), settings.requestTimeout());
        assertEquals(1, settings.maxAttempts());
        assertEquals(Duration.ofSeconds(10), RegistryClient.Settings.fromConfigs(Map.of(RegistryClient.URL_CONFIG,
                registry.url())).requestTimeout(), "default");
    }

    @Test
    void dataOfAnotherRecordTypeIsIncompatible() {
        byte[] textEventBytes = new RegistryAvroSerializer<>(TextEvent.class, client()).serialize("texts", TestRecords.textEvent("a", "b"));
        DecodeException e = assertThrows(DecodeException.class,
                () -> new AvroDeserializer<>(EmbeddingRecord.class, client()).deserialize("texts", textEventBytes));
        assertEquals(Reason.INCOMPATIBLE_SCHEMA, e.reason());
    }

    @Test
    void truncatedOrPaddedAvroIsMalformed() {
        RegistryClient client = client();
        byte[] bytes = new RegistryAvroSerializer<>(EmbeddingRecord.class, client).serialize("embeddings", TestRecords.full(9));
        var deserializer = new AvroDeserializer<>(EmbeddingRecord.class, client);
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 20);
        byte[] padded = java.util.Arrays.copyOf(bytes, bytes.length + 3);
        assertEquals(Reason.MALFORMED_AVRO, assertThrows(DecodeException.class, () -> deserializer.deserialize("e", truncated)).reason());
        assertEquals(Reason.MALFORMED_AVRO, assertThrows(DecodeException.class, () -> deserializer.deserialize("e", padded)).reason());
    }

    @Test
    void nullRecordsAreNullBytes() {
        assertNull(new RegistryAvroSerializer<>(EmbeddingRecord.class, client()).serialize("embeddings", null));
        assertEquals(0, registry.requests().size());
    }
}
