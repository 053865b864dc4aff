package io.bertstream.topology;

import io.bertstream.extract.Embedding;
import io.bertstream.extract.ModelInfo;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Vectors already computed, keyed by sha256(text, model weights sha256, extraction settings), so repeated texts
 * and replays skip the forward pass. Backed by a bounded, changelogged LRU store of the task.
 */
final class EmbeddingCache {

    private final KeyValueStore<Bytes, byte[]> store;
    private final byte[] modelIdentity;

    EmbeddingCache(KeyValueStore<Bytes, byte[]> store, ModelInfo model, String extraction) {
        this.store = store;
        // Every field of ModelInfo changes the vectors, so all of them are part of the key, with the rest.
        this.modelIdentity = (model + "|" + extraction).getBytes(StandardCharsets.UTF_8);
    }

    Optional<List<Embedding>> get(String text) {
        byte[] cached = store.get(keyOf(text));
        return cached == null ? Optional.empty() : Optional.of(decode(cached));
    }

    void put(String text, List<Embedding> vectors) {
        store.put(keyOf(text), encode(vectors));
    }

    private Bytes keyOf(String text) {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            sha.update(modelIdentity);
            sha.update((byte) 0);
            sha.update(text.getBytes(StandardCharsets.UTF_8));
            return Bytes.wrap(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    static byte[] encode(List<Embedding> vectors) {
        var bytes = new ByteArrayOutputStream();
        try (var out = new DataOutputStream(bytes)) {
            out.writeInt(vectors.size());
            for (Embedding e : vectors) {
                writeFloats(out, e.vector());
                out.writeBoolean(e.chunk() != null);
                if (e.chunk() != null) {
                    out.writeInt(e.chunk().index());
                    out.writeInt(e.chunk().count());
                    out.writeInt(e.chunk().charStart());
                    out.writeInt(e.chunk().charEnd());
                }
                out.writeInt(e.tokenCount());
                out.writeBoolean(e.truncated());
                out.writeInt(e.tokens() == null ? -1 : e.tokens().size());
                if (e.tokens() != null) {
                    for (Embedding.TokenVector token : e.tokens()) {
                        out.writeUTF(token.token());
                        out.writeInt(token.start());
                        out.writeInt(token.end());
                        writeFloats(out, token.vector());
                    }
                }
                out.writeBoolean(e.quantization() != null);
                if (e.quantization() != null) {
                    out.writeUTF(e.quantization().kind());
                    out.writeFloat(e.quantization().scale());
                    out.writeFloat(e.quantization().offset());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static List<Embedding> decode(byte[] data) {
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
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }
}
