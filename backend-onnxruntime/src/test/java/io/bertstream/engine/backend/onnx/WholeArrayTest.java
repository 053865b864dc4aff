package io.bertstream.engine.backend.onnx;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A pass's hidden states are copied out of ONNX Runtime once: its fresh heap buffer's array is kept, anything else copied. No model needed. */
class WholeArrayTest {

    @Test
    void aFreshHeapBufferGivesItsOwnArray() {
        float[] values = {1, 2, 3};
        FloatBuffer buffer = FloatBuffer.wrap(values);
        assertSame(values, OnnxRuntimeEncoder.wholeArray(buffer));
    }

    @Test
    void aSliceAReadBufferOrADirectBufferIsCopiedWithExactlyItsContents() {
        FloatBuffer slice = FloatBuffer.wrap(new float[] {9, 1, 2, 9}, 1, 2).slice();
        assertArrayEquals(new float[] {1, 2}, OnnxRuntimeEncoder.wholeArray(slice));

        float[] values = {5, 6, 7};
        FloatBuffer advanced = FloatBuffer.wrap(values);
        advanced.get();
        float[] rest = OnnxRuntimeEncoder.wholeArray(advanced);
        assertNotSame(values, rest);
        assertArrayEquals(new float[] {6, 7}, rest);

        FloatBuffer direct = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).asFloatBuffer().put(new float[] {3, 4});
        direct.flip();
        assertArrayEquals(new float[] {3, 4}, OnnxRuntimeEncoder.wholeArray(direct));
    }
}
