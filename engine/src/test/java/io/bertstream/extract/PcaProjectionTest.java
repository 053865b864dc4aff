package io.bertstream.extract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcaProjectionTest {

    /** Points on a 2-D plane inside 6-D space, plus an offset, with most variance along the first direction. */
    static List<float[]> planeSample(int n) {
        Random r = new Random(3);
        float[] a = {1, 0, 1, 0, 0, 0};
        float[] b = {0, 1, 0, -1, 1, 0};
        List<float[]> sample = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double s = 5 * r.nextGaussian();
            double t = r.nextGaussian();
            float[] v = new float[6];
            for (int d = 0; d < 6; d++) {
                v[d] = (float) (2 + s * a[d] + t * b[d]);
            }
            sample.add(v);
        }
        return sample;
    }

    @Test
    void recoversAPlaneAndOrdersAxesByVariance() {
        List<float[]> sample = planeSample(50);
        PcaProjection pca = PcaProjection.fit(sample, 2, "m", "sha", "key");
        assertEquals(6, pca.inputDims());
        assertEquals(2, pca.outputDims());
        assertTrue(pca.explainedVariance()[0] > 10 * pca.explainedVariance()[1], "variances " + pca.explainedVariance()[0]
                + ", " + pca.explainedVariance()[1]);
        // two axes keep all the variance of points on a plane
        assertEquals(1.0, pca.explainedShare(), 1e-6);
        // the first axis is +-(1, 0, 1, 0, 0, 0) / sqrt 2
        assertEquals(1 / Math.sqrt(2), Math.abs(pca.components()[0][0]), 1e-3);
        // two axes span the plane: every sample point comes back from its two coordinates
        for (float[] v : sample) {
            assertArrayEquals(v, pca.reconstruct(pca.project(v)), 1e-3f);
        }
        // one axis cannot: the t-direction is lost
        PcaProjection one = PcaProjection.fit(sample, 1, "m", "sha", "key");
        float[] v = sample.get(0);
        float[] back = one.reconstruct(one.project(v));
        double err = 0;
        for (int d = 0; d < 6; d++) {
            err += (v[d] - back[d]) * (v[d] - back[d]);
        }
        assertTrue(err > 1e-4, "a 1-axis projection of a plane should lose something, error " + err);
    }

    @Test
    void fileRoundTripKeepsTheProjectionAndRefusesOtherModels(@TempDir Path dir) throws Exception {
        PcaProjection pca = PcaProjection.fit(planeSample(20), 2, "all-minilm-l6-v2", "aaa", "layers -1; pooling mean");
        Path file = dir.resolve("pca.json");
        pca.write(file);
        assertTrue(Files.readString(file).contains("\"version\" : 1"));
        PcaProjection read = PcaProjection.read(file);
        float[] v = planeSample(21).get(20);
        assertArrayEquals(pca.project(v), read.project(v));
        assertEquals(pca.fingerprint(), read.fingerprint());
        read.checkApplicable("aaa", "layers -1; pooling mean");
        String other = assertThrows(IllegalArgumentException.class, () -> read.checkApplicable("bbb", "layers -1; pooling mean")).getMessage();
        assertTrue(other.contains("fitted for model all-minilm-l6-v2"), other);
        assertThrows(IllegalArgumentException.class, () -> read.checkApplicable("aaa", "layers -2; pooling cls"));
        assertThrows(IllegalArgumentException.class, () -> read.project(new float[5]));
    }

    @Test
    void refusesUnreadableVersionsAndImpossibleK(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("old.json");
        Files.writeString(file, "{\"format\":\"bertstream-pca\",\"version\":99,\"modelName\":\"m\",\"modelSha256\":\"s\","
                + "\"fittedFor\":\"k\",\"sampleSize\":1,\"mean\":[0],\"components\":[[1]],\"explainedVariance\":[1],\"totalVariance\":1}");
        assertTrue(assertThrows(java.io.IOException.class, () -> PcaProjection.read(file)).getMessage().contains("version 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaProjection.fit(planeSample(10), 7, "m", "s", "k"))
                .getMessage().contains("valid k is 1..6"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> PcaProjection.fit(planeSample(3), 3, "m", "s", "k"))
                .getMessage().contains("more than 3 sample texts"));
    }
}
