package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.ModelCache;
import io.bertstream.engine.model.ModelLoadException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every hidden state of an ONNX BERT export: the output of the embedding LayerNorm and of each layer's output
 * LayerNorm. An export names only the last one as a graph output; ONNX Runtime returns graph outputs only, so
 * the backend loads a copy of the model with all of them added, written once into the model cache.
 */
public final class OnnxHiddenStates {

    private OnnxHiddenStates() {
    }

    /**
     * The output value name of every hidden state, index 0 = embedding output (the node taking
     * {@code embeddings.LayerNorm.bias}), index N = encoder layer N's output (the node taking
     * {@code encoder.layer.{N-1}.output.LayerNorm.bias}).
     */
    public static List<String> outputs(OnnxGraph graph) {
        List<String> names = new ArrayList<>();
        names.add(outputOfNodeTaking(graph, "embeddings.LayerNorm.bias"));
        for (int layer = 0; graph.hasInitializer("encoder.layer." + layer + ".output.LayerNorm.bias"); layer++) {
            names.add(outputOfNodeTaking(graph, "encoder.layer." + layer + ".output.LayerNorm.bias"));
        }
        return names;
    }

    private static String outputOfNodeTaking(OnnxGraph graph, String hfName) {
        return graph.nodeTaking(hfName)
                .orElseThrow(() -> new ModelLoadException(graph.origin() + ": no node of the graph takes '" + hfName + "'"))
                .outputs().get(0);
    }

    /**
     * The model with every hidden state as a graph output, as a file: {@code <model cache>/onnx/<sha256>-hidden-states.onnx}
     * for the model whose weights have that digest; written on first use, then reused.
     */
    public static Path modelFile(OnnxGraph graph, String sha256) {
        return ModelCache.derivedFile(ModelCache.root().resolve("onnx").resolve(sha256 + "-hidden-states.onnx"),
                graph.origin() + "'s graph with hidden-state outputs",
                file -> withExtraOutputs(graph, outputs(graph)).writeTo(file));
    }

    /**
     * An edit adding the named values as fp32 graph outputs (shape left open), so ONNX Runtime returns them;
     * names already among the outputs are not repeated.
     */
    public static GraphEdit withExtraOutputs(OnnxGraph graph, List<String> names) {
        return withExtraOutputs(new GraphEdit(graph), names);
    }

    /** Adds the named values (of the edit's original graph) to the edit as fp32 graph outputs. */
    public static GraphEdit withExtraOutputs(GraphEdit edit, List<String> names) {
        OnnxGraph graph = edit.graph();
        Set<String> present = new HashSet<>(graph.outputNames());
        for (String name : names) {
            if (!graph.hasValue(name)) {
                throw new IllegalArgumentException(graph.origin() + ": no value named '" + name + "' in the graph");
            }
            if (present.add(name)) {
                edit.append(OnnxProto.GRAPH_OUTPUT, OnnxProto.valueInfo(name, OnnxProto.FLOAT, null));
            }
        }
        return edit;
    }
}
