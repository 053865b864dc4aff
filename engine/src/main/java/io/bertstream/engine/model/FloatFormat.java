package io.bertstream.engine.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The floating-point encodings checkpoints store weights in; every one is widened to fp32 on load. */
public enum FloatFormat {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    FloatFormat(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** Decodes {@code count} little-endian values from the buffer's position. */
    public float[] decode(ByteBuffer source, int count) {
        ByteBuffer in = source.slice().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[count];
        switch (this) {
            case F32 -> in.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = halfToFloat(in.getShort(2 * i));
                }
            }
            case BF16 -> {
                // bfloat16 is the top half of an IEEE fp32
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((in.getShort(2 * i) & 0xffff) << 16);
                }
            }
        }
        return out;
    }

    /** IEEE 754 binary16 to fp32 (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: the value is mantissa * 2^-24
            float value = mantissa * 0x1p-24f;
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** A float constant (e.g. a graph's LayerNorm epsilon) as the decimal it was written as: 1e-12, not 9.99e-13. */
    public static double shortestDecimal(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    /** Row-major [rows, cols] to [cols, rows]: TF and ONNX store Linear kernels as [in, out]. */
    public static float[] transpose(float[] data, int rows, int cols) {
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return out;
    }
}
