package io.bertstream.extract;

import java.util.Locale;

/**
 * Compact codes for vector stores. int8: one code per dimension, {@code value ≈ code * scale + offset}, scale and
 * offset from the vector's own min and max (error at most scale / 2). binary: one sign bit per dimension, packed
 * 8 per code MSB first (codes as signed bytes, as Elasticsearch bit vectors take them); a set bit dequantises to
 * +m and a clear one to -m, m = mean |value|, i.e. {@code bit * scale + offset} with scale 2m, offset -m.
 */
public final class Quantizer {

    public enum Kind {
        INT8, BINARY;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Kind parse(String name) {
            for (Kind k : values()) {
                if (k.label().equalsIgnoreCase(name.strip())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown quantisation '" + name + "': valid are int8, binary");
        }

        /** Number of codes for a vector of {@code dims} values. */
        public int codes(int dims) {
            return this == INT8 ? dims : (dims + 7) / 8;
        }
    }

    /** Codes and how to read them back. */
    public record Quantized(float[] codes, Embedding.Quantization quantization) {
    }

    private Quantizer() {
    }

    public static Quantized quantize(float[] v, Kind kind) {
        return kind == Kind.INT8 ? int8(v) : binary(v);
    }

    static Quantized int8(float[] v) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        // A constant vector still needs a non-zero scale; any works since every code maps back to min.
        float scale = max > min ? (max - min) / 255f : 1f;
        float offset = min + 128 * scale;
        float[] codes = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            codes[i] = Math.max(-128, Math.min(127, Math.round((v[i] - offset) / scale)));
        }
        return new Quantized(codes, new Embedding.Quantization("int8", scale, offset));
    }

    static Quantized binary(float[] v) {
        double absSum = 0;
        for (float x : v) {
            absSum += Math.abs(x);
        }
        float m = (float) (absSum / v.length);
        float[] codes = new float[Kind.BINARY.codes(v.length)];
        for (int c = 0; c < codes.length; c++) {
            int bits = 0;
            for (int b = 0; b < 8; b++) {
                int i = c * 8 + b;
                bits = (bits << 1) | (i < v.length && v[i] > 0 ? 1 : 0);
            }
            codes[c] = (byte) bits;
        }
        return new Quantized(codes, new Embedding.Quantization("binary", 2 * m, -m));
    }

    /** Approximate values of the {@code dims}-dimensional vector the codes stand for. */
    public static float[] dequantize(float[] codes, Embedding.Quantization q, int dims) {
        float[] v = new float[dims];
        for (int i = 0; i < dims; i++) {
            float code = q.kind().equals("binary") ? ((int) codes[i / 8] >> (7 - i % 8)) & 1 : codes[i];
            v[i] = code * q.scale() + q.offset();
        }
        return v;
    }
}
