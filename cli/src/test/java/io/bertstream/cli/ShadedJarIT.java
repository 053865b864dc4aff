package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    @Test
    void mainClassAndExitCodesWorkFromTheJar() throws Exception {
        Result help = run("--help");
        assertEquals(0, help.exitCode(), help.out());
        assertTrue(help.out().contains("demo"), help.out());
        assertEquals(2, run("no-such-command").exitCode());
    }

    private static Result run(String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), "shaded jar built by `package`: " + JAR.toAbsolutePath());
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished in time");
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
