package io.bertstream.engine.model.tf;

import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.ModelWeights;

/**
 * BERT's blocks written out in plain Java (double accumulation) straight from the loaded weights: the
 * reference that checks, against TensorFlow running Google's own graph, that every tensor was named,
 * oriented and configured right. Only real (unpadded) tokens are given, so no attention mask is needed.
 */
final class ReferenceBertLayer {

    private final BertConfig config;
    private final ModelWeights weights;

    ReferenceBertLayer(BertConfig config, ModelWeights weights) {
        this.config = config;
        this.weights = weights;
    }

    /** Embedding output for token ids with segment 0. */
    float[][] embeddings(int[] ids) {
        int h = config.hiddenSize();
        float[][] x = new float[ids.length][h];
        for (int t = 0; t < ids.length; t++) {
            for (int i = 0; i < h; i++) {
                x[t][i] = w("embeddings.word_embeddings.weight")[ids[t] * h + i]
                        + w("embeddings.position_embeddings.weight")[t * h + i]
                        + w("embeddings.token_type_embeddings.weight")[i];
            }
        }
        return layerNorm(x, "embeddings.LayerNorm");
    }

    /** Encoder layer {@code index} (0-based) applied to {@code x}. */
    float[][] layer(int index, float[][] x) {
        String p = "encoder.layer." + index + ".";
        float[][] q = linear(x, p + "attention.self.query");
        float[][] k = linear(x, p + "attention.self.key");
        float[][] v = linear(x, p + "attention.self.value");
        int heads = config.numAttentionHeads();
        int d = config.headSize();
        int tokens = x.length;
        float[][] context = new float[tokens][config.hiddenSize()];
        for (int head = 0; head < heads; head++) {
            int off = head * d;
            for (int i = 0; i < tokens; i++) {
                double[] scores = new double[tokens];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < tokens; j++) {
                    double s = 0;
                    for (int c = 0; c < d; c++) {
                        s += q[i][off + c] * k[j][off + c];
                    }
                    scores[j] = s / Math.sqrt(d);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j < tokens; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < tokens; j++) {
                        acc += scores[j] / sum * v[j][off + c];
                    }
                    context[i][off + c] = (float) acc;
                }
            }
        }
        float[][] attention = layerNorm(add(linear(context, p + "attention.output.dense"), x), p + "attention.output.LayerNorm");
        float[][] intermediate = linear(attention, p + "intermediate.dense");
        for (float[] row : intermediate) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) activation(row[i]);
            }
        }
        return layerNorm(add(linear(intermediate, p + "output.dense"), attention), p + "output.LayerNorm");
    }

    /** BERT's pooler: tanh(W · h[CLS] + b). */
    float[] pooler(float[] cls) {
        float[] out = linear(new float[][] {cls}, "pooler.dense")[0];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) Math.tanh(out[i]);
        }
        return out;
    }

    private double activation(double x) {
        return switch (config.hiddenAct()) {
            case "gelu_new" -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case "relu" -> Math.max(0, x);
            default -> throw new IllegalStateException("reference has no " + config.hiddenAct());
        };
    }

    private float[][] linear(float[][] x, String name) {
        float[] weight = w(name + ".weight");
        float[] bias = w(name + ".bias");
        int in = x[0].length;
        float[][] y = new float[x.length][bias.length];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < bias.length; o++) {
                double acc = bias[o];
                for (int i = 0; i < in; i++) {
                    acc += (double) x[t][i] * weight[o * in + i];
                }
                y[t][o] = (float) acc;
            }
        }
        return y;
    }

    private float[][] layerNorm(float[][] x, String name) {
        float[] gamma = w(name + ".weight");
        float[] beta = w(name + ".bias");
        float[][] y = new float[x.length][x[0].length];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (float v : x[t]) {
                mean += v;
            }
            mean /= x[t].length;
            double variance = 0;
            for (float v : x[t]) {
                variance += (v - mean) * (v - mean);
            }
            variance /= x[t].length;
            for (int i = 0; i < x[t].length; i++) {
                y[t][i] = (float) ((x[t][i] - mean) / Math.sqrt(variance + config.layerNormEps()) * gamma[i] + beta[i]);
            }
        }
        return y;
    }

    private static float[][] add(float[][] a, float[][] b) {
        float[][] y = new float[a.length][a[0].length];
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                y[t][i] = a[t][i] + b[t][i];
            }
        }
        return y;
    }

    /** Read once each: ModelWeights reads a tensor from the checkpoint on every get(). */
    private final java.util.Map<String, float[]> read = new java.util.HashMap<>();

    private float[] w(String name) {
        return read.computeIfAbsent(name, n -> weights.get(n).data());
    }
}
