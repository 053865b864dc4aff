package io.bertstream.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for a schema registry, speaking the documented Confluent REST responses for the two calls
 * bertstream makes: {@code POST /subjects/{subject}/versions} (→ {@code {"id":N}}; the same schema text
 * gets the same id) and {@code GET /schemas/ids/{id}} (→ {@code {"schema":"…"}} or 404 with
 * {@code error_code 40403}). No Confluent server can run here, so this is a mock, used only for the
 * registry protocol. It records requests and can fail the next N of them with a 500, or answer every request
 * with a given error status (503 down, 401 refused credentials) until told otherwise. Lives here, with the other
 * in-process stand-ins for the Kafka ecosystem, so serde's and the topology's tests share one copy.
 */
public final class StubSchemaRegistry implements AutoCloseable {

    public record Request(String method, String path, String contentType, String authorization, String body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Pattern REGISTER = Pattern.compile("(?:/[^/]+)*/subjects/([^/]+)/versions");
    private static final Pattern BY_ID = Pattern.compile("(?:/[^/]+)*/schemas/ids/(\\d+)");

    private final HttpServer server;
    private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresToServe = new AtomicInteger();
    private final AtomicInteger nextId = new AtomicInteger(100);
    private final AtomicInteger failingWith = new AtomicInteger();

    public StubSchemaRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> requests() {
        return requests;
    }

    public void failNext(int count) {
        failuresToServe.set(count);
    }

    /** From now on every request is answered with {@code status} (e.g. 503, 401); 0 serves normally again. */
    public void failAllWith(int status) {
        failingWith.set(status);
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(new Request(exchange.getRequestMethod(), URLDecoder.decode(path, StandardCharsets.UTF_8),
                exchange.getRequestHeaders().getFirst("Content-Type"),
                exchange.getRequestHeaders().getFirst("Authorization"), body));
        int failing = failingWith.get();
        if (failing != 0) {
            respond(exchange, failing, "{\"error_code\":" + failing + ",\"message\":\"stub answers " + failing + "\"}");
            return;
        }
        if (failuresToServe.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            respond(exchange, 500, "{\"error_code\":50001,\"message\":\"Error in the backend data store\"}");
            return;
        }
        Matcher register = REGISTER.matcher(path);
        Matcher byId = BY_ID.matcher(path);
        if (exchange.getRequestMethod().equals("POST") && register.matches()) {
            String schema = JSON.readTree(body).path("schema").asText();
            int id = idsBySchema.computeIfAbsent(JSON.readTree(schema).toString(), key -> nextId.getAndIncrement());
            schemasById.put(id, schema);
            respond(exchange, 200, "{\"id\":" + id + "}");
        } else if (exchange.getRequestMethod().equals("GET") && byId.matches()) {
            String schema = schemasById.get(Integer.parseInt(byId.group(1)));
            if (schema == null) {
                respond(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema " + byId.group(1) + " not found\"}");
            } else {
                respond(exchange, 200, JSON.createObjectNode().put("schema", schema).toString());
            }
        } else {
            respond(exchange, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
        }
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    public static JsonNode parse(String json) throws IOException {
        return JSON.readTree(json);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
