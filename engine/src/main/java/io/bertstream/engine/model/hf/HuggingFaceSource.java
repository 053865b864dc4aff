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
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.TokenizerJson;
import io.bertstream.engine.model.WeightDigest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Loads a Hugging Face model directory as downloaded from the hub: config.json, model.safetensors, and
 * tokenizer.json or (older checkpoints) vocab.txt, plus sentence-transformers' pooling config when present.
 */
public final class HuggingFaceSource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SHARD_INDEX = "model.safetensors.index.json";

    private HuggingFaceSource() {
    }

    public static LoadedModel load(Path dir) {
        Path configFile = required(dir, "config.json");
        List<Path> weightFiles = weightFiles(dir);
        BertConfig config = ConfigJson.read(configFile);
        Map<String, ModelWeights.Entry> tensors = new LinkedHashMap<>();
        for (Path file : weightFiles) {
            Safetensors.read(file).forEach((name, t) -> {
                String hfName = Architecture.stripBertPrefix(name);
                tensors.put(hfName, new ModelWeights.Entry(hfName, t.shape(), t.reader()));
            });
        }
        String origin = weightFiles.size() == 1 ? weightFiles.get(0).toString() : dir.resolve(SHARD_INDEX).toString();
        return new LoadedModel(
                new ModelIdentity(dir.toAbsolutePath().normalize().getFileName().toString(), ModelFormat.HUGGINGFACE,
                        WeightDigest.ofFiles(weightFiles)),
                config,
                Architecture.verifiedWeights(config, tensors, origin),
                tokenizer(dir),
                SentenceTransformersConfig.poolingDefaults(dir),
                Optional.empty());
    }

    /** model.safetensors, or the shards a model.safetensors.index.json maps weights to, in name order. */
    private static List<Path> weightFiles(Path dir) {
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        Path index = dir.resolve(SHARD_INDEX);
        if (Files.isRegularFile(index)) {
            JsonNode weightMap;
            try {
                weightMap = JSON.readTree(index.toFile()).path("weight_map");
            } catch (IOException e) {
                throw new ModelLoadException(index, "cannot read: " + e.getMessage(), e);
            }
            TreeSet<String> shards = new TreeSet<>();
            weightMap.forEach(shard -> shards.add(shard.asText()));
            if (shards.isEmpty()) {
                throw new ModelLoadException(index, "no weight_map entries");
            }
            return shards.stream().map(dir::resolve).peek(shard -> {
                if (!Files.isRegularFile(shard)) {
                    throw new ModelLoadException(shard, "missing shard listed in " + SHARD_INDEX);
                }
            }).toList();
        }
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                ? " (only safetensors weights are read; convert pytorch_model.bin to model.safetensors)" : "";
        throw new ModelLoadException(single, "missing" + hint);
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
