package io.bertstream.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.cli.Bertstream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps `bertstream bench` working: the quick bench must run every phase and report sane numbers. No timing goals. */
class BenchCommandTest {

    @Test
    void quickBenchRunsEveryPhaseAndWritesBothReports(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        Path markdown = dir.resolve("bench.md");

        int exit = Bertstream.execute("bench", "--quick", "--out", json.toString(), "--out", markdown.toString());

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        List<String> ids = new ArrayList<>();
        for (JsonNode phase : report.get("phases")) {
            String id = phase.get("id").asText();
            ids.add(id);
            assertTrue(phase.get("error").isNull(), id + " failed: " + phase.get("error").asText());
            assertTrue(phase.get("sentencesPerSecond").asDouble() > 0, id + " rate");
            assertTrue(phase.get("gflops").asDouble() > 0, id + " GFLOP/s");
            if (id.startsWith("c-")) {
                // the engine must compute the same vectors as raw ONNX Runtime on the same graph
                assertTrue(phase.get("minCosineToB").asDouble() > 0.999, id + " fidelity " + phase.get("minCosineToB"));
            }
        }
        // quick runs (d) at one shape: 16 input partitions, 2 stream threads
        assertEquals(List.of("a", "b", "c-onnxruntime", "d@16p2t", "c-pytorch"), ids);
        assertEquals(0, exit);
        assertTrue(report.get("matmulPeakGflops").asDouble() > 0);
        JsonNode pipeline = report.get("phases").get(3);
        assertTrue(pipeline.get("latency").get("p99Millis").asDouble() >= pipeline.get("latency").get("p50Millis").asDouble());
        assertTrue(pipeline.get("rowsPerPass").asDouble() >= 1, "rows per pass " + pipeline.get("rowsPerPass"));
        Map<String, Double> ratios = new HashMap<>();
        for (JsonNode ratio : report.get("ratios")) {
            assertFalse(ratio.get("value").isNull(), ratio.get("name").asText() + " not computed");
            ratios.put(ratio.get("name").asText(), ratio.get("value").asDouble());
        }
        for (String name : List.of("d@16p2t / c-onnxruntime", "d@16p best / c-onnxruntime",
                "rows per pass d@16p best / c-onnxruntime", "padded share d@16p best",
                "p99 latency d@16p best / (linger + commit interval + 2 x mean pass)",
                "batch invariance max abs difference (fp32)")) {
            assertTrue(ratios.containsKey(name), name + " missing from " + ratios.keySet());
            double value = ratios.get(name);
            // padding and the invariance difference may be exactly 0; every rate and time is positive
            boolean mayBeZero = name.startsWith("padded") || name.startsWith("batch invariance");
            assertTrue(Double.isFinite(value) && (mayBeZero ? value >= 0 : value > 0), name + " = " + value);
        }
        assertTrue(ratios.get("batch invariance max abs difference (fp32)") <= 1e-6,
                "batch invariance " + ratios.get("batch invariance max abs difference (fp32)"));
        String md = Files.readString(markdown);
        assertTrue(md.contains("| ratio | value | goal | met |") && md.contains("c-onnxruntime"), md);
    }

    @Test
    void unknownPhaseIsAUsageError() {
        assertEquals(2, Bertstream.execute("bench", "--quick", "--phases", "a,z"));
    }
}
