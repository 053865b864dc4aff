package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged bertstream.jar on its own, as `java -jar` runs it (after `package`, so under failsafe): its
 * manifest, the merged ServiceLoader files, the native libraries (libtorch, ONNX Runtime, tokenizers) and the
 * model weights must all have survived shading.
 */
class ShadedJarIT {

    private static final Path JAR = Path.of(System.getProperty("bertstream.jar", "target/bertstream.jar"));

    record Result(int exitCode, String out) {
    }

    @Test
    void loadsEveryNativeRuntimeAndTheBuiltInModelFromTheJarAlone() throws Exception {
        Result r = run("inspect", "--model", "minilm", "--runtime", "--json");
        assertEquals(0, r.exitCode(), r.out());
        String json = r.out().substring(r.out().indexOf('{'));
        JsonNode report = new ObjectMapper().readTree(json);
        JsonNode runtime = report.get("runtime");
        assertTrue(runtime.get("pytorch").asText().startsWith("2.7.1"), "libtorch from the jar: " + runtime);
        assertTrue(runtime.get("onnxruntime").asText().startsWith("1.22"), "ONNX Runtime from the jar: " + runtime);
        assertEquals("loaded", runtime.get("tokenizers").asText());
        assertEquals(6, report.get("model").get("layers").asInt(), "MiniLM weights from the jar");
        assertEquals(384, report.get("model").get("dims").asInt());
    }

    /**
     * What a CPU deployment sees: one text embedded with the built-in MiniLM in a 128 MB heap, no WARN or ERROR
     * line from anything, and libtorch never loaded (the JVM logs every native library it loads).
     */
    @Test
    void embedsWithASmallHeapQuietlyAndWithoutLoadingLibtorch(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("one.txt"), "The quick brown fox jumps over the lazy dog.\n");
        Path output = dir.resolve("out.jsonl");
        Path libraries = dir.resolve("libraries.log");
        Result r = run(List.of("-Xmx128m", "-Xlog:library=info:file=" + libraries),
                "embed", input.toString(), "-o", output.toString());
        assertEquals(0, r.exitCode(), r.out());
        JsonNode record = new ObjectMapper().readTree(Files.readString(output));
        assertEquals(384, record.get("vector").size());
        assertEquals("onnxruntime-cpu", record.get("model").get("backend").asText());
        assertTrue(r.out().lines().noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ")), r.out());
        String loaded = Files.readString(libraries);
        assertTrue(loaded.contains("onnxruntime"), "ONNX Runtime ran: " + loaded);
        assertFalse(loaded.contains("libtorch"), "libtorch was loaded:\n" + loaded);
    }

    @Test
    void mainClassAndExitCodesWorkFromTheJar() throws Exception {
        Result help = run("--help");
        assertEquals(0, help.exitCode(), help.out());
        assertTrue(help.out().contains("demo"), help.out());
        assertEquals(2, run("no-such-command").exitCode());
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        return run(List.of(), args);
    }

    private static Result run(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), "shaded jar built by `package`: " + JAR.toAbsolutePath());
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished in time");
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
