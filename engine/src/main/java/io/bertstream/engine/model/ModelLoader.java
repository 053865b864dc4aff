package io.bertstream.engine.model;

import io.bertstream.engine.model.hf.HuggingFaceSource;
import io.bertstream.engine.model.onnx.OnnxSource;
import io.bertstream.engine.model.tf.TfCheckpointSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Resolves a model spec — a built-in name or a path — into a {@link LoadedModel}, offline. Paths may be a
 * Hugging Face directory (config.json + model.safetensors), an ONNX export (.onnx file or a directory with
 * one), or a TensorFlow BERT checkpoint (a directory with variables.index, or a SavedModel directory).
 */
public final class ModelLoader {

    /** The embedded default model. */
    public static final String DEFAULT = BuiltinModels.MINILM;

    private ModelLoader() {
    }

    public static LoadedModel load(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new ModelLoadException("no model given (a built-in name " + BuiltinModels.names() + " or a path)");
        }
        if (BuiltinModels.isBuiltin(spec)) {
            return BuiltinModels.load(spec);
        }
        Path path = Path.of(spec);
        if (!Files.exists(path)) {
            throw new ModelLoadException(path, "no such file or directory, and not a built-in model "
                    + BuiltinModels.names());
        }
        return switch (formatOf(path)) {
            case ONNX -> OnnxSource.load(path);
            case HUGGINGFACE -> HuggingFaceSource.load(Files.isDirectory(path) ? path : path.toAbsolutePath().getParent());
            case TENSORFLOW -> TfCheckpointSource.load(path);
        };
    }

    /** Which format a path holds, from the files present. */
    static ModelFormat formatOf(Path path) {
        String name = path.getFileName().toString();
        if (Files.isRegularFile(path)) {
            if (name.endsWith(".onnx")) {
                return ModelFormat.ONNX;
            }
            if (name.equals("model.safetensors") || name.equals("config.json")) {
                return ModelFormat.HUGGINGFACE;
            }
            if (name.endsWith(".index")) {
                return ModelFormat.TENSORFLOW;
            }
            throw new ModelLoadException(path, "not a model file (expected a .onnx file, model.safetensors or "
                    + "a TensorFlow variables.index; or a model directory)");
        }
        if (Files.isRegularFile(path.resolve("model.safetensors"))
                || Files.isRegularFile(path.resolve("model.safetensors.index.json"))) {
            return ModelFormat.HUGGINGFACE;
        }
        if (Files.isRegularFile(path.resolve("variables").resolve("variables.index")) || hasFileEndingIn(path, ".index")) {
            return ModelFormat.TENSORFLOW;
        }
        if (hasFileEndingIn(path, ".onnx")) {
            return ModelFormat.ONNX;
        }
        if (Files.isRegularFile(path.resolve("config.json"))) {
            return ModelFormat.HUGGINGFACE; // with its weights missing: the HF loader says which file
        }
        throw new ModelLoadException(path, "no model found in this directory (expected config.json + "
                + "model.safetensors, a .onnx file, or a TensorFlow checkpoint's .index file)");
    }

    private static boolean hasFileEndingIn(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(suffix));
        } catch (IOException e) {
            throw new ModelLoadException(dir, "cannot list: " + e.getMessage(), e);
        }
    }
}
