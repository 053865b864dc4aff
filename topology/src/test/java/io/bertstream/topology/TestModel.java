package io.bertstream.topology;

import io.bertstream.extract.TextEmbedder;

import java.util.Map;

/** The real all-MiniLM-L6-v2 model, loaded once per test JVM and shared by every test, as in production. */
final class TestModel {

    private static SharedModel model;

    private TestModel() {
    }

    static synchronized SharedModel shared() {
        if (model == null) {
            model = SharedModel.open(BertstreamConfig.of(Map.of(BertstreamConfig.THREADS, "1"), Map.of()));
            Runtime.getRuntime().addShutdownHook(new Thread(model::close));
        }
        return model;
    }

    static TextEmbedder embedder() {
        return shared().embedder();
    }
}
