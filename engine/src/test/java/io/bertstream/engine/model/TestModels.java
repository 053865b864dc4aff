package io.bertstream.engine.model;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Built-in models loaded once per test JVM: parsing 90-130 MB of ONNX per test class would waste the budget. */
public final class TestModels {

    private static final Map<String, LoadedModel> CACHE = new ConcurrentHashMap<>();

    private TestModels() {
    }

    public static LoadedModel builtin(String name) {
        return CACHE.computeIfAbsent(name, ModelLoader::load);
    }

    public static LoadedModel minilm() {
        return builtin(BuiltinModels.MINILM);
    }

    /** The same model as a source without an ONNX graph (a checkpoint) would give it. */
    public static LoadedModel withoutGraph(LoadedModel model) {
        return new LoadedModel(model.identity(), model.config(), model.weights(), model.tokenizerJson(),
                model.defaults(), java.util.Optional.empty());
    }
}
