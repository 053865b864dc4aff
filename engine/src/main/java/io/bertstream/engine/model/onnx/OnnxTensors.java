package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.OptionalDouble;

import static io.bertstream.engine.model.onnx.OnnxProto.BFLOAT16;
import static io.bertstream.engine.model.onnx.OnnxProto.FLOAT;
import static io.bertstream.engine.model.onnx.OnnxProto.FLOAT16;
import static io.bertstream.engine.model.onnx.OnnxProto.INT64;

/** Values of ONNX tensors: raw_data (little-endian, any float width) or the typed repeated fields, sizes checked. */
public final class OnnxTensors {

    private OnnxTensors() {
    }

    public static boolean isFloatingPoint(Tensor t) {
        return t.dataType() == FLOAT || t.dataType() == FLOAT16 || t.dataType() == BFLOAT16;
    }

    /** The size raw_data must have, checked when the model is read so a corrupt file fails then, not later. */
    static void checkSize(Tensor t, String origin) {
        if (t.external()) {
            throw new ModelLoadException(origin + ": tensor '" + t.name() + "' is stored as external data, "
                    + "which bertstream does not read; export with the weights inside the .onnx file");
        }
        FloatFormat format = format(t, origin);
        long count = t.elementCount();
        if (t.raw().size() > 0 || t.floatData().length == 0) {
            if (t.raw().size() != count * format.bytes()) {
                throw new ModelLoadException(origin + ": tensor '" + t.name() + "' " + Arrays.toString(t.dims())
                        + " should hold " + count * format.bytes() + " bytes but holds " + t.raw().size());
            }
        } else if (t.dataType() != FLOAT || t.floatData().length != count) {
            throw new ModelLoadException(origin + ": tensor '" + t.name() + "' " + Arrays.toString(t.dims())
                    + " holds " + t.floatData().length + " values");
        }
    }

    /** The values widened to fp32, read now (from the file when raw_data stayed there). */
    public static float[] floats(Tensor t, String origin) {
        checkSize(t, origin);
        if (t.raw().size() > 0 || t.floatData().length == 0) {
            return t.raw().floats(format(t, origin), (int) t.elementCount());
        }
        return t.floatData();
    }

    private static FloatFormat format(Tensor t, String origin) {
        return switch (t.dataType()) {
            case FLOAT -> FloatFormat.F32;
            case FLOAT16 -> FloatFormat.F16;
            case BFLOAT16 -> FloatFormat.BF16;
            default -> throw new ModelLoadException(origin + ": tensor '" + t.name() + "' has data type "
                    + t.dataType() + ", not a floating-point type");
        };
    }

    /** Integer values (shape constants); empty when the tensor is not INT64. */
    public static long[] longs(Tensor t) {
        if (t.dataType() != INT64) {
            return new long[0];
        }
        if (t.raw().size() > 0) {
            long[] out = new long[(int) (t.raw().size() / Long.BYTES)];
            t.raw().read().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
        return t.int64Data();
    }

    /** A single floating-point value (a scalar constant) as the decimal it was written as, if this is one. */
    public static OptionalDouble scalar(Tensor t) {
        if (t.dataType() != FLOAT || t.elementCount() != 1 || t.external()) {
            return OptionalDouble.empty();
        }
        if (t.raw().size() == Float.BYTES) {
            return OptionalDouble.of(FloatFormat.shortestDecimal(FloatFormat.F32.decode(t.raw().read(), 1)[0]));
        }
        return t.floatData().length == 1 ? OptionalDouble.of(FloatFormat.shortestDecimal(t.floatData()[0]))
                : OptionalDouble.empty();
    }
}
