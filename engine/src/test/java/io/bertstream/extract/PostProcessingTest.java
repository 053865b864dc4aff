package io.bertstream.extract;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PostProcessingTest {

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    static float[] random(int dims, long seed) {
        Random r = new Random(seed);
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void normalisesThenTruncatesAndReNormalises() {
        float[] v = {3, 4, 12};
        PostProcessing.Processed l2 = new PostProcessing(true, 0, null, null).apply(v);
        assertArrayEquals(new float[] {3 / 13f, 4 / 13f, 12 / 13f}, l2.vector(), 1e-6f);
        assertNull(l2.quantization());
        // truncated to [3, 4] and re-normalised
        assertArrayEquals(new float[] {0.6f, 0.8f}, new PostProcessing(true, 2, null, null).apply(v).vector(), 1e-6f);
        // without normalisation truncation only cuts
        assertArrayEquals(new float[] {3, 4}, new PostProcessing(false, 2, null, null).apply(v).vector());
        assertEquals("l2,truncate:2", new PostProcessing(true, 2, null, null).toString());
        assertEquals("none", PostProcessing.none().toString());
        // a zero vector stays zero instead of turning into NaN
        assertArrayEquals(new float[] {0, 0}, new PostProcessing(true, 0, null, null).apply(new float[2]).vector());
    }

    @Test
    void kLargerThanDimsIsRefusedWithTheValidRange() {
        String message = assertThrows(IllegalArgumentException.class, () -> new PostProcessing(true, 512, null, null).outputDims(384))
                .getMessage();
        assertTrue(message.contains("valid are 1..384"), message);
        assertEquals(48, new PostProcessing(true, 384, null, Quantizer.Kind.BINARY).outputDims(384));
    }

    @Test
    void int8DequantisesWithinHalfAStep() {
        float[] v = PostProcessing.l2(random(384, 1));
        PostProcessing.Processed q = new PostProcessing(true, 0, null, Quantizer.Kind.INT8).apply(v);
        assertEquals("int8", q.quantization().kind());
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < v.length; i++) {
            float code = q.vector()[i];
            assertEquals(Math.rint(code), code);
            assertTrue(code >= -128 && code <= 127, "code " + code);
            min = Math.min(min, code);
            max = Math.max(max, code);
        }
        // the full code range is used: the vector's extremes map to -128 and 127
        assertEquals(-128, min);
        assertEquals(127, max);
        float[] back = Quantizer.dequantize(q.vector(), q.quantization(), v.length);
        for (int i = 0; i < v.length; i++) {
            assertEquals(v[i], back[i], q.quantization().scale() / 2 + 1e-6, "dim " + i);
        }
    }

    @Test
    void binaryPacksSignBitsMostSignificantFirst() {
        float[] v = {0.5f, -1, 2, -0.5f, -3, 1, 1, -1, /* next code */ 2, -2};
        Quantizer.Quantized q = Quantizer.binary(v);
        // bits 1010 0110 -> 0xA6 as a signed byte; then 10 padded with zeros -> 0x80
        assertArrayEquals(new float[] {(byte) 0xA6, (byte) 0x80}, q.codes());
        // mean |v| = 14 / 10; bits dequantise to +-1.4 with the sign of the input
        float[] back = Quantizer.dequantize(q.codes(), q.quantization(), v.length);
        for (int i = 0; i < v.length; i++) {
            assertEquals(Math.signum(v[i]) * 1.4f, back[i], 1e-6f);
        }
    }

    @Test
    void binaryKeepsMostOfTheAngle() {
        float[] v = random(384, 7);
        float[] back = Quantizer.dequantize(Quantizer.binary(v).codes(), Quantizer.binary(v).quantization(), v.length);
        double dot = 0;
        for (int i = 0; i < v.length; i++) {
            dot += v[i] * back[i];
        }
        // for Gaussian vectors E[cos(v, sign(v))] = sqrt(2 / pi) ~ 0.80
        double cos = dot / (norm(v) * norm(back));
        assertTrue(cos > 0.75 && cos < 0.85, "cosine " + cos);
    }
}
