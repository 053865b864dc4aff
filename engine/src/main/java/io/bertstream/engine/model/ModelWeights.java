package io.bertstream.engine.model;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * All weights of a BERT encoder under Hugging Face names (e.g. {@code encoder.layer.0.attention.self.query.weight},
 * without any {@code bert.} prefix), Linear weights [out, in]. Names and shapes are known from the start; the
 * values are read from the checkpoint only when asked for, tensor by tensor ({@link #get}), and not kept: a
 * backend that holds its own copy (ONNX Runtime) never brings them onto the Java heap, and one that loads them
 * (PyTorch) has one fp32 tensor on the heap at a time.
 */
public final class ModelWeights {

    /** One weight as its source holds it: name, shape, and how to read it as fp32 in Hugging Face orientation. */
    public record Entry(String name, long[] shape, Supplier<float[]> reader) {

        public long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        /** Reads the values now; the count is checked against the shape. */
        public Tensor read() {
            float[] data = reader.get();
            if (data.length != elementCount()) {
                throw new ModelLoadException("tensor '" + name + "' holds " + data.length + " values for shape "
                        + Arrays.toString(shape));
            }
            return new Tensor(name, shape, data);
        }
    }

    private final Map<String, Entry> entries;

    public ModelWeights(Map<String, Entry> entries) {
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** Entries over tensors already in memory (writers of test checkpoints, converters). */
    public static Map<String, Entry> entriesOf(Map<String, Tensor> tensors) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        tensors.forEach((name, t) -> entries.put(name, new Entry(t.name(), t.shape(), t::data)));
        return entries;
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public Set<String> names() {
        return entries.keySet();
    }

    /** The named tensor's shape, without reading it. */
    public long[] shape(String name) {
        return entry(name).shape().clone();
    }

    /** The named tensor, read from the checkpoint now; a clear error when the checkpoint lacks it. */
    public Tensor get(String name) {
        return entry(name).read();
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelLoadException("missing weight '" + name + "' (have " + entries.size() + " tensors)");
        }
        return e;
    }

    /** Every tensor read into memory, in checkpoint order: for tools and tests, never for serving. */
    public Map<String, Tensor> decodeAll() {
        Map<String, Tensor> all = new LinkedHashMap<>();
        entries.forEach((name, e) -> all.put(name, e.read()));
        return all;
    }

    /** Number of parameters (values) of all tensors, from their shapes. */
    public long parameterCount() {
        return entries.values().stream().mapToLong(Entry::elementCount).sum();
    }

    public int size() {
        return entries.size();
    }

    /** Whether the checkpoint carries BERT's pooler (dense + tanh on CLS). */
    public boolean hasPooler() {
        return has("pooler.dense.weight") && has("pooler.dense.bias");
    }
}
