package io.bertstream.engine.model.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.FileBytes;
import io.bertstream.engine.model.onnx.OnnxGraph.GraphField;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A copy of an ONNX model file with its graph's fields edited: some dropped, some replaced where they stand, new
 * ones appended. Every other byte is copied from the original file as it is, streamed (file to file, never whole
 * on the heap), so fields this codec does not name survive. Protobuf concatenates repeated fields, so appending a
 * node or an output to the GraphProto is appending its bytes, and a node replaced by several keeps the node list
 * in topological order.
 */
public final class GraphEdit {

    private final OnnxGraph graph;
    private final Set<GraphField> dropped = new HashSet<>();
    private final Map<GraphField, List<Field>> replaced = new HashMap<>();
    private final List<Field> appended = new ArrayList<>();

    /**
     * One field to write: tag, length and {@code head} now; {@code tail} (e.g. a tensor's raw data) produced only
     * while the file is written, so a large payload is on the heap one at a time.
     */
    private record Field(byte[] head, int tailLength, Supplier<byte[]> tail) {

        static Field of(int fieldNumber, byte[] message) {
            return deferred(fieldNumber, message, 0, () -> new byte[0]);
        }

        static Field deferred(int fieldNumber, byte[] head, int tailLength, Supplier<byte[]> tail) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(head.length + 16);
            try {
                CodedOutputStream out = CodedOutputStream.newInstance(bytes);
                out.writeTag(fieldNumber, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                out.writeUInt32NoTag(Math.addExact(head.length, tailLength));
                out.writeRawBytes(head);
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing to memory cannot fail", e);
            }
            return new Field(bytes.toByteArray(), tailLength, tail);
        }

        long size() {
            return head.length + (long) tailLength;
        }

        void writeTo(FileChannel out) throws IOException {
            writeFully(out, head);
            if (tailLength > 0) {
                byte[] bytes = tail.get();
                if (bytes.length != tailLength) {
                    throw new IllegalStateException("a deferred field promised " + tailLength + " bytes and gave " + bytes.length);
                }
                writeFully(out, bytes);
            }
        }
    }

    public GraphEdit(OnnxGraph graph) {
        this.graph = graph;
    }

    public OnnxGraph graph() {
        return graph;
    }

    public GraphEdit drop(GraphField field) {
        dropped.add(field);
        return this;
    }

    /** Writes these messages (fields of the same number) where {@code field} stood, instead of it. */
    public GraphEdit replace(GraphField field, List<byte[]> messages) {
        replaced.put(field, messages.stream().map(m -> Field.of(field.number(), m)).toList());
        return this;
    }

    /** Appends a field (a serialised message, e.g. from {@link OnnxProto#node}) to the GraphProto. */
    public GraphEdit append(int fieldNumber, byte[] message) {
        appended.add(Field.of(fieldNumber, message));
        return this;
    }

    /**
     * Appends a field whose message is {@code head} followed by {@code tailLength} bytes that {@code tail} produces
     * only when the file is written (e.g. {@link OnnxProto#tensorHead} and the tensor's data).
     */
    public GraphEdit append(int fieldNumber, byte[] head, int tailLength, Supplier<byte[]> tail) {
        appended.add(Field.deferred(fieldNumber, head, tailLength, tail));
        return this;
    }

    /** The payload of one of the graph's fields (a node, an initializer...), read from the file. */
    public byte[] read(GraphField field) {
        try {
            CodedInputStream message = CodedInputStream.newInstance(
                    FileBytes.read(graph.file(), field.start(), Math.toIntExact(field.end() - field.start())));
            message.readTag();
            return message.readByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(graph.file() + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Writes the edited model to {@code target} (aside first, then moved into place). */
    public void writeTo(Path target) {
        Path partial = null;
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            partial = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName() + ".", ".partial");
            try (FileChannel in = FileChannel.open(graph.file(), StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(partial, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                long payload = appended.stream().mapToLong(Field::size).sum();
                for (GraphField field : graph.fields()) {
                    List<Field> instead = replaced.get(field);
                    payload += instead != null ? instead.stream().mapToLong(Field::size).sum()
                            : dropped.contains(field) ? 0 : field.end() - field.start();
                }
                copy(in, 0, graph.graphFieldStart(), out);
                OutputStream header = Channels.newOutputStream(out);
                CodedOutputStream tag = CodedOutputStream.newInstance(header, 16);
                tag.writeTag(OnnxProto.MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                tag.writeUInt32NoTag(Math.toIntExact(payload));
                tag.flush();
                for (GraphField field : graph.fields()) {
                    List<Field> instead = replaced.get(field);
                    if (instead != null) {
                        for (Field f : instead) {
                            f.writeTo(out);
                        }
                    } else if (!dropped.contains(field)) {
                        copy(in, field.start(), field.end() - field.start(), out);
                    }
                }
                for (Field field : appended) {
                    field.writeTo(out);
                }
                copy(in, graph.graphEnd(), in.size() - graph.graphEnd(), out);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (partial != null) {
                try {
                    Files.deleteIfExists(partial);
                } catch (IOException ignored) {
                    // a stray .partial file never shadows the target
                }
            }
        }
    }

    private static void writeFully(FileChannel out, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /** The kernel copies file to file; the bytes never pass through the Java heap. */
    private static void copy(FileChannel in, long from, long count, FileChannel out) throws IOException {
        long done = 0;
        while (done < count) {
            long n = in.transferTo(from + done, count - done, out);
            if (n <= 0) {
                throw new IOException("short copy at byte " + (from + done));
            }
            done += n;
        }
    }
}
