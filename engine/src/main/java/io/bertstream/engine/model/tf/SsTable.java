package io.bertstream.engine.model.tf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Reads a whole LevelDB-format table (TensorFlow's {@code table} library, which TensorBundle index files
 * use): a footer pointing at the index block, whose entries point at the data blocks. Each block holds
 * prefix-compressed entries followed by restart offsets, then a 5-byte trailer (compression type + masked
 * crc32c). Only uncompressed blocks are supported — TensorBundle writes them uncompressed.
 */
final class SsTable {

    static final long MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_LENGTH = 48;
    static final int BLOCK_TRAILER_LENGTH = 5;

    private SsTable() {
    }

    /** Every key → value in table order; throws IOException with the reason on any inconsistency. */
    static Map<String, byte[]> readAll(byte[] table) throws IOException {
        if (table.length < FOOTER_LENGTH) {
            throw new IOException("truncated: " + table.length + " bytes is shorter than the table footer");
        }
        ByteBuffer footer = ByteBuffer.wrap(table, table.length - FOOTER_LENGTH, FOOTER_LENGTH)
                .slice().order(ByteOrder.LITTLE_ENDIAN);
        if (footer.getLong(FOOTER_LENGTH - Long.BYTES) != MAGIC) {
            throw new IOException("bad table magic number (truncated or not a TensorBundle index)");
        }
        readVarint(footer); // metaindex block offset: TensorBundle writes no meta blocks
        readVarint(footer); // metaindex block size
        long indexOffset = readVarint(footer);
        long indexSize = readVarint(footer);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (byte[] handle : readBlock(table, indexOffset, indexSize).values()) {
            ByteBuffer h = ByteBuffer.wrap(handle);
            long offset = readVarint(h);
            long size = readVarint(h);
            for (Map.Entry<String, byte[]> e : readBlock(table, offset, size).entrySet()) {
                entries.put(e.getKey(), e.getValue());
            }
        }
        return entries;
    }

    private static Map<String, byte[]> readBlock(byte[] table, long offset, long size) throws IOException {
        if (offset < 0 || size < Integer.BYTES || offset + size + BLOCK_TRAILER_LENGTH > table.length - FOOTER_LENGTH) {
            throw new IOException("block at " + offset + " (+" + size + " bytes) lies outside the table");
        }
        int start = (int) offset;
        int length = (int) size;
        if (table[start + length] != 0) {
            throw new IOException("block at " + offset + " is compressed (type " + table[start + length]
                    + "); only uncompressed TensorBundle indexes are supported");
        }
        int storedCrc = ByteBuffer.wrap(table, start + length + 1, Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).getInt();
        CRC32C crc = new CRC32C();
        crc.update(table, start, length + 1); // the block and its type byte
        if (storedCrc != Crc.mask(crc.getValue())) {
            throw new IOException("checksum mismatch in block at " + offset + " (corrupt index)");
        }
        ByteBuffer block = ByteBuffer.wrap(table, start, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        int restarts = block.getInt(length - Integer.BYTES);
        int entriesEnd = length - Integer.BYTES * (restarts + 1);
        if (restarts < 1 || entriesEnd < 0) {
            throw new IOException("corrupt block at " + offset + ": " + restarts + " restart points");
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        byte[] previousKey = new byte[0];
        block.limit(entriesEnd);
        while (block.hasRemaining()) {
            int shared = (int) readVarint(block);
            int unshared = (int) readVarint(block);
            int valueLength = (int) readVarint(block);
            if (shared > previousKey.length || unshared < 0 || valueLength < 0
                    || unshared + (long) valueLength > block.remaining()) {
                throw new IOException("corrupt entry in block at " + offset);
            }
            byte[] key = new byte[shared + unshared];
            System.arraycopy(previousKey, 0, key, 0, shared); // keys are stored as a delta on the previous key
            block.get(key, shared, unshared);
            byte[] value = new byte[valueLength];
            block.get(value);
            entries.put(new String(key, StandardCharsets.UTF_8), value);
            previousKey = key;
        }
        return entries;
    }

    static long readVarint(ByteBuffer in) throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) {
                throw new IOException("truncated varint");
            }
            byte b = in.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new IOException("malformed varint");
    }

    /** LevelDB / TensorFlow store crc32c values masked, so a crc of data containing crcs stays meaningful. */
    static final class Crc {
        private static final int MASK_DELTA = 0xa282ead8;

        private Crc() {
        }

        static int mask(long crc) {
            int c = (int) crc;
            return ((c >>> 15) | (c << 17)) + MASK_DELTA;
        }
    }
}
