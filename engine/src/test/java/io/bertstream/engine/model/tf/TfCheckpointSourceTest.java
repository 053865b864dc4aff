package io.bertstream.engine.model.tf;

import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelFormat;
import io.bertstream.engine.model.ModelIdentity;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.model.PoolingDefaults;
import io.bertstream.engine.model.Tensor;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.model.TokenizerIds;
import io.bertstream.engine.model.hf.HfDirectories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real model (MiniLM) written as a TensorFlow checkpoint — TF names, [in, out] kernels, a multi-block
 * SSTable index, two data shards — and read back must give every tensor, the config and the tokenizer.
 */
class TfCheckpointSourceTest {

    @TempDir
    Path temp;

    @Test
    void googleReleaseLayoutRoundTrip() throws Exception {
        LoadedModel original = TestModels.minilm();
        Path dir = Files.createDirectories(temp.resolve("uncased_L-6_H-384_A-12"));
        Map<String, Tensor> tf = new TreeMap<>(TensorBundleWriter.asTf(original.weights().decodeAll(), ""));
        // what real training checkpoints also hold, and the loader must ignore
        tf.put("cls/predictions/output_bias", new Tensor("cls/predictions/output_bias", new long[] {3}, new float[3]));
        tf.put("bert/encoder/layer_0/attention/self/query/kernel/adam_m",
                new Tensor("adam_m", new long[] {2}, new float[2]));
        TensorBundleWriter.write(dir.resolve("bert_model.ckpt"), tf, 2);
        Files.writeString(dir.resolve("bert_config.json"), HfDirectories.configJson(original.config()));
        HfDirectories.writeVocab(original.tokenizerJson(), dir.resolve("vocab.txt"));

        LoadedModel loaded = ModelLoader.load(dir.toString());

        assertSameModel(original, loaded);
        assertEquals(new ModelIdentity("uncased_L-6_H-384_A-12", ModelFormat.TENSORFLOW,
                sha256(dir.resolve("bert_model.ckpt.index"), dir.resolve("bert_model.ckpt.data-00000-of-00002"),
                        dir.resolve("bert_model.ckpt.data-00001-of-00002"))), loaded.identity());
        assertEquals(PoolingDefaults.fallback(), loaded.defaults());
        // the .index file itself is also a valid spec
        assertEquals(loaded.config(), ModelLoader.load(dir.resolve("bert_model.ckpt.index").toString()).config());
    }

    @Test
    void savedModelWithoutConfigTakesKnobsFromTheGraph() throws Exception {
        LoadedModel original = TestModels.minilm();
        Path dir = temp.resolve("saved-model");
        Files.createDirectories(dir.resolve("variables"));
        TensorBundleWriter.write(dir.resolve("variables/variables"),
                TensorBundleWriter.asTf(original.weights().decodeAll(), "module/"), 1);
        HfDirectories.writeVocab(original.tokenizerJson(), dir.resolve("assets/vocab.txt"));
        Files.write(dir.resolve("saved_model.pb"), SavedModelGraphWriter.bertGraph("module/", 12, 1e-12f, "Erf"));

        LoadedModel loaded = ModelLoader.load(dir.toString());
        assertSameModel(original, loaded);

        Files.write(dir.resolve("saved_model.pb"), SavedModelGraphWriter.bertGraph("module/", 12, 1e-6f, "Tanh"));
        LoadedModel tanh = ModelLoader.load(dir.toString());
        assertEquals("gelu_new", tanh.config().hiddenAct());
        assertEquals(1e-6, tanh.config().layerNormEps());

        Files.writeString(dir.resolve("assets/model.json"), "{\"doLowerCase\": false}");
        List<long[]> cased = TokenizerIds.of(ModelLoader.load(dir.toString()).tokenizerJson());
        int upper = TokenizerIds.TEXTS.indexOf("UPPER Case MiXeD");
        assertFalse(Arrays.equals(TokenizerIds.of(original.tokenizerJson()).get(upper), cased.get(upper)));

        Files.delete(dir.resolve("saved_model.pb"));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> ModelLoader.load(dir.toString()));
        assertTrue(e.getMessage().contains("variables.index") && e.getMessage().contains("bert_config.json"),
                e.getMessage());
    }

    @Test
    void tfNamesMapToHuggingFaceNames() {
        assertEquals("encoder.layer.11.attention.self.query.weight",
                TfCheckpointSource.hfName("module/bert/encoder/layer_11/attention/self/query/kernel").orElseThrow());
        assertEquals("embeddings.LayerNorm.bias", TfCheckpointSource.hfName("bert/embeddings/LayerNorm/beta").orElseThrow());
        assertEquals("encoder.layer.0.output.LayerNorm.weight",
                TfCheckpointSource.hfName("bert/encoder/layer_0/output/LayerNorm/gamma").orElseThrow());
        assertEquals("embeddings.word_embeddings.weight",
                TfCheckpointSource.hfName("bert/embeddings/word_embeddings").orElseThrow());
        assertEquals("pooler.dense.weight", TfCheckpointSource.hfName("bert/pooler/dense/kernel").orElseThrow());
        assertTrue(TfCheckpointSource.hfName("global_step").isEmpty());
        assertTrue(TfCheckpointSource.hfName("cls/predictions/output_bias").isEmpty());
    }

    static void assertSameModel(LoadedModel expected, LoadedModel actual) {
        assertEquals(expected.config(), actual.config());
        assertEquals(expected.weights().names(), actual.weights().names());
        for (Tensor t : expected.weights().decodeAll().values()) {
            assertArrayEquals(t.shape(), actual.weights().get(t.name()).shape(), t.name());
            assertArrayEquals(t.data(), actual.weights().get(t.name()).data(), t.name());
        }
        List<long[]> expectedIds = TokenizerIds.of(expected.tokenizerJson());
        List<long[]> actualIds = TokenizerIds.of(actual.tokenizerJson());
        for (int i = 0; i < expectedIds.size(); i++) {
            assertArrayEquals(expectedIds.get(i), actualIds.get(i), TokenizerIds.TEXTS.get(i));
        }
    }

    private static String sha256(Path... files) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        for (Path f : files) {
            digest.update(Files.readAllBytes(f));
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
