package io.bertstream.engine.backend.onnx;

import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelCache;
import io.bertstream.engine.model.ModelLoadException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * int8 graphs in the model cache: quantising (calibration included) takes seconds, so it is done once per fp32
 * graph, recipe and weight format, and kept as {@code <cache>/int8/<sha256 of the fp32 graph>-<recipe>-<format>.onnx}.
 * A file appears only complete (written aside, then renamed).
 */
final class Int8Graphs {

    private static final Logger LOG = LoggerFactory.getLogger(Int8Graphs.class);

    private Int8Graphs() {
    }

    static Path cacheFile(byte[] fp32, Int8Quantizer.WeightFormat format) {
        String recipe = Int8Quantizer.RECIPE.replaceAll("[^A-Za-z0-9.-]+", "_");
        return ModelCache.root().resolve("int8").resolve(sha256(fp32) + "-" + recipe + "-" + format.name().toLowerCase() + ".onnx");
    }

    /** The int8 graph of the model's fp32 graph: from the cache, or quantised now and cached. */
    static byte[] load(LoadedModel model, byte[] fp32) {
        Int8Quantizer.WeightFormat format = Int8Quantizer.WeightFormat.forThisCpu();
        Path file = cacheFile(fp32, format);
        try {
            if (Files.isRegularFile(file)) {
                LOG.info("model {}: {} from {}", model.identity().name(), Int8Quantizer.describe(format), file);
                return Files.readAllBytes(file);
            }
            long start = System.nanoTime();
            byte[] int8 = Int8Quantizer.quantize(fp32, model.identity().name(), model.tokenizerJson(), format);
            Files.createDirectories(file.getParent());
            Path partial = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".partial");
            try {
                Files.write(partial, int8);
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
            LOG.info("model {}: {} quantised in {} ms, cached at {}", model.identity().name(),
                    Int8Quantizer.describe(format), (System.nanoTime() - start) / 1_000_000, file);
            return int8;
        } catch (IOException e) {
            throw new ModelLoadException("cannot read or write the int8 graph " + file + ": " + e.getMessage());
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
