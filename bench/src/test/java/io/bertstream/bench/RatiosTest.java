package io.bertstream.bench;

import io.bertstream.bench.BenchOptions.PipelineShape;
import io.bertstream.bench.BenchReport.Latency;
import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.bench.BenchReport.Ratio;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RatiosTest {

    private static Phase phase(String id, double rate, Double padded) {
        return phase(id, rate, padded, null, null);
    }

    private static Phase phase(String id, double rate, Double padded, Double rowsPerPass, Latency latency) {
        return new Phase(id, id, "", 0, 0, rate, new double[] {rate}, padded, rowsPerPass, 0, 0, 0, null, List.of(),
                latency, null);
    }

    private static Ratio named(List<Ratio> ratios, String name) {
        return ratios.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no ratio '" + name + "' in " + ratios));
    }

    @Test
    void engineSideIsItsFasterBackendAndGoalsAreJudged() {
        // p99 300 ms against 50 linger + 100 commit interval + 2 x 40 ms mean pass = 230 ms
        Latency latency = new Latency(90, 90, 120, 300, 1000, 50, 100, 40);
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("a", 100, null), phase("b", 200, 0.02),
                phase("c-onnxruntime", 190, null, 20.0, null), phase("d@16p1t", 150, 0.05, 12.0, null),
                phase("d@16p2t", 180, 0.12, 18.0, latency), phase("c-pytorch", 90, null)), 2e-7);
        assertEquals("c-onnxruntime / a", ratios.get(0).name());
        assertEquals(1.9, ratios.get(0).value(), 1e-9);
        assertTrue(ratios.get(0).met());
        assertEquals(0.95, ratios.get(1).value(), 1e-9);
        assertTrue(ratios.get(1).met());

        Ratio shape = named(ratios, "d@16p2t / c-onnxruntime");
        assertEquals(180 / 190.0, shape.value(), 1e-9);
        assertNull(shape.met(), "each shape is reported without a goal");
        assertEquals(150 / 190.0, named(ratios, "d@16p1t / c-onnxruntime").value(), 1e-9);
        Ratio best = named(ratios, "d@16p best / c-onnxruntime");
        assertEquals(180 / 190.0, best.value(), 1e-9, "the faster thread count at 16 partitions");
        assertFalse(best.met(), "0.947 misses the 0.95 goal");
        Ratio rows = named(ratios, "rows per pass d@16p best / c-onnxruntime");
        assertEquals(18 / 20.0, rows.value(), 1e-9);
        assertTrue(rows.met(), "within 15 %");
        Ratio padded = named(ratios, "padded share d@16p best");
        assertEquals(0.12, padded.value(), 1e-9);
        assertFalse(padded.met(), "padding is an at-most goal");
        Ratio p99 = named(ratios, "p99 latency d@16p best / (linger + commit interval + 2 x mean pass)");
        assertEquals(300 / 230.0, p99.value(), 1e-9);
        assertFalse(p99.met());
        Ratio invariance = named(ratios, "batch invariance max abs difference (fp32)");
        assertEquals(2e-7, invariance.value(), 1e-15);
        assertTrue(invariance.met());
    }

    @Test
    void int8IsJudgedAgainstTheFp32EngineOnOnnxRuntimeAndByItsWorstCosine() {
        Phase int8 = phase("int8", 300, 0.02).withFidelity(0.9994);
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("b", 200, 0.02), int8, phase("c-onnxruntime", 190, null),
                phase("c-pytorch", 250, null)), null);
        Ratio speed = ratios.stream().filter(r -> r.name().equals("int8 / c-onnxruntime")).findFirst().orElseThrow();
        assertEquals(300 / 190.0, speed.value(), 1e-9);
        assertFalse(speed.met(), "the goal is 2x the fp32 engine");
        Ratio cosine = ratios.stream().filter(r -> r.name().equals("int8 min cosine")).findFirst().orElseThrow();
        assertEquals(0.9994, cosine.value(), 1e-12);
        assertTrue(cosine.met());
    }

    @Test
    void aFailedOrMissingPhaseLeavesItsRatiosUnmeasured() {
        Phase failed = Phase.failed("d@16p2t", "pipeline", new IllegalStateException("broker down"));
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("a", 100, null), phase("c-pytorch", 50, null), failed), null);
        assertEquals(0.5, ratios.get(0).value(), 1e-9);
        assertNull(ratios.get(1).value());
        assertNull(named(ratios, "d@16p2t / c-onnxruntime").value());
        Ratio best = named(ratios, "d@16p best / c-onnxruntime");
        assertNull(best.value());
        assertFalse(best.met());
        assertTrue(ratios.stream().noneMatch(r -> r.name().startsWith("batch invariance")),
                "no invariance line when the ONNX Runtime engine did not run");
    }

    @Test
    void runRateIsTheWholeRunNotAWindowInsideBursts() {
        // two commit-sized bursts after a slow start: a 10th-90th percentile window (both bursts, 100 ms apart)
        // would claim 80 events / 0.1 s = 800/s; the run delivered 100 events in 2.1 s
        long[] bursts = new long[100];
        Arrays.fill(bursts, 0, 50, 2_000_000_000L);
        Arrays.fill(bursts, 50, 100, 2_100_000_000L);
        assertEquals(100 / 2.1, PipelineBench.runRate(bursts, 0), 1e-9);
    }

    @Test
    void runRateIsFiniteWhenEverythingArrivesInOnePoll() {
        // the flaky quick bench: 64 events, all in one poll 2 s after the first send
        long[] arrivals = new long[64];
        Arrays.fill(arrivals, 2_000_000_000L);
        assertEquals(32.0, PipelineBench.runRate(arrivals, 0), 1e-9);
        long[] bursts = nanos(1000, 1000, 1000, 1100, 1100, 1100, 1200, 1200, 1200, 1200);
        assertEquals(10 / 1.2, PipelineBench.runRate(bursts, 0), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> PipelineBench.runRate(new long[0], 0));
    }

    @Test
    void quantilesOfNothingAreNotANumberNotAnException() {
        assertTrue(Double.isNaN(Throughput.quantile(new double[0], 0.99)));
        assertTrue(Double.isNaN(Throughput.median(new double[0])));
        assertEquals(3.0, Throughput.quantile(new double[] {3, 1, 2}, 0.99), 0);
    }

    @Test
    void pipelineShapesParseAndNameTheirPhases() {
        assertEquals("d@16p2t", PipelineShape.parse(" 16x2 ").phaseId());
        assertThrows(IllegalArgumentException.class, () -> PipelineShape.parse("16"));
        assertThrows(IllegalArgumentException.class, () -> PipelineShape.parse("0x1"));
        assertEquals(6, BenchOptions.full().pipelineShapes().size());
        assertEquals(List.of(new PipelineShape(16, 2)), BenchOptions.quick().pipelineShapes());
    }

    @Test
    void theInvarianceTextsSpanTheCorpusLengths() {
        List<String> texts = List.of("c", "a", "e", "b", "d");
        int[] tokens = {3, 1, 5, 2, 4};
        assertEquals(List.of("a", "c", "e"), Benchmark.mixedLengths(texts, tokens, 3));
        assertEquals(List.of("a", "b", "c", "d", "e"), Benchmark.mixedLengths(texts, tokens, 16));
    }

    private static long[] nanos(long... millis) {
        return Arrays.stream(millis).map(ms -> ms * 1_000_000).toArray();
    }
}
