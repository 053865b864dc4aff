package io.bertstream.dist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.cli.RunnableJar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU / PyTorch distribution, dist-pytorch/target/bertstream-pytorch.jar, as `java -jar` runs it: the product
 * plus the PyTorch backend and libtorch for CPU; still no tooling. On a CPU machine it behaves like the product jar
 * (ONNX Runtime for models with a graph, libtorch never loaded) until the PyTorch backend is asked for.
 */
class PyTorchDistributionIT {

    private static final RunnableJar JAR = RunnableJar.fromSystemProperty("target/bertstream-pytorch.jar");

    @Test
    void carriesTheProductAndThePyTorchBackendWithLibtorchForCpu() throws Exception {
        JAR.assertCarriesTheProductOnly();
        assertTrue(JAR.artifacts().contains("io.bertstream:bertstream-backend-pytorch"), JAR.artifacts().toString());
        // DJL's jars carry no Maven metadata: look for libtorch itself
        assertTrue(JAR.entries().contains("pytorch/cpu/linux-x86_64/libtorch_cpu.so"), "libtorch for CPU in the jar");
    }

    @Test
    void loadsEveryNativeRuntimeAndTheBuiltInModelFromTheJarAlone() throws Exception {
        RunnableJar.Result r = JAR.run("inspect", "--model", "minilm", "--runtime", "--json");
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

    /** AUTO on a CPU machine: ONNX Runtime runs MiniLM, libtorch stays unloaded, nothing warns. */
    @Test
    void onACpuMachineRunsOnnxRuntimeQuietlyWithoutLoadingLibtorch(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("one.txt"), "The quick brown fox jumps over the lazy dog.\n");
        Path output = dir.resolve("out.jsonl");
        Path libraries = dir.resolve("libraries.log");
        RunnableJar.Result r = JAR.run(List.of("-Xmx128m", "-Xlog:library=info:file=" + libraries),
                "embed", input.toString(), "-o", output.toString());
        assertEquals(0, r.exitCode(), r.out());
        JsonNode record = new ObjectMapper().readTree(Files.readString(output));
        assertEquals("onnxruntime-cpu", record.get("model").get("backend").asText());
        assertTrue(r.out().lines().noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ")), r.out());
        assertFalse(Files.readString(libraries).contains("libtorch"), "libtorch was loaded");
    }

    /** Asked for, the PyTorch backend runs the same text from the jar's libtorch, to the same vector. */
    @Test
    void thePyTorchBackendEmbedsLikeOnnxRuntime(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("one.txt"), "The quick brown fox jumps over the lazy dog.\n");
        Path torchOut = dir.resolve("torch.jsonl");
        Path onnxOut = dir.resolve("onnx.jsonl");
        RunnableJar.Result torch = JAR.run("embed", "--backend", "pytorch", input.toString(), "-o", torchOut.toString());
        assertEquals(0, torch.exitCode(), torch.out());
        assertEquals(0, JAR.run("embed", input.toString(), "-o", onnxOut.toString()).exitCode());
        JsonNode a = new ObjectMapper().readTree(Files.readString(torchOut));
        JsonNode b = new ObjectMapper().readTree(Files.readString(onnxOut));
        assertTrue(a.at("/model/backend").asText().startsWith("pytorch"), a.at("/model/backend").asText());
        assertEquals(384, a.get("vector").size());
        double dot = 0;
        for (int i = 0; i < 384; i++) {
            dot += a.get("vector").get(i).asDouble() * b.get("vector").get(i).asDouble();
        }
        assertTrue(dot > 0.9999, "cosine of the two backends' unit vectors: " + dot);
    }
}
