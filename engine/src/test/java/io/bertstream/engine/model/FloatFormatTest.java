package io.bertstream.engine.model;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** fp16 decoding against values fixed by IEEE 754 binary16, including subnormals and specials. */
class FloatFormatTest {

    @Test
    void halfPrecisionValues() {
        short[] bits = {0x3c00, (short) 0xc000, 0x7bff, 0x0400, 0x0001, 0x0000, (short) 0x8000, 0x7c00, 0x3555};
        float[] expected = {1f, -2f, 65504f, 0x1p-14f, 0x1p-24f, 0f, -0f, Float.POSITIVE_INFINITY, 0.33325195f};
        ByteBuffer buffer = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short b : bits) {
            buffer.putShort(b);
        }
        assertArrayEquals(expected, FloatFormat.F16.decode(buffer.flip(), bits.length));
        assertEquals(Float.NaN, FloatFormat.halfToFloat((short) 0x7e00));
    }

    @Test
    void transposeSwapsRowsAndColumns() {
        float[] rowsByCols = {1, 2, 3, 4, 5, 6}; // [[1,2,3],[4,5,6]]
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, FloatFormat.transpose(rowsByCols, 2, 3));
    }

    @Test
    void graphConstantsReadAsTheirDecimal() {
        assertEquals(1e-12, FloatFormat.shortestDecimal(1e-12f));
    }
}
