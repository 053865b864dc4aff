package io.bertstream.engine.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What bertstream's encoder supports, checked the same way for every source: the config must describe a
 * plain BERT encoder, and the weights must hold exactly the tensors that config implies, with their shapes.
 */
public final class Architecture {

    public static final Set<String> MODEL_TYPES = Set.of("bert");

    /**
     * The feed-forward activations the encoder implements, under every name checkpoints give them; the one list
     * both the config check and the backends use. BERT's "gelu" is the exact erf form (PyTorch's default);
     * Google's original TF code, "gelu_new" and "gelu_pytorch_tanh" use the tanh approximation
     * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), which differs by up to ~1e-3.
     */
    public enum Activation {
        GELU("gelu"), GELU_TANH("gelu_new", "gelu_pytorch_tanh"), RELU("relu");

        private final List<String> names;

        Activation(String... names) {
            this.names = List.of(names);
        }

        /** The activation a config's hidden_act names; empty when the encoder does not implement it. */
        public static java.util.Optional<Activation> of(String hiddenAct) {
            return Arrays.stream(values()).filter(a -> a.names.contains(hiddenAct)).findFirst();
        }

        /** Every accepted hidden_act spelling. */
        public static List<String> names() {
            return Arrays.stream(values()).flatMap(a -> a.names.stream()).toList();
        }
    }
    public static final double DEFAULT_LAYER_NORM_EPS = 1e-12;

    private static final String POOLER_WEIGHT = "pooler.dense.weight";
    private static final String POOLER_BIAS = "pooler.dense.bias";

    private Architecture() {
    }

    /** Refuses configs the encoder cannot run, naming the offending knob. */
    public static BertConfig validate(BertConfig config, String origin) {
        List<String> problems = new ArrayList<>();
        if (!MODEL_TYPES.contains(config.modelType())) {
            problems.add("model_type '" + config.modelType() + "' is not supported (only " + MODEL_TYPES + ")");
        }
        if (Activation.of(config.hiddenAct()).isEmpty()) {
            problems.add("hidden_act '" + config.hiddenAct() + "' is not supported (only " + Activation.names() + ")");
        }
        positive(problems, "vocab_size", config.vocabSize());
        positive(problems, "hidden_size", config.hiddenSize());
        positive(problems, "num_hidden_layers", config.numHiddenLayers());
        positive(problems, "num_attention_heads", config.numAttentionHeads());
        positive(problems, "intermediate_size", config.intermediateSize());
        positive(problems, "max_position_embeddings", config.maxPositionEmbeddings());
        positive(problems, "type_vocab_size", config.typeVocabSize());
        if (config.numAttentionHeads() > 0 && config.hiddenSize() % config.numAttentionHeads() != 0) {
            problems.add("hidden_size " + config.hiddenSize() + " is not divisible by num_attention_heads "
                    + config.numAttentionHeads());
        }
        if (!(config.layerNormEps() > 0 && config.layerNormEps() < 1)) {
            problems.add("layer_norm_eps " + config.layerNormEps() + " is out of range");
        }
        if (config.padTokenId() < 0 || config.padTokenId() >= Math.max(1, config.vocabSize())) {
            problems.add("pad_token_id " + config.padTokenId() + " is outside the vocabulary");
        }
        if (!problems.isEmpty()) {
            throw new ModelLoadException(origin + ": unsupported architecture: " + String.join("; ", problems));
        }
        return config;
    }

    private static void positive(List<String> problems, String knob, int value) {
        if (value <= 0) {
            problems.add(knob + " must be positive, was " + value);
        }
    }

    /** The tensor names and shapes a config implies (the pooler is optional and not listed). */
    public static Map<String, long[]> expectedShapes(BertConfig c) {
        long h = c.hiddenSize();
        long ffn = c.intermediateSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        shapes.put("embeddings.position_embeddings.weight", new long[] {c.maxPositionEmbeddings(), h});
        shapes.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        shapes.put("embeddings.LayerNorm.weight", new long[] {h});
        shapes.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String layer = "encoder.layer." + i + ".";
            for (String projection : List.of("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense")) {
                shapes.put(layer + projection + ".weight", new long[] {h, h});
                shapes.put(layer + projection + ".bias", new long[] {h});
            }
            shapes.put(layer + "attention.output.LayerNorm.weight", new long[] {h});
            shapes.put(layer + "attention.output.LayerNorm.bias", new long[] {h});
            shapes.put(layer + "intermediate.dense.weight", new long[] {ffn, h});
            shapes.put(layer + "intermediate.dense.bias", new long[] {ffn});
            shapes.put(layer + "output.dense.weight", new long[] {h, ffn});
            shapes.put(layer + "output.dense.bias", new long[] {h});
            shapes.put(layer + "output.LayerNorm.weight", new long[] {h});
            shapes.put(layer + "output.LayerNorm.bias", new long[] {h});
        }
        return shapes;
    }

    /**
     * Keeps exactly the encoder's tensors (plus the pooler when present), checking every name and shape, so a
     * checkpoint that disagrees with its config fails here instead of producing wrong vectors later. Tensors
     * of training heads (e.g. {@code cls.predictions.*}) are dropped.
     */
    public static ModelWeights verifiedWeights(BertConfig config, Map<String, ModelWeights.Entry> tensors, String origin) {
        Map<String, long[]> expected = new LinkedHashMap<>(expectedShapes(config));
        if (tensors.containsKey(POOLER_WEIGHT) || tensors.containsKey(POOLER_BIAS)) {
            expected.put(POOLER_WEIGHT, new long[] {config.hiddenSize(), config.hiddenSize()});
            expected.put(POOLER_BIAS, new long[] {config.hiddenSize()});
        }
        Map<String, ModelWeights.Entry> kept = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            ModelWeights.Entry t = tensors.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
                continue;
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelLoadException(origin + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(t.shape()) + " but the config implies " + Arrays.toString(e.getValue()));
            }
            kept.put(e.getKey(), t);
        }
        if (!missing.isEmpty()) {
            throw new ModelLoadException(origin + ": missing " + missing.size() + " weight tensor(s), e.g. "
                    + missing.subList(0, Math.min(3, missing.size())) + " (found " + tensors.size() + " tensors)");
        }
        return new ModelWeights(kept);
    }

    /**
     * Everything but the heads, LayerNorm eps and activation follows from the weight shapes; used where a
     * source has no config file (ONNX exports, TF checkpoints without bert_config.json).
     */
    public static BertConfig inferFromWeights(Map<String, ModelWeights.Entry> tensors, int heads, double layerNormEps,
                                              String activation, String origin) {
        long[] words = shapeOf(tensors, "embeddings.word_embeddings.weight", origin);
        int layers = 0;
        while (tensors.containsKey("encoder.layer." + layers + ".output.LayerNorm.weight")) {
            layers++;
        }
        return new BertConfig("bert",
                (int) words[0],
                (int) words[1],
                layers,
                heads,
                (int) shapeOf(tensors, "encoder.layer.0.intermediate.dense.weight", origin)[0],
                (int) shapeOf(tensors, "embeddings.position_embeddings.weight", origin)[0],
                (int) shapeOf(tensors, "embeddings.token_type_embeddings.weight", origin)[0],
                layerNormEps,
                activation,
                0);
    }

    private static long[] shapeOf(Map<String, ModelWeights.Entry> tensors, String name, String origin) {
        ModelWeights.Entry t = tensors.get(name);
        if (t == null || t.shape().length != 2) {
            throw new ModelLoadException(origin + ": cannot infer the architecture: no 2-D tensor '" + name + "'");
        }
        return t.shape();
    }

    /** Hugging Face task checkpoints prefix the encoder's names with {@code bert.}; the engine uses bare ones. */
    public static String stripBertPrefix(String name) {
        return name.startsWith("bert.") ? name.substring("bert.".length()) : name;
    }
}
