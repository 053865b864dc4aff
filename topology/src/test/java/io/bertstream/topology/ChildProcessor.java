package io.bertstream.topology;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/** A bertstream processor in its own JVM (this JVM's java and classpath), to be killed with SIGKILL. */
final class ChildProcessor implements AutoCloseable {

    private static final Pattern GAUGE = Pattern.compile("(?m)^%s(?:\\{[^}]*})? ([0-9.eE+-]+)$");

    private final Process process;
    private final int metricsPort;
    private final Path log;
    private final HttpClient http = HttpClient.newHttpClient();

    private ChildProcessor(Process process, int metricsPort, Path log) {
        this.process = process;
        this.metricsPort = metricsPort;
        this.log = log;
    }

    /** Starts a child with this config and waits until its app has started (model warm, Streams starting). */
    static ChildProcessor start(Map<String, String> config, Path workDir, String name) throws IOException {
        return start(config, workDir, name, List.of());
    }

    /**
     * The same with extra JVM options after the usual ones (so e.g. a log level given here wins), e.g.
     * -Dbertstream.test.fake-embedder=... (see {@link ProcessorChildMain}).
     */
    static ChildProcessor start(Map<String, String> config, Path workDir, String name, List<String> jvmOptions)
            throws IOException {
        Process process = launch(config, workDir, name, jvmOptions);
        var stdout = new BufferedReader(new InputStreamReader(process.getInputStream()));
        String line;
        while ((line = stdout.readLine()) != null) {
            if (line.startsWith("metrics-port=")) {
                return new ChildProcessor(process, Integer.parseInt(line.substring("metrics-port=".length())),
                        workDir.resolve(name + ".log"));
            }
        }
        int exit = waitFor(process);
        String log = Files.readString(workDir.resolve(name + ".log"));
        throw new IllegalStateException("child " + name + " exited with " + exit + ":\n"
                + log.substring(Math.max(0, log.length() - 4000)));
    }

    /** Starts a child and returns its process at once (for children expected to fail at start). */
    static Process launch(Map<String, String> config, Path workDir, String name, List<String> jvmOptions)
            throws IOException {
        Path file = workDir.resolve(name + ".properties");
        var props = new Properties();
        props.putAll(config);
        try (var out = Files.newBufferedWriter(file)) {
            props.store(out, null);
        }
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = new java.util.ArrayList<>(List.of(java, "-Xmx768m", "-XX:+UseSerialGC",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log." + MicroBatchProcessor.class.getName() + "=info",
                "-Dorg.slf4j.simpleLogger.log." + BertstreamApp.class.getName() + "=info"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, ProcessorChildMain.class.getName(), file.toString()));
        return new ProcessBuilder(command)
                .redirectError(workDir.resolve(name + ".log").toFile())
                .start();
    }

    private static int waitFor(Process process) {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Waits until the child's /health says UP. */
    ChildProcessor awaitHealthy(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/health"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("child not healthy after " + patience);
    }

    /** A meter's value from the child's /metrics (0 when not yet there). */
    double metric(String prometheusName) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            var matcher = Pattern.compile(String.format(GAUGE.pattern(), Pattern.quote(prometheusName))).matcher(body);
            return matcher.find() ? Double.parseDouble(matcher.group(1)) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until the child has held events in an open batch for {@code hold}, then SIGKILLs it; true if it was
     * still holding some at the last look before the kill.
     */
    boolean killMidBatch(Duration patience, Duration hold) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        boolean midBatch = false;
        while (System.nanoTime() < deadline && !midBatch) {
            if (metric("bertstream_batch_pending") > 0) {
                Thread.sleep(hold.toMillis());
                midBatch = metric("bertstream_batch_pending") > 0;
            } else {
                Thread.sleep(20);
            }
        }
        kill();
        return midBatch;
    }

    /** The child's log (stderr) so far. */
    String log() throws IOException {
        return Files.readString(log);
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as an orchestrator stops a container; the exit code once the child is gone. */
    int terminate(Duration patience) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(patience.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            throw new IllegalStateException("child did not stop within " + patience + " of SIGTERM");
        }
        return process.exitValue();
    }

    /** Waits for the child to exit on its own; its exit code. */
    int awaitExit(Duration patience) throws InterruptedException {
        if (!process.waitFor(patience.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("child still running after " + patience);
        }
        return process.exitValue();
    }

    /** /health's status code and body. */
    HttpResponse<String> health() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + metricsPort + "/health"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
