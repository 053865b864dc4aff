package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.ConfigJson;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.model.SentenceTransformersConfig;
import io.bertstream.engine.model.TokenizerJson;
import io.bertstream.engine.model.WeightDigest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** Loads an ONNX export: a {@code .onnx} file with its tokenizer beside it, or a directory holding both. */
public final class OnnxSource {

    private OnnxSource() {
    }

    /** {@code path} is the .onnx file or a directory with exactly one .onnx file. */
    public static LoadedModel load(Path path) {
        Path onnxFile = Files.isDirectory(path) ? singleOnnxFile(path) : path;
        Path dir = onnxFile.toAbsolutePath().getParent();
        Path configFile = dir.resolve("config.json");
        Optional<BertConfig> config = Files.isRegularFile(configFile)
                ? Optional.of(ConfigJson.read(configFile)) : Optional.empty();
        String tokenizer = TokenizerJson.read(tokenizerBeside(onnxFile));
        String name = Files.isDirectory(path) ? dir.getFileName().toString() : stem(onnxFile);
        return fromFile(name, onnxFile, onnxFile.toString(), tokenizer, config,
                SentenceTransformersConfig.poolingDefaults(dir));
    }

    /**
     * Builds the model from an ONNX file (a user's, or a built-in one unpacked into the model cache), reading
     * it once as a stream; without a config, the knobs come from the weight shapes and the graph.
     */
    public static LoadedModel fromFile(String name, Path file, String origin, String tokenizerJson,
                                       Optional<BertConfig> config, PoolingDefaults defaults) {
        OnnxGraph graph = OnnxGraph.parse(file, origin);
        Map<String, ModelWeights.Entry> tensors = OnnxWeights.of(graph);
        BertConfig resolved = config.orElseGet(() -> configFromGraph(graph, tensors, origin));
        ModelWeights weights = Architecture.verifiedWeights(resolved, tensors, origin);
        int hiddenStates = OnnxHiddenStates.outputs(graph).size();
        if (hiddenStates != resolved.numHiddenLayers() + 1) {
            throw new ModelLoadException(origin + ": the graph has " + (hiddenStates - 1)
                    + " encoder layers but the config says " + resolved.numHiddenLayers());
        }
        return new LoadedModel(new ModelIdentity(name, ModelFormat.ONNX, WeightDigest.ofFiles(List.of(file))),
                resolved, weights, tokenizerJson, defaults, Optional.of(graph));
    }

    private static BertConfig configFromGraph(OnnxGraph graph, Map<String, ModelWeights.Entry> tensors, String origin) {
        ModelWeights.Entry words = tensors.get("embeddings.word_embeddings.weight");
        if (words == null) {
            throw new ModelLoadException(origin + ": not a BERT export: no embeddings.word_embeddings.weight");
        }
        int hidden = (int) words.shape()[1];
        int heads = OnnxArchitecture.attentionHeads(graph, hidden).orElseThrow(() -> new ModelLoadException(origin
                + ": cannot tell the number of attention heads: no config.json beside the model and no "
                + "attention Reshape to [batch, seq, heads, head_size] in the graph"));
        String activation = OnnxArchitecture.activation(graph).orElseThrow(() -> new ModelLoadException(origin
                + ": cannot tell the feed-forward activation from the graph; put a config.json beside the model"));
        double eps = OnnxArchitecture.layerNormEps(graph).orElse(Architecture.DEFAULT_LAYER_NORM_EPS);
        return Architecture.validate(Architecture.inferFromWeights(tensors, heads, eps, activation, origin), origin);
    }

    private static Path singleOnnxFile(Path dir) {
        List<Path> candidates;
        try (Stream<Path> files = Files.list(dir)) {
            candidates = files.filter(f -> f.getFileName().toString().endsWith(".onnx")).sorted().toList();
        } catch (IOException e) {
            throw new ModelLoadException(dir, "cannot list: " + e.getMessage(), e);
        }
        if (candidates.size() != 1) {
            throw new ModelLoadException(dir, "expected exactly one .onnx file, found " + candidates.size());
        }
        return candidates.get(0);
    }

    /** {@code <stem>-tokenizer.json} (how the langchain4j jars ship it), else {@code tokenizer.json}. */
    private static Path tokenizerBeside(Path onnxFile) {
        Path dir = onnxFile.toAbsolutePath().getParent();
        for (Path candidate : List.of(dir.resolve(stem(onnxFile) + "-tokenizer.json"), dir.resolve("tokenizer.json"))) {
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new ModelLoadException(onnxFile, "no tokenizer beside it (looked for " + stem(onnxFile)
                + "-tokenizer.json and tokenizer.json)");
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".onnx") ? name.substring(0, name.length() - ".onnx".length()) : name;
    }
}
