package io.bertstream.bench;

import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.bench.BenchReport.Ratio;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RatiosTest {

    private static Phase phase(String id, double rate, Double padded) {
        return new Phase(id, id, "", 0, 0, rate, new double[] {rate}, padded, 0, 0, 0, null, List.of(), null, null);
    }

    @Test
    void engineSideIsItsFasterBackendAndGoalsAreJudged() {
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("a", 100, null), phase("b", 200, 0.02),
                phase("c-onnxruntime", 190, null), phase("d", 180, 0.12), phase("c-pytorch", 90, null)));
        assertEquals("c-onnxruntime / a", ratios.get(0).name());
        assertEquals(1.9, ratios.get(0).value(), 1e-9);
        assertTrue(ratios.get(0).met());
        assertEquals(0.95, ratios.get(1).value(), 1e-9);
        assertTrue(ratios.get(1).met());
        assertEquals(180 / 190.0, ratios.get(2).value(), 1e-9);
        assertTrue(ratios.get(2).met());
        assertEquals(0.12, ratios.get(3).value(), 1e-9);
        assertFalse(ratios.get(3).met(), "padding is an at-most goal");
    }

    @Test
    void int8IsJudgedAgainstTheFp32EngineOnOnnxRuntimeAndByItsWorstCosine() {
        Phase int8 = phase("int8", 300, 0.02).withFidelity(0.9994);
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("b", 200, 0.02), int8, phase("c-onnxruntime", 190, null),
                phase("c-pytorch", 250, null)));
        Ratio speed = ratios.stream().filter(r -> r.name().equals("int8 / c-onnxruntime")).findFirst().orElseThrow();
        assertEquals(300 / 190.0, speed.value(), 1e-9);
        assertFalse(speed.met(), "the goal is 2x the fp32 engine");
        Ratio cosine = ratios.stream().filter(r -> r.name().equals("int8 min cosine")).findFirst().orElseThrow();
        assertEquals(0.9994, cosine.value(), 1e-12);
        assertTrue(cosine.met());
    }

    @Test
    void aFailedOrMissingPhaseLeavesItsRatiosUnmeasured() {
        Phase failed = Phase.failed("d", "pipeline", new IllegalStateException("broker down"));
        List<Ratio> ratios = Benchmark.ratios(List.of(phase("a", 100, null), phase("c-pytorch", 50, null), failed));
        assertEquals(0.5, ratios.get(0).value(), 1e-9);
        assertNull(ratios.get(1).value());
        assertNull(ratios.get(2).value());
        assertFalse(ratios.get(2).met());
    }

    @Test
    void steadyRateLeavesOutStartAndDrain() {
        // 10 arrivals: a slow start, then one per 10 ms, then a late straggler
        long[] arrivals = {0, 500, 510, 520, 530, 540, 550, 560, 570, 5000};
        assertEquals(100.0, PipelineBench.steadyRate(arrivals), 1e-9);
    }
}
