package io.bertstream.engine.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The protobuf wire format as every model format here uses it (ONNX, TensorFlow's TensorBundle and SavedModel),
 * on protobuf-java's own codec (CodedInputStream / CodedOutputStream): a message written field by field, a nested
 * message read under its length limit, repeated scalars packed or not. No generated classes: the readers skip what
 * they do not name, so a 400 MB initializer is stepped over, never copied.
 */
public final class Protobuf {

    private Protobuf() {
    }

    /** Writes a message's fields. */
    public interface Fields {
        void write(CodedOutputStream out) throws IOException;
    }

    /** Reads one message's fields until its end (the caller has pushed its limit). */
    public interface Reader<T> {
        T read(CodedInputStream in) throws IOException;
    }

    /** One value of a repeated scalar field. */
    public interface ValueReader {
        void readOne(CodedInputStream in) throws IOException;
    }

    /** The serialised message. */
    public static byte[] message(Fields fields) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            fields.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
    }

    /** A length-delimited message field, read with {@code reader}; what it leaves unread is skipped. */
    public static <T> T nested(CodedInputStream in, Reader<T> reader) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        T value = reader.read(in);
        in.skipRawBytes(in.getBytesUntilLimit());
        in.popLimit(limit);
        return value;
    }

    /** A repeated scalar field: one value, or a packed run of them (both encodings are legal). */
    public static void repeated(CodedInputStream in, int tag, ValueReader reader) throws IOException {
        if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            reader.readOne(in);
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
            reader.readOne(in);
        }
        in.popLimit(limit);
    }
}
