package io.bertstream.engine.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.LoadedModel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes a loaded model out as a Hugging Face directory, the way the hub lays one out. */
public final class HfDirectories {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfDirectories() {
    }

    /** config.json + model.safetensors (names prefixed {@code bert.}, as BertModel checkpoints are) + tokenizer.json. */
    public static Path write(Path dir, LoadedModel model, String dtype) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson(model.config()));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), model.weights().decodeAll(), "bert.", dtype);
        Files.writeString(dir.resolve("tokenizer.json"), model.tokenizerJson());
        return dir;
    }

    public static String configJson(BertConfig c) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("BertModel");
        config.put("model_type", c.modelType())
                .put("vocab_size", c.vocabSize())
                .put("hidden_size", c.hiddenSize())
                .put("num_hidden_layers", c.numHiddenLayers())
                .put("num_attention_heads", c.numAttentionHeads())
                .put("intermediate_size", c.intermediateSize())
                .put("max_position_embeddings", c.maxPositionEmbeddings())
                .put("type_vocab_size", c.typeVocabSize())
                .put("layer_norm_eps", c.layerNormEps())
                .put("hidden_act", c.hiddenAct())
                .put("pad_token_id", c.padTokenId())
                .put("position_embedding_type", "absolute");
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config);
    }

    /** Replaces tokenizer.json by the vocab.txt it was built from. */
    public static void replaceTokenizerByVocab(Path dir) throws IOException {
        writeVocab(Files.readString(dir.resolve("tokenizer.json")), dir.resolve("vocab.txt"));
        Files.delete(dir.resolve("tokenizer.json"));
    }

    /** The WordPiece vocabulary of a tokenizer.json as a vocab.txt (one token per line, id = line number). */
    public static void writeVocab(String tokenizerJson, Path vocabFile) throws IOException {
        JsonNode vocab = JSON.readTree(tokenizerJson).path("model").path("vocab");
        String[] tokens = new String[vocab.size()];
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            tokens[e.getValue().intValue()] = e.getKey();
        }
        Files.createDirectories(vocabFile.toAbsolutePath().getParent());
        Files.writeString(vocabFile, String.join("\n", tokens) + "\n", StandardCharsets.UTF_8);
    }
}
