package io.bertstream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /** Config key: base URL of the registry, e.g. {@code https://registry:8081}. */
    public static final String URL_CONFIG = "schema.registry.url";
    /** Config key: {@code user:password} for HTTP basic authentication (optional). */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "schema.registry.basic.auth.user.info";
    /** Config key: allow basic authentication over plain http, for test setups (default false: refused). */
    public static final String BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG = "schema.registry.basic.auth.allow.plain.http";
    /** Config key: attempts per request, first one included (default 4). */
    public static final String MAX_ATTEMPTS_CONFIG = "schema.registry.max.attempts";
    /** Config key: backoff before the first retry, doubled for each further one (default 100 ms). */
    public static final String BACKOFF_MS_CONFIG = "schema.registry.backoff.ms";
    /** Config key: how long one request (and its connection) may take (default 10 s). */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    /** The client's keys, defaults and allowed values: their one home (the service's table takes them from here). */
    public static final ConfigDef CONFIG_DEF = new ConfigDef()
            .define(URL_CONFIG, ConfigDef.Type.STRING, null, ConfigValidators.HTTP_URL, ConfigDef.Importance.HIGH,
                    "Schema Registry base URL; needed for the registry output format and registry-framed Avro input")
            .define(BASIC_AUTH_USER_INFO_CONFIG, ConfigDef.Type.PASSWORD, null, ConfigValidators.USER_INFO, ConfigDef.Importance.MEDIUM,
                    "Basic authentication (a secret: masked in logs; prefer the environment); refused over plain http")
            .define(BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG, ConfigDef.Type.BOOLEAN, false, null, ConfigDef.Importance.LOW,
                    "Send basic authentication over plain http anyway (test setups only: the password crosses the network readable)")
            // At the cap of 5 s per backoff, 10 attempts wait ~21 s plus the requests' own timeouts: longer would
            // hold a stream thread past Kafka's max.poll.interval.ms.
            .define(MAX_ATTEMPTS_CONFIG, ConfigDef.Type.INT, 4, ConfigValidators.between(1, 10), ConfigDef.Importance.LOW,
                    "Attempts per registry request (no answer, 5xx, 429 are retried), the first included")
            .define(BACKOFF_MS_CONFIG, ConfigDef.Type.INT, 100, ConfigValidators.between(0, MAX_BACKOFF.toMillis()), ConfigDef.Importance.LOW,
                    "Backoff before the first retry (ms), doubled for each further one up to 5 s")
            // The stream processor bounds its own requests further: a quarter of the transaction timeout.
            .define(REQUEST_TIMEOUT_MS_CONFIG, ConfigDef.Type.INT, 10_000, ConfigValidators.between(100, 120_000), ConfigDef.Importance.LOW,
                    "How long one registry request, and its connection, may take (ms)");
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How to reach the registry.
     *
     * @param basicAuthUserInfo      {@code user:password}, or null for no authentication
     * @param allowBasicAuthOverHttp send {@code basicAuthUserInfo} over plain http; refused otherwise, since
     *                               anyone on the path could read the password
     */
    public record Settings(URI baseUrl, String basicAuthUserInfo, int maxAttempts, Duration initialBackoff,
                           Duration requestTimeout, boolean allowBasicAuthOverHttp) {

        public Settings {
            Objects.requireNonNull(baseUrl, "baseUrl");
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1");
            }
            if (baseUrl.getUserInfo() != null) {
                throw new IllegalArgumentException("the registry URL carries credentials; give them as basicAuthUserInfo");
            }
            if (basicAuthUserInfo != null && "http".equalsIgnoreCase(baseUrl.getScheme()) && !allowBasicAuthOverHttp) {
                throw new IllegalArgumentException(BASIC_AUTH_USER_INFO_CONFIG + " is set but " + URL_CONFIG + " is plain http ("
                        + baseUrl + "): the password would cross the network readable; use https, or set "
                        + BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG + "=true (test setups only)");
            }
        }

        public Settings(URI baseUrl, String basicAuthUserInfo, int maxAttempts, Duration initialBackoff, Duration requestTimeout) {
            this(baseUrl, basicAuthUserInfo, maxAttempts, initialBackoff, requestTimeout, false);
        }

        public static Settings of(String baseUrl) {
            return new Settings(URI.create(baseUrl), null, 4, Duration.ofMillis(100), Duration.ofSeconds(10));
        }

        /**
         * Reads the {@code schema.registry.*} keys of a Kafka-style config map ({@link #CONFIG_DEF}). Credentials
         * in the URL ({@code https://user:password@registry}) are used for basic authentication too: Java's HTTP
         * client would otherwise drop them without a word.
         *
         * @throws IllegalArgumentException when a value is not allowed, or basic auth would go over plain http
         */
        public static Settings fromConfigs(Map<String, ?> configs) {
            Map<String, Object> values;
            try {
                values = CONFIG_DEF.parse(configs);
            } catch (ConfigException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            Object url = values.get(URL_CONFIG);
            if (url == null || url.toString().isBlank()) {
                throw new IllegalArgumentException(URL_CONFIG + " is required for the schema-registry format");
            }
            URI baseUrl = URI.create(url.toString().trim());
            Password password = (Password) values.get(BASIC_AUTH_USER_INFO_CONFIG);
            String userInfo = password == null ? null : password.value();
            if (baseUrl.getUserInfo() != null) {
                if (userInfo != null) {
                    throw new IllegalArgumentException("credentials are given twice, in " + URL_CONFIG + " and in "
                            + BASIC_AUTH_USER_INFO_CONFIG + ": keep one");
                }
                userInfo = baseUrl.getUserInfo();
                baseUrl = withoutUserInfo(baseUrl);
            }
            return new Settings(baseUrl, userInfo, (Integer) values.get(MAX_ATTEMPTS_CONFIG),
                    Duration.ofMillis((Integer) values.get(BACKOFF_MS_CONFIG)),
                    Duration.ofMillis((Integer) values.get(REQUEST_TIMEOUT_MS_CONFIG)),
                    (Boolean) values.get(BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG));
        }

        private static URI withoutUserInfo(URI url) {
            try {
                return new URI(url.getScheme(), null, url.getHost(), url.getPort(), url.getPath(), url.getQuery(), url.getFragment());
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
    }

    private final Settings settings;
    private final HttpClient http;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public RegistryClient(Settings settings) {
        if (settings.basicAuthUserInfo() != null && "http".equalsIgnoreCase(settings.baseUrl().getScheme())) {
            log.warn("Schema Registry basic auth over plain http ({}=true): the password crosses the network readable",
                    BASIC_AUTH_ALLOW_PLAIN_HTTP_CONFIG);
        }
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
