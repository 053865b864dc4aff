package io.bertstream.topology;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where /metrics and /health listen: loopback by default, every interface when told, nothing else. */
class OpsServerTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void theDefaultIsLoopbackOnlyAndAnotherInterfaceIsRefused() throws Exception {
        String bind = BertstreamConfig.of(Map.of(), Map.of()).require(BertstreamConfig.METRICS_BIND);
        assertEquals("127.0.0.1", bind, "loopback unless told otherwise (the container image says 0.0.0.0)");
        try (var ops = start(bind)) {
            assertTrue(ops.address().isLoopbackAddress(), "bound to " + ops.address());
            assertEquals(200, get("127.0.0.1", ops.port()).statusCode());
            assertEquals("http://127.0.0.1:" + ops.port(), ops.url());
            // This machine's own non-loopback address reaches the same host, but not a loopback-only socket.
            InetAddress external = externalAddress().orElseThrow(() -> new AssertionError("no non-loopback IPv4 interface"));
            assertThrows(ConnectException.class, () -> get(external.getHostAddress(), ops.port()),
                    "not reachable on " + external.getHostAddress());
        }
    }

    @Test
    void theWildcardListensOnEveryInterface() throws Exception {
        try (var ops = start("0.0.0.0")) {
            assertTrue(ops.address().isAnyLocalAddress(), "bound to " + ops.address());
            assertEquals(200, get("127.0.0.1", ops.port()).statusCode());
            InetAddress external = externalAddress().orElseThrow(() -> new AssertionError("no non-loopback IPv4 interface"));
            assertEquals(200, get(external.getHostAddress(), ops.port()).statusCode(), "reachable on " + external.getHostAddress());
            assertEquals("http://localhost:" + ops.port(), ops.url());
        }
    }

    @Test
    void aBadBindAddressIsRefusedAtStart() {
        for (String bad : new String[]{"999.1.1.1", "local host", "-host", "http://0.0.0.0"}) {
            var refused = assertThrows(IllegalArgumentException.class,
                    () -> BertstreamConfig.of(Map.of(BertstreamConfig.METRICS_BIND, bad), Map.of()), bad);
            assertTrue(refused.getMessage().startsWith("bertstream.metrics.bind=" + bad + " is refused"), refused.getMessage());
        }
        for (String good : new String[]{"127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "metrics.internal.example.com"}) {
            assertEquals(good, BertstreamConfig.of(Map.of(BertstreamConfig.METRICS_BIND, good), Map.of()).require(BertstreamConfig.METRICS_BIND));
        }
        assertThrows(IllegalArgumentException.class, () -> start("no-such-host.invalid"), "an unresolvable name fails clearly");
    }

    private static OpsServer start(String bind) {
        return OpsServer.start(bind, 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> new OpsServer.Health(true, "test"));
    }

    private HttpResponse<String> get(String host, int port) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An IPv4 address of an interface that is up and not loopback. */
    private static Optional<InetAddress> externalAddress() throws SocketException {
        return NetworkInterface.networkInterfaces()
                .filter(nic -> {
                    try {
                        return nic.isUp() && !nic.isLoopback();
                    } catch (SocketException e) {
                        return false;
                    }
                })
                .flatMap(NetworkInterface::inetAddresses)
                .filter(address -> address instanceof Inet4Address && !address.isLoopbackAddress())
                .findFirst();
    }
}
