package io.bertstream.engine.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.Checksum;

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
        float[] out = new float[count];
        decodeInto(source, out, 0, count);
        return out;
    }

    private void decodeInto(ByteBuffer source, float[] out, int from, int count) {
        ByteBuffer in = source.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (this) {
            case F32 -> in.asFloatBuffer().get(out, from, count);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[from + i] = halfToFloat(in.getShort(2 * i));
                }
            }
            case BF16 -> {
                // bfloat16 is the top half of an IEEE fp32
                for (int i = 0; i < count; i++) {
                    out[from + i] = Float.intBitsToFloat((in.getShort(2 * i) & 0xffff) << 16);
                }
            }
        }
    }

    /**
     * Reads {@code count} little-endian values stored at byte {@code at} of a file, 1 MiB at a time, so the heap
     * holds the floats and never the bytes as well (a 94 MB table needs 94 MB, not 188). {@code checksum}, when
     * given, sees every byte read.
     */
    public float[] read(Path file, long at, int count, Checksum checksum) throws IOException {
        float[] out = new float[count];
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min((long) count * bytes, 1 << 20));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long position = at;
            for (int done = 0; done < count; ) {
                int n = Math.min(count - done, chunk.capacity() / bytes);
                chunk.clear().limit(n * bytes);
                FileBytes.readFully(channel, chunk, position);
                position += (long) n * bytes;
                chunk.flip();
                if (checksum != null) {
                    checksum.update(chunk.duplicate());
                }
                decodeInto(chunk, out, done, n);
                done += n;
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
