package io.bertstream.topology;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * A decoded event waiting in a batch, with everything needed to emit its output or dead-letter it later,
 * possibly after a crash: the original key and value bytes and where they came from.
 *
 * @param id         event id (the output key, or its prefix for chunks)
 * @param text       decoded text
 * @param metadata   the input's metadata, passed through to the outputs
 * @param tokens     tokens of the text (special tokens included), for the batch's token budget
 * @param rawKey     original key bytes (may be null)
 * @param rawValue   original value bytes
 * @param source     source topic, partition, offset and timestamp
 * @param receivedAt wall-clock millis when the processor first saw the event
 */
public record PendingEvent(String id, String text, Map<String, String> metadata, int tokens, byte[] rawKey, byte[] rawValue, Lineage source,
                           long receivedAt) {

    /** Where a record came from. */
    public record Lineage(String topic, int partition, long offset, long timestamp) {
    }

    byte[] toBytes() {
        var bytes = new ByteArrayOutputStream(64 + text.length() * 2 + rawValue.length);
        try (var out = new DataOutputStream(bytes)) {
            writeString(out, id);
            writeString(out, text);
            out.writeInt(metadata.size());
            for (var entry : metadata.entrySet()) {
                writeString(out, entry.getKey());
                writeString(out, entry.getValue());
            }
            out.writeInt(tokens);
            writeBytes(out, rawKey);
            writeBytes(out, rawValue);
            writeString(out, source.topic());
            out.writeInt(source.partition());
            out.writeLong(source.offset());
            out.writeLong(source.timestamp());
            out.writeLong(receivedAt);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static PendingEvent fromBytes(byte[] data) {
        try (var in = new DataInputStream(new ByteArrayInputStream(data))) {
            String id = readString(in);
            String text = readString(in);
            int entries = in.readInt();
            var metadata = new TreeMap<String, String>();
            for (int i = 0; i < entries; i++) {
                metadata.put(readString(in), readString(in));
            }
            int tokens = in.readInt();
            byte[] key = readBytes(in);
            byte[] value = readBytes(in);
            var lineage = new Lineage(readString(in), in.readInt(), in.readLong(), in.readLong());
            return new PendingEvent(id, text, metadata, tokens, key, value, lineage, in.readLong());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // Length-prefixed UTF-8: writeUTF would fail on ids or texts over 64 KiB.
    private static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeInt(bytes == null ? -1 : bytes.length);
        if (bytes != null) {
            out.write(bytes);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        return length < 0 ? null : in.readNBytes(length);
    }
}
