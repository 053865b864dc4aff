package io.bertstream.engine.model.tf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.Protobuf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A TensorFlow checkpoint in TensorBundle form: {@code <prefix>.index} (an SSTable mapping each variable
 * name to a BundleEntryProto: dtype, shape, shard, offset, size, crc32c; the empty key holds the
 * BundleHeaderProto) and the {@code <prefix>.data-NNNNN-of-MMMMM} shards holding the raw little-endian bytes.
 */
public final class TensorBundle {

    // tensor_bundle.proto and tensor_shape.proto field numbers
    private static final int HEADER_NUM_SHARDS = 1;
    private static final int HEADER_ENDIANNESS = 2;
    private static final int ENTRY_DTYPE = 1;
    private static final int ENTRY_SHAPE = 2;
    private static final int ENTRY_SHARD_ID = 3;
    private static final int ENTRY_OFFSET = 4;
    private static final int ENTRY_SIZE = 5;
    private static final int ENTRY_CRC32C = 6;
    private static final int ENTRY_SLICES = 7;
    private static final int SHAPE_DIM = 2;
    private static final int DIM_SIZE = 1;

    // types.proto DataType
    private static final int DT_FLOAT = 1;
    private static final int DT_BFLOAT16 = 14;
    private static final int DT_HALF = 19;

    /** Where one variable's bytes are. */
    public record Entry(String name, int dtype, long[] shape, int shard, long offset, long size, int crc32c) {

        public boolean isFloatingPoint() {
            return dtype == DT_FLOAT || dtype == DT_BFLOAT16 || dtype == DT_HALF;
        }
    }

    private final Path indexFile;
    private final List<Path> dataFiles;
    private final Map<String, Entry> entries;

    private TensorBundle(Path indexFile, List<Path> dataFiles, Map<String, Entry> entries) {
        this.indexFile = indexFile;
        this.dataFiles = dataFiles;
        this.entries = entries;
    }

    /** Opens {@code <prefix>.index}; reads only the index (small), checking its block checksums. */
    public static TensorBundle open(Path indexFile) {
        String fileName = indexFile.getFileName().toString();
        if (!fileName.endsWith(".index")) {
            throw new ModelLoadException(indexFile, "not a TensorBundle index (expected <prefix>.index)");
        }
        Map<String, byte[]> table;
        try {
            table = SsTable.readAll(Files.readAllBytes(indexFile));
        } catch (IOException e) {
            throw new ModelLoadException(indexFile, "corrupt TensorBundle index: " + e.getMessage(), e);
        }
        byte[] header = table.remove("");
        if (header == null) {
            throw new ModelLoadException(indexFile, "corrupt TensorBundle index: no header entry");
        }
        int shards;
        try {
            shards = readHeader(header, indexFile);
        } catch (IOException e) {
            throw new ModelLoadException(indexFile, "corrupt TensorBundle header: " + e.getMessage(), e);
        }
        String prefix = fileName.substring(0, fileName.length() - ".index".length());
        List<Path> dataFiles = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            Path data = indexFile.resolveSibling(String.format("%s.data-%05d-of-%05d", prefix, shard, shards));
            if (!Files.isRegularFile(data)) {
                throw new ModelLoadException(data, "missing data shard of the TensorBundle " + indexFile);
            }
            dataFiles.add(data);
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : table.entrySet()) {
            try {
                entries.put(e.getKey(), readEntry(e.getKey(), e.getValue(), shards));
            } catch (IOException ex) {
                throw new ModelLoadException(indexFile, "corrupt entry for '" + e.getKey() + "': " + ex.getMessage(), ex);
            }
        }
        return new TensorBundle(indexFile, List.copyOf(dataFiles), entries);
    }

    private static int readHeader(byte[] header, Path indexFile) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(header);
        int shards = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case HEADER_NUM_SHARDS -> shards = in.readInt32();
                case HEADER_ENDIANNESS -> {
                    if (in.readEnum() != 0) {
                        throw new ModelLoadException(indexFile, "big-endian checkpoints are not supported");
                    }
                }
                default -> in.skipField(tag);
            }
        }
        if (shards < 1) {
            throw new IOException("num_shards is " + shards);
        }
        return shards;
    }

    private static Entry readEntry(String name, byte[] bytes, int shards) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        int dtype = 0;
        List<Long> shape = new ArrayList<>();
        int shard = 0;
        long offset = 0;
        long size = 0;
        int crc = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case ENTRY_DTYPE -> dtype = in.readEnum();
                case ENTRY_SHAPE -> Protobuf.nested(in, shapeIn -> {
                    for (int t = shapeIn.readTag(); t != 0; t = shapeIn.readTag()) {
                        if (WireFormat.getTagFieldNumber(t) == SHAPE_DIM) {
                            shape.add(Protobuf.nested(shapeIn, TensorBundle::dimSize));
                        } else {
                            shapeIn.skipField(t);
                        }
                    }
                    return shape;
                });
                case ENTRY_SHARD_ID -> shard = in.readInt32();
                case ENTRY_OFFSET -> offset = in.readInt64();
                case ENTRY_SIZE -> size = in.readInt64();
                case ENTRY_CRC32C -> crc = in.readFixed32();
                case ENTRY_SLICES -> throw new IOException("partitioned (sliced) variables are not supported");
                default -> in.skipField(tag);
            }
        }
        if (shard < 0 || shard >= shards || offset < 0 || size < 0) {
            throw new IOException("shard " + shard + ", offset " + offset + ", size " + size + " out of range");
        }
        return new Entry(name, dtype, shape.stream().mapToLong(Long::longValue).toArray(), shard, offset, size, crc);
    }

    /** TensorShapeProto.Dim's size. */
    private static long dimSize(CodedInputStream in) throws IOException {
        long size = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (WireFormat.getTagFieldNumber(tag) == DIM_SIZE) {
                size = in.readInt64();
            } else {
                in.skipField(tag);
            }
        }
        return size;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    /** Index first, then the data shards in order: the files a checkpoint's identity digest covers. */
    public List<Path> files() {
        List<Path> files = new ArrayList<>();
        files.add(indexFile);
        files.addAll(dataFiles);
        return files;
    }

    /**
     * Checks that the variable's bytes are all there and match the crc32c of the index, reading them in chunks:
     * a corrupt checkpoint fails when it is loaded, while the values themselves are read only when asked for.
     */
    public void verify(Entry entry) {
        Path data = dataFiles.get(entry.shard());
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(entry.size(), 1 << 20));
        CRC32C crc = new CRC32C();
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
            checkBounds(entry, data, channel.size());
            long at = entry.offset();
            long end = entry.offset() + entry.size();
            while (at < end) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), end - at));
                int n = channel.read(chunk, at);
                if (n < 0) {
                    throw new IOException("unexpected end of file");
                }
                crc.update(chunk.flip());
                at += n;
            }
        } catch (IOException e) {
            throw new ModelLoadException(data, "cannot read variable '" + entry.name() + "': " + e.getMessage(), e);
        }
        if (SsTable.Crc.mask(crc.getValue()) != entry.crc32c()) {
            throw new ModelLoadException(data, "checksum mismatch for variable '" + entry.name() + "' (corrupt data)");
        }
    }

    private static void checkBounds(Entry entry, Path data, long fileSize) {
        if (entry.offset() + entry.size() > fileSize) {
            throw new ModelLoadException(data, "truncated data shard: variable '" + entry.name() + "' ends at byte "
                    + (entry.offset() + entry.size()) + " but the file holds " + fileSize);
        }
    }

    /** The variable's values as fp32, after checking its size and its crc32c against the index. */
    public float[] readFloats(Entry entry) {
        FloatFormat format = switch (entry.dtype()) {
            case DT_FLOAT -> FloatFormat.F32;
            case DT_HALF -> FloatFormat.F16;
            case DT_BFLOAT16 -> FloatFormat.BF16;
            default -> throw new ModelLoadException(indexFile, "variable '" + entry.name() + "' has dtype "
                    + entry.dtype() + ", not a floating-point type");
        };
        long count = 1;
        for (long d : entry.shape()) {
            count = Math.multiplyExact(count, d);
        }
        Path data = dataFiles.get(entry.shard());
        if (entry.size() != count * format.bytes() || count > Integer.MAX_VALUE) {
            throw new ModelLoadException(indexFile, "variable '" + entry.name() + "' has " + entry.size()
                    + " bytes for " + count + " values of " + format);
        }
        CRC32C crc = new CRC32C();
        float[] values;
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.READ)) {
            checkBounds(entry, data, channel.size());
        } catch (IOException e) {
            throw new ModelLoadException(data, "cannot read variable '" + entry.name() + "': " + e.getMessage(), e);
        }
        try {
            values = format.read(data, entry.offset(), (int) count, crc);
        } catch (IOException e) {
            throw new ModelLoadException(data, "cannot read variable '" + entry.name() + "': " + e.getMessage(), e);
        }
        if (SsTable.Crc.mask(crc.getValue()) != entry.crc32c()) {
            throw new ModelLoadException(data, "checksum mismatch for variable '" + entry.name() + "' (corrupt data)");
        }
        return values;
    }
}
