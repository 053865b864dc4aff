package io.bertstream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Hugging Face {@code config.json} or Google's {@code bert_config.json} (same keys, no model_type) as a
 * validated {@link BertConfig}. Missing optional keys take Hugging Face's BertConfig defaults.
 */
public final class ConfigJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {
    }

    public static BertConfig read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read config: " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    public static BertConfig parse(JsonNode root, String origin) {
        if (root == null || !root.isObject()) {
            throw new ModelLoadException(origin + ": config is not a JSON object");
        }
        String positions = root.path("position_embedding_type").asText("absolute");
        if (!positions.equals("absolute")) {
            throw new ModelLoadException(origin + ": unsupported architecture: position_embedding_type '"
                    + positions + "' (only absolute)");
        }
        BertConfig config = new BertConfig(
                root.path("model_type").asText("bert"),
                required(root, "vocab_size", origin),
                required(root, "hidden_size", origin),
                required(root, "num_hidden_layers", origin),
                required(root, "num_attention_heads", origin),
                required(root, "intermediate_size", origin),
                required(root, "max_position_embeddings", origin),
                root.path("type_vocab_size").asInt(2),
                root.path("layer_norm_eps").asDouble(Architecture.DEFAULT_LAYER_NORM_EPS),
                root.path("hidden_act").asText("gelu"),
                root.path("pad_token_id").asInt(0));
        return Architecture.validate(config, origin);
    }

    private static int required(JsonNode root, String key, String origin) {
        JsonNode value = root.get(key);
        if (value == null || !value.canConvertToInt()) {
            throw new ModelLoadException(origin + ": config has no integer '" + key + "'");
        }
        return value.intValue();
    }
}
