package io.bertstream.engine.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * All weights of a BERT encoder under Hugging Face names (e.g. {@code encoder.layer.0.attention.self.query.weight},
 * without any {@code bert.} prefix), fp32, Linear weights [out, in].
 */
public final class ModelWeights {

    private final Map<String, Tensor> tensors;

    public ModelWeights(Map<String, Tensor> tensors) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /** The named tensor; a clear error when the checkpoint lacks it. */
    public Tensor get(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new ModelLoadException("missing weight '" + name + "' (have " + tensors.size() + " tensors)");
        }
        return t;
    }

    public Map<String, Tensor> all() {
        return tensors;
    }

    /** Whether the checkpoint carries BERT's pooler (dense + tanh on CLS). */
    public boolean hasPooler() {
        return has("pooler.dense.weight") && has("pooler.dense.bias");
    }
}
