package io.bertstream.engine.model.tf;

import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import static io.bertstream.engine.model.Protobuf.message;

/**
 * Test-scope TensorBundle writer: data shards plus an SSTable index with small blocks (so the reader walks
 * several data blocks, prefix-compressed keys and restart points), all fp32 and checksummed as TF does.
 */
final class TensorBundleWriter {

    private static final int BLOCK_SIZE = 1024;
    private static final int RESTART_INTERVAL = 4;

    private TensorBundleWriter() {
    }

    /** Writes {@code prefix.index} and {@code prefix.data-0000i-of-0000n}; tensors go round-robin over shards. */
    static void write(Path prefix, Map<String, Tensor> tensorsByTfName, int shards) throws IOException {
        List<ByteArrayOutputStream> data = new ArrayList<>();
        for (int i = 0; i < shards; i++) {
            data.add(new ByteArrayOutputStream());
        }
        TreeMap<String, byte[]> entries = new TreeMap<>(); // SSTable keys are sorted (names are ASCII)
        entries.put("", message(out -> out.writeInt32(1, shards)));
        int next = 0;
        for (Map.Entry<String, Tensor> e : tensorsByTfName.entrySet()) {
            int shard = next++ % shards;
            float[] values = e.getValue().data();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            long offset = data.get(shard).size();
            data.get(shard).write(bytes.array());
            CRC32C crc = new CRC32C();
            crc.update(bytes.array());
            long[] shape = e.getValue().shape();
            entries.put(e.getKey(), message(out -> {
                out.writeEnum(1, 1); // DT_FLOAT
                out.writeByteArray(2, message(shapeOut -> {
                    for (long d : shape) {
                        shapeOut.writeByteArray(2, message(dim -> dim.writeInt64(1, d)));
                    }
                }));
                out.writeInt32(3, shard);
                out.writeInt64(4, offset);
                out.writeInt64(5, bytes.capacity());
                out.writeFixed32(6, SsTable.Crc.mask(crc.getValue()));
            }));
        }
        String name = prefix.getFileName().toString();
        for (int i = 0; i < shards; i++) {
            Files.write(prefix.resolveSibling(String.format("%s.data-%05d-of-%05d", name, i, shards)),
                    data.get(i).toByteArray());
        }
        Files.write(prefix.resolveSibling(name + ".index"), table(entries));
    }

    /** An SSTable: data blocks, an empty metaindex block, the index block, the footer. */
    static byte[] table(TreeMap<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        BlockBuilder index = new BlockBuilder();
        BlockBuilder block = new BlockBuilder();
        String lastKey = null;
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
            block.add(e.getKey(), e.getValue());
            lastKey = e.getKey();
            if (block.size() >= BLOCK_SIZE) {
                index.add(lastKey, writeBlock(file, block.finish()));
                block = new BlockBuilder();
            }
        }
        if (!block.isEmpty()) {
            index.add(lastKey, writeBlock(file, block.finish()));
        }
        byte[] metaHandle = writeBlock(file, new BlockBuilder().finish());
        byte[] indexHandle = writeBlock(file, index.finish());
        ByteBuffer footer = ByteBuffer.allocate(SsTable.FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        footer.put(metaHandle).put(indexHandle);
        footer.putLong(SsTable.FOOTER_LENGTH - 8, SsTable.MAGIC);
        file.write(footer.array());
        return file.toByteArray();
    }

    /** Appends the block and its trailer; returns its BlockHandle (varint offset, varint size). */
    private static byte[] writeBlock(ByteArrayOutputStream file, byte[] block) throws IOException {
        long offset = file.size();
        file.write(block);
        file.write(0); // no compression
        CRC32C crc = new CRC32C();
        crc.update(block);
        crc.update(0);
        file.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(SsTable.Crc.mask(crc.getValue())).array());
        return message(out -> {
            out.writeUInt64NoTag(offset);
            out.writeUInt64NoTag(block.length);
        });
    }

    private static final class BlockBuilder {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final List<Integer> restarts = new ArrayList<>(List.of(0));
        private byte[] previous = new byte[0];
        private int sinceRestart;

        void add(String key, byte[] value) throws IOException {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            if (sinceRestart == RESTART_INTERVAL) {
                restarts.add(bytes.size());
                sinceRestart = 0;
            }
            int shared = sinceRestart == 0 ? 0 : commonPrefix(previous, k);
            int unshared = k.length - shared;
            bytes.write(message(out -> {
                out.writeUInt32NoTag(shared);
                out.writeUInt32NoTag(unshared);
                out.writeUInt32NoTag(value.length);
            }));
            bytes.write(k, shared, unshared);
            bytes.write(value);
            previous = k;
            sinceRestart++;
        }

        private static int commonPrefix(byte[] a, byte[] b) {
            int n = 0;
            while (n < Math.min(a.length, b.length) && a[n] == b[n]) {
                n++;
            }
            return n;
        }

        int size() {
            return bytes.size();
        }

        boolean isEmpty() {
            return bytes.size() == 0;
        }

        byte[] finish() {
            ByteBuffer tail = ByteBuffer.allocate(4 * (restarts.size() + 1)).order(ByteOrder.LITTLE_ENDIAN);
            restarts.forEach(tail::putInt);
            tail.putInt(restarts.size());
            bytes.writeBytes(tail.array());
            return bytes.toByteArray();
        }
    }

    /** Hugging Face name → Google's TF name (the inverse of the loader's mapping); Linear weights become [in, out] kernels. */
    static Map<String, Tensor> asTf(Map<String, Tensor> hf, String scope) {
        Map<String, Tensor> tf = new TreeMap<>();
        for (Tensor t : hf.values()) {
            String path = t.name().replaceAll("layer\\.(\\d+)", "layer_$1").replace('.', '/');
            String base = path.substring(0, path.lastIndexOf('/'));
            boolean weight = path.endsWith("/weight");
            String tfName;
            float[] data = t.data();
            long[] shape = t.shape();
            if (base.endsWith("LayerNorm")) {
                tfName = base + (weight ? "/gamma" : "/beta");
            } else if (base.endsWith("_embeddings")) {
                tfName = base;
            } else if (weight) {
                tfName = base + "/kernel";
                data = FloatFormat.transpose(data, (int) shape[0], (int) shape[1]);
                shape = new long[] {shape[1], shape[0]};
            } else {
                tfName = base + "/bias";
            }
            tf.put(scope + "bert/" + tfName, new Tensor(scope + "bert/" + tfName, shape, data));
        }
        return tf;
    }
}
