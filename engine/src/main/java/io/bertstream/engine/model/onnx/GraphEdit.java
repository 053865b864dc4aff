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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A copy of an ONNX model file with its graph's fields edited: some dropped, new ones appended. Every other byte
 * is copied from the original file as it is, streamed (file to file, never whole on the heap), so fields this
 * codec does not name survive. Protobuf concatenates repeated fields, so appending a node or an output to the
 * GraphProto is appending its bytes.
 */
public final class GraphEdit {

    private final OnnxGraph graph;
    private final Set<GraphField> dropped = new HashSet<>();
    private final List<byte[]> appended = new ArrayList<>();
    private long appendedBytes;

    public GraphEdit(OnnxGraph graph) {
        this.graph = graph;
    }

    public GraphEdit drop(GraphField field) {
        dropped.add(field);
        return this;
    }

    /** Appends a field (a serialised message, e.g. from {@link OnnxProto#node}) to the GraphProto. */
    public GraphEdit append(int fieldNumber, byte[] message) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.length + 8);
        try {
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeByteArray(fieldNumber, message);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        appended.add(bytes.toByteArray());
        appendedBytes += bytes.size();
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
                long payload = appendedBytes;
                for (GraphField field : graph.fields()) {
                    payload += dropped.contains(field) ? 0 : field.end() - field.start();
                }
                copy(in, 0, graph.graphFieldStart(), out);
                OutputStream header = Channels.newOutputStream(out);
                CodedOutputStream tag = CodedOutputStream.newInstance(header, 16);
                tag.writeTag(OnnxProto.MODEL_GRAPH, WireFormat.WIRETYPE_LENGTH_DELIMITED);
                tag.writeUInt32NoTag(Math.toIntExact(payload));
                tag.flush();
                for (GraphField field : graph.fields()) {
                    if (!dropped.contains(field)) {
                        copy(in, field.start(), field.end() - field.start(), out);
                    }
                }
                for (byte[] field : appended) {
                    out.write(ByteBuffer.wrap(field));
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
