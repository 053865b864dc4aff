package io.bertstream.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in names resolve from the langchain4j jars with the published architectures and poolings. */
class BuiltinModelsTest {

    @Test
    void minilmIsAllMiniLmL6V2() throws Exception {
        LoadedModel minilm = TestModels.minilm();
        assertEquals(new BertConfig("bert", 30522, 384, 6, 12, 1536, 512, 2, 1e-12, "gelu", 0), minilm.config());
        assertEquals(new PoolingDefaults(-1, "mean", true, "built-in"), minilm.defaults());
        assertEquals(ModelLoader.DEFAULT, minilm.identity().name());
        assertEquals(ModelFormat.ONNX, minilm.identity().format());
        assertEquals(sha256OfResource("all-minilm-l6-v2.onnx"), minilm.identity().sha256());
        assertFalse(minilm.weights().hasPooler(), "the sentence-transformers export has no pooler");
        assertEquals(512, minilm.maxTokens());
    }

    @Test
    void bgeSmallIsBgeSmallEnV15() {
        LoadedModel bge = TestModels.builtin(BuiltinModels.BGE_SMALL);
        assertEquals(12, bge.config().numHiddenLayers());
        assertEquals(384, bge.config().hiddenSize());
        assertEquals(12, bge.config().numAttentionHeads());
        assertEquals(1536, bge.config().intermediateSize());
        assertEquals(new PoolingDefaults(-1, "cls", true, "built-in"), bge.defaults());
        assertEquals(5 + 12 * 16, bge.weights().size());
    }

    @Test
    void shippedTokenizerLosesItsFixedPaddingAndTruncation() throws Exception {
        JsonNode tokenizer = new ObjectMapper().readTree(TestModels.minilm().tokenizerJson());
        assertTrue(tokenizer.get("padding").isNull());
        assertTrue(tokenizer.get("truncation").isNull());
        // BERT's uncased vocabulary: [CLS] hello world [SEP], not padded to 128
        assertArrayEquals(new long[] {101, 7592, 2088, 102},
                TokenizerIds.of(TestModels.minilm().tokenizerJson(), List.of("Hello world")).get(0));
        long[] longest = TokenizerIds.of(TestModels.minilm().tokenizerJson(), List.of("word ".repeat(600))).get(0);
        assertEquals(602, longest.length, "600 words + [CLS] + [SEP], not truncated");
    }

    @Test
    void unknownNameIsNotAFile() {
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelLoader.load("bert-huge"));
        assertTrue(e.getMessage().contains("bert-huge") && e.getMessage().contains(BuiltinModels.BGE_SMALL), e.getMessage());
    }

    private static String sha256OfResource(String resource) throws Exception {
        try (InputStream in = BuiltinModelsTest.class.getClassLoader().getResourceAsStream(resource)) {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        }
    }
}
