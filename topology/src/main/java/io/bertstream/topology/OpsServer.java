package io.bertstream.topology;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code /metrics} (Prometheus text format) and {@code /health} (200 UP or 503 with the reason), on one address
 * ({@code bertstream.metrics.bind}: loopback unless told otherwise, since the metrics tell anyone who can reach
 * them about the model, the topics and the load).
 */
public final class OpsServer implements AutoCloseable {

    /** What /health reports: UP, or DOWN with why. */
    public record Health(boolean up, String detail) {
    }

    private final HttpServer server;

    private OpsServer(HttpServer server) {
        this.server = server;
    }

    /**
     * @param bind an IP address or host name to listen on; 0.0.0.0 or :: for every interface
     * @param port 0 picks a free port
     */
    public static OpsServer start(String bind, int port, PrometheusMeterRegistry registry, Supplier<Health> health) {
        var address = new InetSocketAddress(bind, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve the metrics bind address '" + bind + "'");
        }
        try {
            HttpServer server = HttpServer.create(address, 0);
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
            throw new UncheckedIOException("cannot open the metrics port " + port + " on " + bind + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The address listened on (the wildcard address when bound to every interface). */
    public InetAddress address() {
        return server.getAddress().getAddress();
    }

    /** Where to reach /metrics from this machine: http://host:port, localhost standing in for the wildcard. */
    public String url() {
        InetAddress address = address();
        String host = address.isAnyLocalAddress() ? "localhost"
                : address instanceof java.net.Inet6Address ? "[" + address.getHostAddress() + "]" : address.getHostAddress();
        return "http://" + host + ":" + port();
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
