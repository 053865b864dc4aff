package io.bertstream.topology;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/** {@code /metrics} (Prometheus text format) and {@code /health} (200 UP or 503 with the reason). */
public final class OpsServer implements AutoCloseable {

    /** What /health reports: UP, or DOWN with why. */
    public record Health(boolean up, String detail) {
    }

    private final HttpServer server;

    private OpsServer(HttpServer server) {
        this.server = server;
    }

    /** @param port 0 picks a free port */
    public static OpsServer start(int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
            server.createContext("/metrics", exchange -> respond(exchange, 200,
                    "text/plain; version=0.0.4; charset=utf-8", registry.scrape()));
            server.createContext("/health", exchange -> {
                Health now = health.get();
                respond(exchange, now.up() ? 200 : 503, "application/json",
                        "{\"status\":\"" + (now.up() ? "UP" : "DOWN") + "\",\"detail\":\""
                                + now.detail().replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
            });
            server.start();
            return new OpsServer(server);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the metrics port " + port, e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
