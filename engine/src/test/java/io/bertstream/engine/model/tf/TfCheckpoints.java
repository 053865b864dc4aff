package io.bertstream.engine.model.tf;

import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.hf.HfDirectories;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a loaded model as Google's TF BERT release lays one out, for tests in other packages. */
public final class TfCheckpoints {

    private TfCheckpoints() {
    }

    /** bert_model.ckpt.index + one data shard, bert_config.json, vocab.txt. */
    public static Path write(Path dir, LoadedModel model) throws IOException {
        Files.createDirectories(dir);
        TensorBundleWriter.write(dir.resolve("bert_model.ckpt"), TensorBundleWriter.asTf(model.weights().decodeAll(), ""), 1);
        Files.writeString(dir.resolve("bert_config.json"), HfDirectories.configJson(model.config()));
        HfDirectories.writeVocab(model.tokenizerJson(), dir.resolve("vocab.txt"));
        return dir;
    }
}
