package io.bertstream.engine.backend.pytorch;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.jni.JniUtils;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Encoder;
import io.bertstream.engine.backend.HiddenStates;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.TokenPass;
import io.bertstream.engine.model.Architecture;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelWeights;
import io.bertstream.engine.model.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * BERT written on DJL NDArray ops, run by DJL's PyTorch engine: embeddings + LayerNorm, then N post-LayerNorm
 * blocks of masked multi-head self-attention and a GELU feed-forward. One forward pass yields every hidden state
 * (0 = embedding output). The pooler is not part of the encoder; the extraction layer applies it.
 *
 * <p>Native memory: the weights live in their own manager, capped once loaded, so an op that would leave its
 * result there (an op whose first operand is a weight) throws instead of leaking. Each forward pass runs in a
 * sub-manager closed before returning, and each layer in a nested one, so a big pass holds one layer's
 * attention scores at a time, not all of them.
 */
public final class PyTorchEncoder implements Encoder {

    /** Added to attention scores of padding keys: exp() of it is 0 in fp32 and fp16 alike. */
    private static final float MASKED = -10000f;

    private final BertConfig config;
    private final NDManager root;
    private final NDManager weights;
    private final DataType computeType;
    private final Architecture.Activation activation;
    private final String name;
    private final Embeddings embeddings;
    private final List<Layer> layers;

    private record Embeddings(NDArray word, NDArray position, NDArray tokenType, NDArray normWeight,
                              NDArray normBias) {
    }

    /** One encoder block; query, key and value projections fused into one [3H, H] matrix. */
    private record Layer(NDArray qkvWeight, NDArray qkvBias, NDArray attnOutWeight, NDArray attnOutBias,
                         NDArray attnNormWeight, NDArray attnNormBias, NDArray ffnInWeight, NDArray ffnInBias,
                         NDArray ffnOutWeight, NDArray ffnOutBias, NDArray outNormWeight, NDArray outNormBias) {
    }

    private PyTorchEncoder(LoadedModel model, ai.djl.Device device, Precision precision) {
        this.config = model.config();
        // Architecture.validate refused every other hidden_act when the model was loaded
        this.activation = Architecture.Activation.of(config.hiddenAct()).orElseThrow();
        this.computeType = switch (precision) {
            case FP32 -> DataType.FLOAT32;
            case FP16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case INT8 -> throw new IllegalStateException("load refuses int8");
        };
        this.name = "pytorch-" + (device.isGpu() ? "gpu" : "cpu")
                + (precision == Precision.FP32 ? "" : "-" + precision.name().toLowerCase());
        this.root = NDManager.newBaseManager(device, "PyTorch");
        try {
            this.weights = root.newSubManager();
            ModelWeights w = model.weights();
            this.embeddings = new Embeddings(
                    load(w, "embeddings.word_embeddings.weight"),
                    load(w, "embeddings.position_embeddings.weight"),
                    load(w, "embeddings.token_type_embeddings.weight"),
                    load(w, "embeddings.LayerNorm.weight"),
                    load(w, "embeddings.LayerNorm.bias"));
            this.layers = new ArrayList<>(config.numHiddenLayers());
            for (int i = 0; i < config.numHiddenLayers(); i++) {
                layers.add(loadLayer(w, "encoder.layer." + i + "."));
            }
            weights.cap();
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /**
     * Loads the model's weights onto the device.
     *
     * @param threads intra-op threads, 0 = PyTorch's default (one per core). PyTorch's pool is process-wide: the
     *                last encoder opened sets it. Fewer threads than cores pays off when the CPU is shared, where
     *                OpenMP's spinning threads wait on each other (measured 38 ms vs 500 ms per call at load 14).
     * @throws IllegalArgumentException for reduced precision on the CPU, where PyTorch has no fast kernels
     */
    public static PyTorchEncoder load(LoadedModel model, Device device, Precision precision, int threads) {
        if (precision == Precision.INT8) {
            throw new IllegalArgumentException("precision int8 is a mode of the ONNX Runtime backend on the CPU, not "
                    + "PyTorch's; use backend onnxruntime (or auto)");
        }
        ai.djl.Device target = resolve(device);
        if (!target.isGpu() && precision != Precision.FP32) {
            throw new IllegalArgumentException(precision + " on the CPU is refused: PyTorch has no fast "
                    + precision + " matmul kernel there (measured ~2 GFLOP/s, and bf16 aborted the JVM); use FP32 "
                    + "on the CPU, " + precision + " on a GPU");
        }
        Engine.getEngine("PyTorch"); // loads libtorch, which the JNI calls below need
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        return new PyTorchEncoder(model, target, precision);
    }

    /** AUTO = the first GPU when PyTorch sees one, else the CPU (libtorch is not asked where no driver is). */
    static ai.djl.Device resolve(Device device) {
        return switch (device) {
            case CPU -> ai.djl.Device.cpu();
            case GPU -> {
                if (gpuCount() == 0) {
                    throw new IllegalArgumentException("device gpu requested but PyTorch sees no GPU");
                }
                yield ai.djl.Device.gpu();
            }
            case AUTO -> PyTorchProvider.nvidiaDriverPresent() && gpuCount() > 0 ? ai.djl.Device.gpu() : ai.djl.Device.cpu();
        };
    }

    /** GPUs libtorch sees; loads libtorch. */
    static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    private Layer loadLayer(ModelWeights w, String prefix) {
        String self = prefix + "attention.self.";
        NDArray qkvWeight = fuse(load(w, self + "query.weight"), load(w, self + "key.weight"),
                load(w, self + "value.weight"));
        NDArray qkvBias = fuse(load(w, self + "query.bias"), load(w, self + "key.bias"), load(w, self + "value.bias"));
        return new Layer(qkvWeight, qkvBias,
                load(w, prefix + "attention.output.dense.weight"), load(w, prefix + "attention.output.dense.bias"),
                load(w, prefix + "attention.output.LayerNorm.weight"),
                load(w, prefix + "attention.output.LayerNorm.bias"),
                load(w, prefix + "intermediate.dense.weight"), load(w, prefix + "intermediate.dense.bias"),
                load(w, prefix + "output.dense.weight"), load(w, prefix + "output.dense.bias"),
                load(w, prefix + "output.LayerNorm.weight"), load(w, prefix + "output.LayerNorm.bias"));
    }

    private static NDArray fuse(NDArray q, NDArray k, NDArray v) {
        NDArray fused = NDArrays.concat(new NDList(q, k, v), 0);
        q.close();
        k.close();
        v.close();
        return fused;
    }

    /**
     * One weight read from the checkpoint now, into libtorch's own memory. DJL hands a Java array to libtorch in a
     * direct ByteBuffer that the tensor keeps using (counted against -XX:MaxDirectMemorySize, which defaults to
     * -Xmx), so the weights are copied out of it (or converted) and the buffer is left to the garbage collector:
     * they stay resident once, in libtorch, whatever the heap size.
     */
    private NDArray load(ModelWeights w, String name) {
        Tensor t = w.get(name);
        try (NDArray staged = weights.create(t.data(), new Shape(t.shape()))) {
            return computeType == DataType.FLOAT32 ? staged.duplicate() : staged.toType(computeType, true);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int numLayers() {
        return layers.size();
    }

    /** Arrays alive under this encoder (weights included); constant between calls unless something leaks. */
    public int liveArrays() {
        return ((ai.djl.ndarray.BaseNDManager) root).getManagedArrays().size();
    }

    @Override
    public HiddenStates forward(TokenPass pass, int[] wanted) {
        if (pass.seqLen() > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + pass.seqLen() + " tokens exceeds the model's "
                    + config.maxPositionEmbeddings() + " positions");
        }
        // Gradient mode is per thread in PyTorch; no autograd graph is ever wanted here.
        JniUtils.setGradMode(false);
        int maxWanted = 0;
        for (int layer : wanted) {
            maxWanted = Math.max(maxWanted, layer);
        }
        Shape rows = new Shape(pass.size(), pass.seqLen());
        try (NDManager scope = root.newSubManager()) {
            NDArray ids = scope.create(pass.inputIds(), rows);
            NDArray types = scope.create(pass.tokenTypeIds(), rows);
            // [B, 1, 1, T]: 0 on real keys, MASKED on padding, broadcast over heads and queries
            NDArray maskBias = scope.create(pass.attentionMask(), rows).toType(computeType, false)
                    .sub(1).mul(-MASKED).reshape(pass.size(), 1, 1, pass.seqLen());
            List<NDArray> states = new ArrayList<>(maxWanted + 1);
            states.add(embed(scope, ids, types));
            for (int i = 0; i < maxWanted; i++) {
                states.add(layer(layers.get(i), states.get(i), maskBias, scope));
            }
            float[][] data = new float[wanted.length][];
            for (int i = 0; i < wanted.length; i++) {
                data[i] = states.get(wanted[i]).toType(DataType.FLOAT32, false).toFloatArray();
            }
            return new HiddenStates(pass.size(), pass.seqLen(), config.hiddenSize(), wanted.clone(), data);
        }
    }

    private NDArray embed(NDManager scope, NDArray ids, NDArray types) {
        NDArray positions = scope.arange(0, (int) ids.getShape().get(1), 1, DataType.INT64);
        NDArray sum = lookup(ids, embeddings.word())
                .add(lookup(positions, embeddings.position()))
                .add(lookup(types, embeddings.tokenType()));
        return layerNorm(sum, embeddings.normWeight(), embeddings.normBias());
    }

    /** Rows of {@code table} for each index; the result belongs to the indexes' (per-pass) manager. */
    private static NDArray lookup(NDArray indexes, NDArray table) {
        return Embedding.embedding(indexes, table, SparseFormat.DENSE).singletonOrThrow();
    }

    /** One post-LayerNorm block; intermediates live in a nested scope, only the output joins {@code keep}. */
    private NDArray layer(Layer l, NDArray x, NDArray maskBias, NDManager keep) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        int heads = config.numAttentionHeads();
        int headSize = config.headSize();
        try (NDManager scope = keep.newSubManager()) {
            x.tempAttach(scope);
            // [B, T, 3H] -> [3, B, heads, T, headSize]
            NDArray qkv = Linear.linear(x, l.qkvWeight(), l.qkvBias()).singletonOrThrow()
                    .reshape(batch, seq, 3, heads, headSize).transpose(2, 0, 3, 1, 4);
            NDArray query = qkv.get(0).mul(1.0 / Math.sqrt(headSize));
            NDArray scores = query.matMul(qkv.get(1).transpose(0, 1, 3, 2)).add(maskBias);
            NDArray context = scores.softmax(-1).matMul(qkv.get(2))
                    .transpose(0, 2, 1, 3).reshape(batch, seq, config.hiddenSize());
            NDArray attention = layerNorm(
                    Linear.linear(context, l.attnOutWeight(), l.attnOutBias()).singletonOrThrow().add(x),
                    l.attnNormWeight(), l.attnNormBias());
            NDArray inner = activation(
                    Linear.linear(attention, l.ffnInWeight(), l.ffnInBias()).singletonOrThrow());
            NDArray out = layerNorm(
                    Linear.linear(inner, l.ffnOutWeight(), l.ffnOutBias()).singletonOrThrow().add(attention),
                    l.outNormWeight(), l.outNormBias());
            out.attach(keep);
            return out;
        }
    }

    /** The forms {@link Architecture.Activation} names: exact erf GELU, its tanh approximation, ReLU. */
    private NDArray activation(NDArray x) {
        return switch (activation) {
            case GELU -> Activation.gelu(x);
            case RELU -> Activation.relu(x);
            case GELU_TANH -> x.pow(3).mul(0.044715).add(x).mul(Math.sqrt(2 / Math.PI)).tanh().add(1).mul(x).mul(0.5);
        };
    }

    private NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, (float) config.layerNormEps())
                .singletonOrThrow();
    }

    @Override
    public void close() {
        root.close();
    }
}
