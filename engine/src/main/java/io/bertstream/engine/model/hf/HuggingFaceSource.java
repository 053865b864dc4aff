package io.bertstream.engine.model.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.ConfigJson;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.SentenceTransformersConfig;
import io.bertstream.engine.model.Tensor;
import io.bertstream.engine.model.TokenizerJson;
import io.bertstream.engine.model.WeightDigest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads a Hugging Face model directory as downloaded from the hub: config.json, model.safetensors, and
 * tokenizer.json or (older checkpoints) vocab.txt, plus sentence-transformers' pooling config when present.
 */
public final class HuggingFaceSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HuggingFaceSource() {
    }

    public static LoadedModel load(Path dir) {
        Path configFile = required(dir, "config.json");
        Path weightsFile = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weightsFile)) {
            String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                    ? " (only safetensors weights are read; convert pytorch_model.bin to model.safetensors)" : "";
            throw new ModelLoadException(weightsFile, "missing" + hint);
        }
        BertConfig config = ConfigJson.read(configFile);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Safetensors.read(weightsFile).forEach((name, t) -> {
            String hfName = Architecture.stripBertPrefix(name);
            tensors.put(hfName, new Tensor(hfName, t.shape(), t.data()));
        });
        return new LoadedModel(
                new ModelIdentity(dir.toAbsolutePath().normalize().getFileName().toString(), ModelFormat.HUGGINGFACE,
                        WeightDigest.ofFiles(List.of(weightsFile))),
                config,
                Architecture.verifiedWeights(config, tensors, weightsFile.toString()),
                tokenizer(dir),
                SentenceTransformersConfig.poolingDefaults(dir),
                Optional.empty());
    }

    /** tokenizer.json when present, else one built from vocab.txt with the casing tokenizer_config.json asks. */
    private static String tokenizer(Path dir) {
        Path tokenizerFile = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(tokenizerFile)) {
            return TokenizerJson.read(tokenizerFile);
        }
        Path vocab = dir.resolve("vocab.txt");
        if (!Files.isRegularFile(vocab)) {
            throw new ModelLoadException(dir, "no tokenizer: neither tokenizer.json nor vocab.txt");
        }
        return TokenizerJson.fromVocab(vocab, lowercase(dir.resolve("tokenizer_config.json")));
    }

    private static boolean lowercase(Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) {
            return true;
        }
        try {
            JsonNode root = JSON.readTree(tokenizerConfig.toFile());
            return root.path("do_lower_case").asBoolean(true);
        } catch (IOException e) {
            throw new ModelLoadException(tokenizerConfig, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Path required(Path dir, String name) {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new ModelLoadException(file, "missing (a Hugging Face model directory needs config.json, "
                    + "model.safetensors and tokenizer.json or vocab.txt)");
        }
        return file;
    }
}
