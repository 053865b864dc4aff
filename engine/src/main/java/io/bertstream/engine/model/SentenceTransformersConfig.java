package io.bertstream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A sentence-transformers model's own pooling: {@code modules.json} lists the modules, the Pooling module's
 * {@code config.json} says which pooling, and a Normalize module means L2-normalised vectors.
 */
public final class SentenceTransformersConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SentenceTransformersConfig() {
    }

    /** The defaults declared in {@code dir}, or {@link PoolingDefaults#fallback()} when it has no modules.json. */
    public static PoolingDefaults poolingDefaults(Path dir) {
        Path modulesFile = dir.resolve("modules.json");
        if (!Files.isRegularFile(modulesFile)) {
            return PoolingDefaults.fallback();
        }
        JsonNode modules = readJson(modulesFile);
        if (!modules.isArray()) {
            throw new ModelLoadException(modulesFile, "expected a JSON array of modules");
        }
        String pooling = null;
        boolean normalize = false;
        for (JsonNode module : modules) {
            String type = module.path("type").asText("");
            if (type.endsWith(".Pooling")) {
                Path poolingFile = dir.resolve(module.path("path").asText("1_Pooling")).resolve("config.json");
                pooling = poolingMode(readJson(poolingFile), poolingFile);
            } else if (type.endsWith(".Normalize")) {
                normalize = true;
            }
        }
        if (pooling == null) {
            return new PoolingDefaults(-1, PoolingDefaults.fallback().pooling(), normalize, "modules.json");
        }
        return new PoolingDefaults(-1, pooling, normalize, "sentence-transformers");
    }

    private static String poolingMode(JsonNode config, Path file) {
        boolean cls = config.path("pooling_mode_cls_token").asBoolean(false);
        boolean mean = config.path("pooling_mode_mean_tokens").asBoolean(false);
        boolean max = config.path("pooling_mode_max_tokens").asBoolean(false);
        boolean last = config.path("pooling_mode_lasttoken").asBoolean(false);
        if (mean && max && !cls && !last) {
            return "mean-max";
        }
        int chosen = (cls ? 1 : 0) + (mean ? 1 : 0) + (max ? 1 : 0) + (last ? 1 : 0);
        if (chosen != 1) {
            throw new ModelLoadException(file, "unsupported pooling combination (cls=" + cls + ", mean=" + mean
                    + ", max=" + max + ", lasttoken=" + last + ")");
        }
        return cls ? "cls" : mean ? "mean" : max ? "max" : "sep";
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read: " + e.getMessage(), e);
        }
    }
}
