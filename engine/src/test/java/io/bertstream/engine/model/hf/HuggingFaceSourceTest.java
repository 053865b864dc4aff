package io.bertstream.engine.model.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.model.Tensor;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.model.TokenizerIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real model (MiniLM, read from its ONNX export) written as a Hugging Face directory and read back must
 * give the same config, every tensor bit for bit, and the same token ids.
 */
class HuggingFaceSourceTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void roundTripKeepsEveryTensorTheConfigAndTheTokenizer() throws Exception {
        LoadedModel onnx = TestModels.minilm();
        Path dir = HfDirectories.write(temp.resolve("minilm-hf"), onnx, "F32");

        LoadedModel hf = ModelLoader.load(dir.toString());

        assertEquals(onnx.config(), hf.config());
        assertEquals(onnx.weights().names(), hf.weights().names());
        for (Tensor expected : onnx.weights().decodeAll().values()) {
            Tensor actual = hf.weights().get(expected.name());
            assertArrayEquals(expected.shape(), actual.shape(), expected.name());
            assertArrayEquals(expected.data(), actual.data(), expected.name());
        }
        assertIdsEqual(TokenizerIds.of(onnx.tokenizerJson()), TokenizerIds.of(hf.tokenizerJson()));
        assertEquals(ModelFormat.HUGGINGFACE, hf.identity().format());
        assertEquals("minilm-hf", hf.identity().name());
        assertEquals(sha256(dir.resolve("model.safetensors")), hf.identity().sha256());
        assertEquals(PoolingDefaults.fallback(), hf.defaults());
        assertTrue(hf.onnxGraph().isEmpty());
    }

    @Test
    void vocabTxtBuildsTheSameTokenizerAndHonoursCasing() throws Exception {
        LoadedModel onnx = TestModels.minilm();
        Path dir = HfDirectories.write(temp.resolve("vocab-only"), onnx, "F32");
        HfDirectories.replaceTokenizerByVocab(dir);

        List<long[]> expected = TokenizerIds.of(onnx.tokenizerJson());
        assertIdsEqual(expected, TokenizerIds.of(ModelLoader.load(dir.toString()).tokenizerJson()));

        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"do_lower_case\": false}");
        List<long[]> cased = TokenizerIds.of(ModelLoader.load(dir.toString()).tokenizerJson());
        int upper = TokenizerIds.TEXTS.indexOf("UPPER Case MiXeD");
        assertFalse(Arrays.equals(expected.get(upper), cased.get(upper)),
                "without lowercasing, upper-case words fall apart into other pieces");
    }

    @Test
    void sentenceTransformersPoolingConfigIsRead() throws Exception {
        Path dir = HfDirectories.write(temp.resolve("st"), TestModels.minilm(), "F32");
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                 {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
                """);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), """
                {"word_embedding_dimension": 384, "pooling_mode_cls_token": false,
                 "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false,
                 "pooling_mode_mean_sqrt_len_tokens": false}
                """);
        PoolingDefaults mean = ModelLoader.load(dir.toString()).defaults();
        assertEquals(new PoolingDefaults(-1, "mean", true, "sentence-transformers"), mean);

        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
                """);
        Files.writeString(dir.resolve("1_Pooling/config.json"), "{\"pooling_mode_cls_token\": true}");
        assertEquals(new PoolingDefaults(-1, "cls", false, "sentence-transformers"),
                ModelLoader.load(dir.toString()).defaults());
    }

    @Test
    void shardedSafetensorsAreReadThroughTheirIndex() throws Exception {
        LoadedModel onnx = TestModels.minilm();
        Path dir = HfDirectories.write(temp.resolve("sharded"), onnx, "F32");
        Files.delete(dir.resolve("model.safetensors"));
        Map<String, Tensor> embeddings = new LinkedHashMap<>();
        Map<String, Tensor> encoder = new LinkedHashMap<>();
        onnx.weights().decodeAll().forEach((name, t) -> (name.startsWith("embeddings.") ? embeddings : encoder).put(name, t));
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), embeddings, "bert.", "F32");
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), encoder, "bert.", "F32");
        ObjectNode index = JSON.createObjectNode();
        ObjectNode weightMap = index.putObject("weight_map");
        embeddings.keySet().forEach(name -> weightMap.put("bert." + name, "model-00001-of-00002.safetensors"));
        encoder.keySet().forEach(name -> weightMap.put("bert." + name, "model-00002-of-00002.safetensors"));
        JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);

        LoadedModel hf = ModelLoader.load(dir.toString());
        for (Tensor expected : onnx.weights().decodeAll().values()) {
            assertArrayEquals(expected.data(), hf.weights().get(expected.name()).data(), expected.name());
        }
        assertEquals(sha256(dir.resolve("model-00001-of-00002.safetensors"), dir.resolve("model-00002-of-00002.safetensors")),
                hf.identity().sha256());
    }

    @Test
    void bf16WeightsAreWidenedToFp32() throws Exception {
        LoadedModel onnx = TestModels.minilm();
        Path dir = HfDirectories.write(temp.resolve("bf16"), onnx, "BF16");
        LoadedModel hf = ModelLoader.load(dir.toString());
        for (Tensor original : onnx.weights().decodeAll().values()) {
            float[] actual = hf.weights().get(original.name()).data();
            for (int i = 0; i < actual.length; i++) {
                float truncated = Float.intBitsToFloat(Float.floatToRawIntBits(original.data()[i]) & 0xffff0000);
                if (Float.compare(truncated, actual[i]) != 0) {
                    throw new AssertionError(original.name() + "[" + i + "]: " + actual[i] + " != " + truncated);
                }
            }
        }
    }

    static void assertIdsEqual(List<long[]> expected, List<long[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "text: " + TokenizerIds.TEXTS.get(i));
        }
    }

    private static String sha256(Path... files) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (Path file : files) {
            digest.update(Files.readAllBytes(file));
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
