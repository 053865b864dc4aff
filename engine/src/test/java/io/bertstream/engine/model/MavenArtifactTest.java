package io.bertstream.engine.model;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Artifact resolution against a local HTTP server laid out like a Maven repository (a stand-in for Maven
 * Central, which tests must not depend on): download into the local repository, sha1 verification, reuse.
 */
class MavenArtifactTest {

    private static final MavenArtifact ARTIFACT = new MavenArtifact("org.example.models", "tiny-model", "1.0");

    @TempDir
    Path localRepository;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Integer> requests = new ConcurrentHashMap<>();

    @BeforeEach
    void startRepository() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/maven2/", exchange -> {
            String path = exchange.getRequestURI().getPath().substring("/maven2/".length());
            requests.merge(path, 1, Integer::sum);
            byte[] body = files.get(path);
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        System.setProperty("maven.repo.local", localRepository.toString());
        System.setProperty("bertstream.maven.remote", "http://127.0.0.1:" + server.getAddress().getPort() + "/maven2/");
    }

    @AfterEach
    void stopRepository() {
        System.clearProperty("maven.repo.local");
        System.clearProperty("bertstream.maven.remote");
        server.stop(0);
    }

    @Test
    void downloadsOnceIntoTheLocalRepositoryAfterCheckingSha1() throws Exception {
        byte[] jar = "not really a jar, but bytes with a checksum".getBytes(StandardCharsets.UTF_8);
        publish(jar, sha1(jar) + "  tiny-model-1.0.jar");

        Path resolved = ARTIFACT.resolve();
        assertEquals(localRepository.resolve("org/example/models/tiny-model/1.0/tiny-model-1.0.jar"), resolved);
        assertArrayEquals(jar, Files.readAllBytes(resolved));

        assertEquals(resolved, ARTIFACT.resolve());
        assertEquals(1, requests.get(ARTIFACT.relativePath()), "the second resolve uses the local copy");
    }

    @Test
    void refusesADownloadWhoseSha1DoesNotMatch() throws Exception {
        publish("tampered".getBytes(StandardCharsets.UTF_8), sha1("original".getBytes(StandardCharsets.UTF_8)));

        ModelLoadException e = assertThrows(ModelLoadException.class, ARTIFACT::resolve);
        assertTrue(e.getMessage().contains("sha1"), e.getMessage());
        Path dir = localRepository.resolve("org/example/models/tiny-model/1.0");
        try (var left = Files.list(dir)) {
            assertEquals(0, left.count(), "neither the jar nor a partial download is left behind");
        }
    }

    @Test
    void missingArtifactIsAClearError() {
        ModelLoadException e = assertThrows(ModelLoadException.class, ARTIFACT::resolve);
        assertTrue(e.getMessage().contains(ARTIFACT.toString()) && e.getMessage().contains("404"), e.getMessage());
        assertFalse(Files.exists(localRepository.resolve(ARTIFACT.relativePath())));
    }

    private void publish(byte[] jar, String sha1File) {
        files.put(ARTIFACT.relativePath(), jar);
        files.put(ARTIFACT.relativePath() + ".sha1", sha1File.getBytes(StandardCharsets.US_ASCII));
    }

    private static String sha1(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
    }
}
