package io.bertstream.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A packaged runnable jar as `java -jar` runs it (ITs, after `package`), and what it carries: its entries, and the
 * Maven artifacts shaded into it (each leaves its {@code META-INF/maven/<group>/<artifact>/pom.properties}).
 * Shared by the product's and the PyTorch distribution's ITs.
 */
public final class RunnableJar {

    /**
     * Packages that are tooling, not product: the benchmark, the demo, their embedded broker, langchain4j, Kafka's
     * broker and controller (the Scala {@code kafka.*} packages; kafka-server, -storage, -raft, -metadata,
     * -server-common and the coordinators) and Scala.
     */
    public static final List<String> NOT_IN_PRODUCT = List.of(
            "io/bertstream/bench/", "io/bertstream/demo/", "io/bertstream/kafka/",
            "dev/langchain4j/",
            "scala/", "kafka/",
            "org/apache/kafka/controller/", "org/apache/kafka/raft/", "org/apache/kafka/metadata/",
            "org/apache/kafka/storage/", "org/apache/kafka/coordinator/", "org/apache/kafka/image/",
            "org/apache/kafka/snapshot/", "org/apache/kafka/timeline/", "org/apache/kafka/network/",
            "org/apache/kafka/security/", "org/apache/kafka/queue/", "org/apache/kafka/deferred/",
            "org/apache/kafka/server/");

    /** The client's interfaces a broker plugs in (kafka-clients ships them under org/apache/kafka/server/). */
    private static final List<String> CLIENT_SERVER_PACKAGES = List.of("org/apache/kafka/server/authorizer/",
            "org/apache/kafka/server/policy/", "org/apache/kafka/server/quota/", "org/apache/kafka/server/telemetry/");

    /** A class of one of the packages above ({@code kafka/kafka-version.properties} of kafka-clients is no class). */
    static boolean isTooling(String entry) {
        return entry.endsWith(".class") && NOT_IN_PRODUCT.stream().anyMatch(entry::startsWith)
                && CLIENT_SERVER_PACKAGES.stream().noneMatch(entry::startsWith);
    }

    public record Result(int exitCode, String out) {
    }

    private final Path jar;

    public RunnableJar(Path jar) {
        assertTrue(Files.isRegularFile(jar), "runnable jar built by `package`: " + jar.toAbsolutePath());
        this.jar = jar;
    }

    /** The jar the failsafe configuration names (-Dbertstream.jar). */
    public static RunnableJar fromSystemProperty(String fallback) {
        return new RunnableJar(Path.of(System.getProperty("bertstream.jar", fallback)));
    }

    public Path path() {
        return jar;
    }

    public Result run(String... args) throws IOException, InterruptedException {
        return run(List.of(), args);
    }

    /** Runs {@code java [jvmOptions] -jar JAR args}, stdout and stderr together, within two minutes. */
    public Result run(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        Process process = start(jvmOptions, List.of(args), null);
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished in time");
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** Starts {@code java [jvmOptions] -jar JAR args}; stdout and stderr go to {@code log} (or the pipe when null). */
    public Process start(List<String> jvmOptions, List<String> args, Path log) throws IOException {
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(args);
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (log != null) {
            builder.redirectOutput(log.toFile());
        }
        return builder.start();
    }

    /** Every entry name. */
    public List<String> entries() throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            return Collections.list(zip.entries()).stream().map(ZipEntry::getName).toList();
        }
    }

    /** group:artifact of every Maven artifact shaded in. */
    public Set<String> artifacts() throws IOException {
        Set<String> artifacts = new TreeSet<>();
        for (String name : entries()) {
            String[] parts = name.split("/");
            if (parts.length == 5 && parts[0].equals("META-INF") && parts[1].equals("maven") && parts[4].equals("pom.properties")) {
                artifacts.add(parts[2] + ":" + parts[3]);
            }
        }
        return artifacts;
    }

    /**
     * The product's rule (issue 14, item 1): no benchmark or demo code, no langchain4j classes (only the model files
     * of its model artifacts), no Kafka broker or controller, no Scala; the built-in models and ONNX Runtime inside.
     */
    public void assertCarriesTheProductOnly() throws IOException {
        List<String> entries = entries();
        List<String> tooling = entries.stream().filter(RunnableJar::isTooling).toList();
        if (!tooling.isEmpty()) {
            fail(tooling.size() + " entries of tooling in " + jar.getFileName() + ", e.g. "
                    + tooling.subList(0, Math.min(10, tooling.size())));
        }
        Set<String> artifacts = artifacts();
        List<String> unwanted = artifacts.stream().filter(a -> a.startsWith("org.scala-lang") || a.startsWith("org.apache.kafka:kafka_")
                || a.startsWith("dev.langchain4j:") || a.equals("io.bertstream:bertstream-bench")
                || a.equals("io.bertstream:bertstream-demo") || a.equals("io.bertstream:bertstream-embedded-kafka")).toList();
        assertTrue(unwanted.isEmpty(), "tooling artifacts in the product: " + unwanted);
        assertTrue(entries.contains("org/apache/kafka/streams/KafkaStreams.class"), "Kafka Streams in the product");
        for (String model : List.of("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", "bge-small-en-v1.5.onnx",
                "bge-small-en-v1.5-tokenizer.json")) {
            assertTrue(entries.contains(model), "built-in model file " + model + " in " + jar.getFileName());
        }
        assertTrue(entries.contains("ai/onnxruntime/OrtEnvironment.class")
                && entries.contains("ai/onnxruntime/native/linux-x64/libonnxruntime.so"), "ONNX Runtime in the product");
        assertTrue(artifacts.contains("io.bertstream:bertstream-backend-onnxruntime"), artifacts.toString());
    }
}
