package io.bertstream.extract.head;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A head fitted by {@code bertstream fit-head}: a small versioned JSON file bound to the model (sha256) and to the
 * extraction its features came from, as PCA files are. Applied by {@link Head}.
 *
 * @param format          always {@value #FORMAT}
 * @param version         file format version, {@value #VERSION}
 * @param kind            {@code classes} (one label per text) or {@code entities} (BIO tags per word)
 * @param modelName       model the features were computed with
 * @param modelSha256     its weights' sha256
 * @param layers          the head's layer spec, canonical ("-1", "3", "-4..-1 mean")
 * @param pooling         the head's pooling; {@code none} for entities (word vectors)
 * @param normalize       features L2-normalised before standardisation
 * @param prefix          the instruction prefix the texts were given ("" for none)
 * @param fittedFor       the extraction key of the features (layers, pooling, post-processing), checked when applied
 * @param labels          the classes, or the BIO tags ("O", "B-type", "I-type", ...)
 * @param mean            per-dim mean of the training features (subtracted first)
 * @param scale           per-dim 1 / standard deviation
 * @param weights         per label, its weights over the standardised features
 * @param bias            per label
 * @param examples        texts the head was fitted on
 * @param crossValidation summary of the cross-validation at fit time (accuracy, macro_f1 or precision, recall, f1)
 */
public record HeadFile(String format, int version, String kind, String modelName, String modelSha256, String layers,
                       String pooling, boolean normalize, String prefix, String fittedFor, List<String> labels,
                       float[] mean, float[] scale, float[][] weights, float[] bias, int examples,
                       Map<String, Double> crossValidation) {

    public static final String FORMAT = "bertstream-head";
    public static final int VERSION = 1;
    public static final String CLASSES = "classes";
    public static final String ENTITIES = "entities";

    private static final ObjectMapper JSON = new ObjectMapper();

    public boolean entities() {
        return ENTITIES.equals(kind);
    }

    /** The entity types of an entity head, in the order of its tags. */
    public List<String> entityTypes() {
        return labels.stream().filter(t -> t.startsWith("B-")).map(t -> t.substring(2)).toList();
    }

    /** Short content hash naming this head in records ({@code classes#1a2b3c4d5e6f}). */
    public String fingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((kind + "|" + fittedFor + "|" + prefix + "|" + labels).getBytes(StandardCharsets.UTF_8));
            for (float[] row : weights) {
                ByteBuffer buf = ByteBuffer.allocate(4 * row.length);
                buf.asFloatBuffer().put(row);
                digest.update(buf.array());
            }
            ByteBuffer rest = ByteBuffer.allocate(4 * (bias.length + mean.length + scale.length));
            rest.asFloatBuffer().put(bias).put(mean).put(scale);
            digest.update(rest.array());
            return kind + "#" + HexFormat.of().formatHex(digest.digest()).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
    }

    /** Reads a head file; anything but a {@value #FORMAT} version {@value #VERSION} file is refused. */
    public static HeadFile read(Path file) throws IOException {
        HeadFile h;
        try {
            h = JSON.readValue(file.toFile(), HeadFile.class);
        } catch (IOException e) {
            throw new IOException(file + ": not a readable " + FORMAT + " file: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (!FORMAT.equals(h.format()) || h.version() != VERSION) {
            throw new IOException(file + ": not a " + FORMAT + " version " + VERSION + " file (format "
                    + h.format() + ", version " + h.version() + ")");
        }
        if (!CLASSES.equals(h.kind()) && !ENTITIES.equals(h.kind())) {
            throw new IOException(file + ": unknown head kind '" + h.kind() + "': valid are classes, entities");
        }
        return h;
    }
}
