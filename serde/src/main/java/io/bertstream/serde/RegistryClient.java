package io.bertstream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small client of the Confluent Schema Registry REST API (also served by Apicurio's ccompat API, Karapace
 * and Redpanda): registers schemas under a subject and looks schemas up by id. Both answers are cached for
 * the life of the client (ids are immutable); failed requests are retried with exponential backoff when the
 * failure may be transient (no answer, 5xx, 429). Thread-safe.
 */
public final class RegistryClient {

    /** Config key: base URL of the registry, e.g. {@code http://localhost:8081}. */
    public static final String URL_CONFIG = "schema.registry.url";
    /** Config key: {@code user:password} for HTTP basic authentication (optional). */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "schema.registry.basic.auth.user.info";
    /** Config key: attempts per request, first one included (default 4). */
    public static final String MAX_ATTEMPTS_CONFIG = "schema.registry.max.attempts";
    /** Config key: backoff before the first retry, doubled for each further one (default 100 ms). */
    public static final String BACKOFF_MS_CONFIG = "schema.registry.backoff.ms";
    /** Config key: how long one request (and its connection) may take (default 10 s). */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";

    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How to reach the registry. */
    public record Settings(URI baseUrl, String basicAuthUserInfo, int maxAttempts, Duration initialBackoff,
                           Duration requestTimeout) {

        public Settings {
            Objects.requireNonNull(baseUrl, "baseUrl");
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
        }

        public static Settings of(String baseUrl) {
            return new Settings(URI.create(baseUrl), null, 4, Duration.ofMillis(100), Duration.ofSeconds(10));
        }

        /** Reads the {@code schema.registry.*} keys of a Kafka-style config map. */
        public static Settings fromConfigs(Map<String, ?> configs) {
            Object url = configs.get(URL_CONFIG);
            if (url == null || url.toString().isBlank()) {
                throw new IllegalArgumentException(URL_CONFIG + " is required for the schema-registry format");
            }
            Settings defaults = of(url.toString());
            Object userInfo = configs.get(BASIC_AUTH_USER_INFO_CONFIG);
            return new Settings(defaults.baseUrl(), userInfo == null ? null : userInfo.toString(),
                    intConfig(configs, MAX_ATTEMPTS_CONFIG, defaults.maxAttempts()),
                    Duration.ofMillis(intConfig(configs, BACKOFF_MS_CONFIG, (int) defaults.initialBackoff().toMillis())),
                    Duration.ofMillis(intConfig(configs, REQUEST_TIMEOUT_MS_CONFIG, (int) defaults.requestTimeout().toMillis())));
        }

        private static int intConfig(Map<String, ?> configs, String key, int fallback) {
            Object value = configs.get(key);
            return value == null ? fallback : Integer.parseInt(value.toString());
        }
    }

    private final Settings settings;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public RegistryClient(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.requestTimeout()).build();
        this.authorization = settings.basicAuthUserInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(settings.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The id of {@code schema} under {@code subject}, registering it if the subject does not have it yet
     * (the registry answers with the existing id for a schema it already holds).
     */
    public int register(String subject, Schema schema) {
        String cacheKey = subject + '\u0000' + SchemaNormalization.parsingFingerprint64(schema);
        Integer cached = idsBySubjectAndSchema.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        // Outside any map lock: a slow registry must not block lookups of other keys.
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        JsonNode answer = send("POST", "/subjects/" + URLEncoder.encode(subject, StandardCharsets.UTF_8) + "/versions", body);
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException("Registry answered without an id: " + answer, 200, 0, null);
        }
        schemasById.putIfAbsent(id, schema);
        idsBySubjectAndSchema.putIfAbsent(cacheKey, id);
        return id;
    }

    /** The schema registered under {@code id}; {@link RegistryException#notFound()} when there is none. */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("GET", "/schemas/ids/" + id, null);
        String schema = answer.path("schema").asText(null);
        if (schema == null) {
            throw new RegistryException("Registry answered without a schema for id " + id + ": " + answer, 200, 0, null);
        }
        Schema parsed = new Schema.Parser().parse(schema);
        Schema earlier = schemasById.putIfAbsent(id, parsed);
        return earlier == null ? parsed : earlier;
    }

    private JsonNode send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.baseUrl().resolve(stripTrailingSlash(settings.baseUrl().getPath()) + path))
                .timeout(settings.requestTimeout())
                .header("Accept", CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE);
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        Duration backoff = settings.initialBackoff();
        for (int attempt = 1; ; attempt++) {
            RegistryException failure;
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() / 100 == 2) {
                    return JSON.readTree(response.body());
                }
                failure = errorOf(method, path, response);
                if (!retriable(response.statusCode())) {
                    throw failure;
                }
            } catch (IOException e) {
                failure = new RegistryException(method + " " + path + " failed: " + e, 0, 0, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException(method + " " + path + " interrupted", 0, 0, e);
            }
            if (attempt >= settings.maxAttempts()) {
                throw failure;
            }
            sleep(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private static RegistryException errorOf(String method, String path, HttpResponse<String> response) {
        int errorCode = 0;
        String message = response.body();
        try {
            JsonNode error = JSON.readTree(response.body());
            errorCode = error.path("error_code").asInt(0);
            message = error.path("message").asText(message);
        } catch (IOException notJson) {
            // keep the raw body as the message
        }
        return new RegistryException(method + " " + path + " answered " + response.statusCode() + ": " + message,
                response.statusCode(), errorCode, null);
    }

    private static boolean retriable(int status) {
        return status >= 500 || status == 429;
    }

    private static String stripTrailingSlash(String path) {
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException("Interrupted while backing off", 0, 0, e);
        }
    }
}
