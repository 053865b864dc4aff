package io.bertstream.topology;

import io.bertstream.avro.state.CachedChunk;
import io.bertstream.avro.state.CachedQuantization;
import io.bertstream.avro.state.CachedToken;
import io.bertstream.avro.state.CachedVector;
import io.bertstream.avro.state.CachedVectors;
import io.bertstream.avro.state.ChunkCount;
import io.bertstream.avro.state.PendingHeader;
import io.bertstream.avro.state.PendingRecord;
import io.bertstream.extract.Embedding;
import io.bertstream.serde.AvroDeserializer;
import io.bertstream.serde.DecodeException;
import io.bertstream.serde.SingleObjectSerializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte formats of the changelogged state: pending entries ({@link InputRecord}), cache entries (vectors) and
 * chunk counts (how many chunk keys an id has).
 *
 * <p>Written as Avro single-object encoding ({@code 0xC3 0x01}, the 8-byte fingerprint of the writer schema, the
 * record): the fingerprint is the format version. The reader takes every version ever written — the schemas
 * released in {@code schemas/} ({@code PendingRecord}, {@code CachedVectors}, {@code ChunkCount}) and the unversioned layouts of the
 * first release, which can never start with {@code 0xC3} (they start with a non-negative big-endian length) — and
 * refuses anything else with a {@link UnknownFormatException} saying what it found, so a rolling upgrade never
 * restores garbage.
 */
final class StateFormat {

    /** A changelog value this version cannot read: written by a newer bertstream, or not bertstream's at all. */
    static final class UnknownFormatException extends IllegalStateException {
        UnknownFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final SingleObjectSerializer<PendingRecord> PENDING_WRITER = new SingleObjectSerializer<>(PendingRecord.class);
    private static final AvroDeserializer<PendingRecord> PENDING_READER = new AvroDeserializer<>(PendingRecord.class, null);
    private static final SingleObjectSerializer<CachedVectors> VECTORS_WRITER = new SingleObjectSerializer<>(CachedVectors.class);
    private static final AvroDeserializer<CachedVectors> VECTORS_READER = new AvroDeserializer<>(CachedVectors.class, null);

    private static final SingleObjectSerializer<ChunkCount> CHUNKS_WRITER = new SingleObjectSerializer<>(ChunkCount.class);
    private static final AvroDeserializer<ChunkCount> CHUNKS_READER = new AvroDeserializer<>(ChunkCount.class, null);

    private StateFormat() {
    }

    static byte[] writeChunkCount(int chunks) {
        return CHUNKS_WRITER.serialize(null, new ChunkCount(chunks));
    }

    /** The chunk store came with the versioned formats: it has no unversioned layout to read. */
    static int readChunkCount(byte[] bytes) {
        if (!versioned(bytes)) {
            throw new UnknownFormatException("chunk-count entry in no known format (" + bytes.length + " bytes)", null);
        }
        return read(CHUNKS_READER, bytes, "chunk-count entry").getChunks();
    }

    static byte[] writePending(InputRecord record) {
        var headers = new ArrayList<PendingHeader>();
        for (Header header : record.headers()) {
            headers.add(new PendingHeader(header.key(), header.value() == null ? null : ByteBuffer.wrap(header.value())));
        }
        Lineage source = record.source();
        return PENDING_WRITER.serialize(null, PendingRecord.newBuilder()
                .setKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setHeaders(headers)
                .setTopic(source.topic()).setPartition(source.partition()).setOffset(source.offset())
                .setTimestamp(source.timestamp()).setReceivedAt(record.receivedAt())
                .build());
    }

    static InputRecord readPending(byte[] bytes) {
        if (!versioned(bytes)) {
            return readUnversionedPending(bytes);
        }
        PendingRecord record = read(PENDING_READER, bytes, "pending entry");
        var headers = new RecordHeaders();
        record.getHeaders().forEach(h -> headers.add(h.getKey(), h.getValue() == null ? null : bytes(h.getValue())));
        return new InputRecord(record.getKey() == null ? null : bytes(record.getKey()),
                record.getValue() == null ? null : bytes(record.getValue()), headers,
                new Lineage(record.getTopic(), record.getPartition(), record.getOffset(), record.getTimestamp()),
                record.getReceivedAt());
    }

    static byte[] writeVectors(List<Embedding> vectors) {
        var cached = new ArrayList<CachedVector>(vectors.size());
        for (Embedding e : vectors) {
            var chunk = e.chunk() == null ? null
                    : new CachedChunk(e.chunk().index(), e.chunk().count(), e.chunk().charStart(), e.chunk().charEnd());
            List<CachedToken> tokens = e.tokens() == null ? null : e.tokens().stream()
                    .map(t -> new CachedToken(t.token(), t.start(), t.end(), floatBytes(t.vector()))).toList();
            var quantization = e.quantization() == null ? null : new CachedQuantization(e.quantization().kind(),
                    e.quantization().scale(), e.quantization().offset());
            cached.add(new CachedVector(floatBytes(e.vector()), chunk, e.tokenCount(), e.truncated(), tokens, quantization));
        }
        return VECTORS_WRITER.serialize(null, new CachedVectors(cached));
    }

    static List<Embedding> readVectors(byte[] bytes) {
        if (!versioned(bytes)) {
            return readUnversionedVectors(bytes);
        }
        CachedVectors record = read(VECTORS_READER, bytes, "embedding-cache entry");
        var vectors = new ArrayList<Embedding>(record.getVectors().size());
        for (CachedVector v : record.getVectors()) {
            var chunk = v.getChunk() == null ? null : new Embedding.ChunkInfo(v.getChunk().getIndex(),
                    v.getChunk().getCount(), v.getChunk().getCharStart(), v.getChunk().getCharEnd());
            List<Embedding.TokenVector> tokens = v.getTokens() == null ? null : v.getTokens().stream()
                    .map(t -> new Embedding.TokenVector(t.getToken(), t.getStart(), t.getEnd(), floats(t.getVector())))
                    .toList();
            var quantization = v.getQuantization() == null ? null : new Embedding.Quantization(
                    v.getQuantization().getKind(), v.getQuantization().getScale(), v.getQuantization().getOffset());
            vectors.add(new Embedding(floats(v.getVector()), chunk, v.getTokenCount(), v.getTruncated(), tokens,
                    quantization));
        }
        return vectors;
    }

    /** Checks that a cache value is in a format this version reads, without decoding it. */
    static void checkVectorsReadable(byte[] bytes) {
        if (versioned(bytes)) {
            read(VECTORS_READER, bytes, "embedding-cache entry");
        }
    }

    private static boolean versioned(byte[] bytes) {
        return bytes.length >= 2 && bytes[0] == (byte) 0xC3 && bytes[1] == 0x01;
    }

    private static <T extends SpecificRecord> T read(AvroDeserializer<T> reader, byte[] bytes, String what) {
        try {
            return reader.deserialize(null, bytes);
        } catch (DecodeException e) {
            if (e.reason() == DecodeException.Reason.UNKNOWN_SCHEMA) {
                long fingerprint = bytes.length >= 10
                        ? ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() : 0;
                throw new UnknownFormatException(what + " in an unknown format (schema fingerprint "
                        + Long.toHexString(fingerprint) + "): written by a newer bertstream? Run the newer version, or"
                        + " reset this application's state, to read it", e);
            }
            throw new UnknownFormatException("corrupt " + what + ": " + e.getMessage(), e);
        }
    }

    // ---- The unversioned layouts of the first release (DataOutputStream, big-endian) -------------------------------

    /** id, text, metadata, tokens (decoded again instead), then key, value, lineage and received-at. */
    private static InputRecord readUnversionedPending(byte[] data) {
        try (var in = new DataInputStream(new ByteArrayInputStream(data))) {
            skipBytes(in); // id
            skipBytes(in); // text
            int entries = in.readInt();
            for (int i = 0; i < 2 * entries; i++) {
                skipBytes(in);
            }
            in.readInt(); // tokens
            byte[] key = readBytes(in);
            byte[] value = readBytes(in);
            var lineage = new Lineage(new String(readBytes(in), StandardCharsets.UTF_8), in.readInt(), in.readLong(),
                    in.readLong());
            return new InputRecord(key, value, new RecordHeaders(), lineage, in.readLong());
        } catch (IOException | RuntimeException e) {
            throw new UnknownFormatException("pending entry in no known format (" + data.length + " bytes): " + e, e);
        }
    }

    private static List<Embedding> readUnversionedVectors(byte[] data) {
        try (var in = new DataInputStream(new ByteArrayInputStream(data))) {
            int count = in.readInt();
            List<Embedding> vectors = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                float[] vector = readFloats(in);
                var chunk = in.readBoolean()
                        ? new Embedding.ChunkInfo(in.readInt(), in.readInt(), in.readInt(), in.readInt()) : null;
                int tokenCount = in.readInt();
                boolean truncated = in.readBoolean();
                int tokenVectors = in.readInt();
                List<Embedding.TokenVector> tokens = null;
                if (tokenVectors >= 0) {
                    tokens = new ArrayList<>(tokenVectors);
                    for (int t = 0; t < tokenVectors; t++) {
                        tokens.add(new Embedding.TokenVector(in.readUTF(), in.readInt(), in.readInt(), readFloats(in)));
                    }
                }
                var quantization = in.readBoolean()
                        ? new Embedding.Quantization(in.readUTF(), in.readFloat(), in.readFloat()) : null;
                vectors.add(new Embedding(vector, chunk, tokenCount, truncated, tokens, quantization));
            }
            return vectors;
        } catch (IOException | RuntimeException e) {
            throw new UnknownFormatException("embedding-cache entry in no known format (" + data.length + " bytes): " + e, e);
        }
    }

    private static void skipBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length > 0 && in.skipBytes(length) != length) {
            throw new IOException("truncated");
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
            throw new IOException("truncated");
        }
        return bytes;
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available() / 4) {
            throw new IOException("bad vector length " + length);
        }
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private static ByteBuffer floatBytes(float[] values) {
        var buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return buffer;
    }

    private static float[] floats(ByteBuffer bytes) {
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
