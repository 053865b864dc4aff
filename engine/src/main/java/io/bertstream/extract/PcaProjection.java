package io.bertstream.extract;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A PCA projection fitted on sample vectors of one model and one extraction, stored as a small versioned JSON
 * file by {@code bertstream fit-pca} and applied by later runs. It refuses vectors of another model or extraction:
 * principal axes of one embedding space mean nothing in another.
 *
 * @param format            always {@value #FORMAT}
 * @param version           file format version, {@value #VERSION}
 * @param modelName         model the sample was embedded with
 * @param modelSha256       its weights' sha256
 * @param fittedFor         the extraction the input vectors came from: layers, pooling and earlier post-processing
 * @param sampleSize        vectors the projection was fitted on
 * @param mean              per-dimension mean of the sample (subtracted first)
 * @param components        k principal axes, each of the input's dims, by decreasing variance
 * @param explainedVariance variance of the sample along each axis
 * @param totalVariance     variance of the sample summed over all input dims (explainedVariance sums to a share of it)
 */
public record PcaProjection(String format, int version, String modelName, String modelSha256, String fittedFor,
                            int sampleSize, float[] mean, float[][] components, double[] explainedVariance,
                            double totalVariance) {

    public static final String FORMAT = "bertstream-pca";
    public static final int VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Fits k principal axes by SVD of the centred sample. */
    public static PcaProjection fit(List<float[]> sample, int k, String modelName, String modelSha256, String fittedFor) {
        int n = sample.size();
        int dims = sample.isEmpty() ? 0 : sample.get(0).length;
        if (k < 1 || k > dims) {
            throw new IllegalArgumentException("PCA to " + k + " dims of " + dims + "-dim vectors: valid k is 1.." + dims);
        }
        if (n <= k) {
            throw new IllegalArgumentException("PCA to " + k + " dims needs more than " + k + " sample texts, got " + n);
        }
        float[] mean = new float[dims];
        for (float[] v : sample) {
            for (int d = 0; d < dims; d++) {
                mean[d] += v[d] / n;
            }
        }
        double[][] centred = new double[n][dims];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < dims; d++) {
                centred[i][d] = sample.get(i)[d] - mean[d];
            }
        }
        double total = 0;
        for (double[] row : centred) {
            for (double x : row) {
                total += x * x / (n - 1);
            }
        }
        SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(centred, false));
        RealMatrix axes = svd.getV();
        double[] singular = svd.getSingularValues();
        float[][] components = new float[k][dims];
        double[] variance = new double[k];
        for (int c = 0; c < k; c++) {
            for (int d = 0; d < dims; d++) {
                components[c][d] = (float) axes.getEntry(d, c);
            }
            variance[c] = singular[c] * singular[c] / (n - 1);
        }
        return new PcaProjection(FORMAT, VERSION, modelName, modelSha256, fittedFor, n, mean, components, variance, total);
    }

    /** Share of the sample's variance the k axes keep, 0..1. */
    public double explainedShare() {
        double kept = 0;
        for (double v : explainedVariance) {
            kept += v;
        }
        return totalVariance > 0 ? kept / totalVariance : 0;
    }

    public int inputDims() {
        return mean.length;
    }

    public int outputDims() {
        return components.length;
    }

    /** Coordinates of {@code v} along the principal axes. */
    public float[] project(float[] v) {
        if (v.length != inputDims()) {
            throw new IllegalArgumentException("PCA file expects " + inputDims() + "-dim vectors, got " + v.length);
        }
        float[] out = new float[components.length];
        for (int c = 0; c < components.length; c++) {
            double sum = 0;
            for (int d = 0; d < v.length; d++) {
                sum += (v[d] - mean[d]) * components[c][d];
            }
            out[c] = (float) sum;
        }
        return out;
    }

    /** The point of the input space that {@code coords} stand for (mean + coords . axes). */
    public float[] reconstruct(float[] coords) {
        float[] v = mean.clone();
        for (int c = 0; c < coords.length; c++) {
            for (int d = 0; d < v.length; d++) {
                v[d] += coords[c] * components[c][d];
            }
        }
        return v;
    }

    /** Refuses to serve vectors of another model or another extraction than the one it was fitted for. */
    public void checkApplicable(String sha256, String extraction) {
        if (!modelSha256.equals(sha256)) {
            throw new IllegalArgumentException("PCA file was fitted for model " + modelName + " (sha256 " + modelSha256
                    + "), not for the model in use (sha256 " + sha256 + "); fit one for this model with fit-pca");
        }
        if (!fittedFor.equals(extraction)) {
            throw new IllegalArgumentException("PCA file was fitted for extraction '" + fittedFor
                    + "', not for '" + extraction + "'; use the same layers, pooling and post-processing or refit");
        }
    }

    /** Short content hash that names this projection in post-processing strings. */
    public String fingerprint() {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buf = ByteBuffer.allocate(4 * inputDims() * (outputDims() + 1));
            buf.asFloatBuffer().put(mean);
            for (int c = 0; c < components.length; c++) {
                buf.position(4 * inputDims() * (c + 1));
                buf.asFloatBuffer().put(components[c]);
            }
            return HexFormat.of().formatHex(digest.digest(buf.array())).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) throws IOException {
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), this);
    }

    public static PcaProjection read(Path file) throws IOException {
        PcaProjection p = JSON.readValue(file.toFile(), PcaProjection.class);
        if (!FORMAT.equals(p.format()) || p.version() != VERSION) {
            throw new IOException(file + ": not a " + FORMAT + " version " + VERSION + " file (format "
                    + p.format() + ", version " + p.version() + ")");
        }
        return p;
    }
}
