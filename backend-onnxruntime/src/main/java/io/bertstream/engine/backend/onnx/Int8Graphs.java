package io.bertstream.engine.backend.onnx;

import io.bertstream.engine.backend.onnx.Int8Quantizer.Recipe;
import io.bertstream.engine.backend.onnx.Int8Quantizer.WeightFormat;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelCache;
import io.bertstream.engine.model.onnx.GraphEdit;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxHiddenStates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * int8 graphs in the model cache: quantising (calibration included) takes seconds, so it is done once per fp32
 * graph, recipe and weight format, and kept, with every hidden state as a graph output, as
 * {@code <cache>/int8/<sha256 of the fp32 graph>-<recipe>-<format>-hidden-states.onnx}. Written by streaming
 * like the fp32 graph's copy (the model is never whole on the heap); a file appears only complete.
 */
final class Int8Graphs {

    private static final Logger LOG = LoggerFactory.getLogger(Int8Graphs.class);

    private Int8Graphs() {
    }

    static Path cacheFile(String sha256, Recipe recipe, WeightFormat format) {
        String name = recipe.name().replaceAll("[^A-Za-z0-9.-]+", "_");
        return ModelCache.root().resolve("int8").resolve(
                sha256 + "-" + name + "-" + format.name().toLowerCase(Locale.ROOT) + "-hidden-states.onnx");
    }

    /** The model's graph rewritten by the recipe, with every hidden state as an output: cached, or made now. */
    static Path modelFile(LoadedModel model, Recipe recipe, int threads) {
        WeightFormat format = WeightFormat.forThisCpu();
        String described = Int8Quantizer.describe(recipe, format);
        Path target = cacheFile(model.identity().sha256(), recipe, format);
        if (Files.isRegularFile(target)) {
            LOG.info("model {}: {} from {}", model.identity().name(), described, target);
            return target;
        }
        long start = System.nanoTime();
        OnnxGraph graph = model.onnxGraph().orElseThrow(() -> new IllegalArgumentException(
                "model " + model.identity().name() + " has no ONNX graph to quantise"));
        Map<String, float[]> calibration = recipe.outlierDims() > 0
                ? Int8Quantizer.calibrate(model, Int8Quantizer.calibrationTexts(), threads) : Map.of();
        GraphEdit edit = Int8Quantizer.rewrite(graph, recipe, calibration, format);
        OnnxHiddenStates.withExtraOutputs(edit, OnnxHiddenStates.outputs(graph));
        Path file = ModelCache.derivedFile(target, "the int8 graph of " + model.identity().name(), edit::writeTo);
        LOG.info("model {}: {} quantised in {} ms, written to {}", model.identity().name(), described,
                (System.nanoTime() - start) / 1_000_000, file);
        return file;
    }
}
