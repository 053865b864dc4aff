package io.bertstream.engine.backend.onnx;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.backend.onnx.Int8Quantizer.WeightFormat;
import io.bertstream.engine.backend.onnx.LinearRewriter.Kind;
import io.bertstream.engine.backend.onnx.LinearRewriter.Linear;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.model.onnx.OnnxGraph;
import io.bertstream.engine.model.onnx.OnnxHiddenStates;
import io.bertstream.engine.model.onnx.OnnxProto;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped recipe's rewrite of the real all-MiniLM-L6-v2, read back with the engine's ONNX codec and run by
 * ONNX Runtime through this backend's encoder: what it replaces, what it keeps, and that both weight formats give
 * the same vectors (the claim that lets the format follow the CPU).
 */
class Int8QuantizerTest {

    private static LoadedModel model;
    private static OnnxGraph fp32;
    private static Map<String, float[]> calibration;

    @TempDir
    Path dir;

    @BeforeAll
    static void calibrate() {
        model = TestModels.minilm();
        fp32 = model.onnxGraph().orElseThrow();
        calibration = Int8Quantizer.calibrate(model, Int8Quantizer.calibrationTexts(), 0);
    }

    private Path write(WeightFormat format) {
        Path file = dir.resolve(format + ".onnx");
        OnnxHiddenStates.withExtraOutputs(Int8Quantizer.rewrite(fp32, Int8Quantizer.SHIPPED, calibration, format),
                OnnxHiddenStates.outputs(fp32)).writeTo(file);
        return file;
    }

    @Test
    void calibrationCoversEveryLinearInputWithTheMagnitudeOfEachDimension() {
        List<Linear> linears = LinearRewriter.linears(fp32);
        assertEquals(36, linears.size(), "q, k, v, attention output, FFN up and down in 6 layers");
        for (Linear linear : linears) {
            float[] max = calibration.get(linear.input());
            assertEquals(linear.in(), max.length, linear.name());
            int[] outliers = Int8Quantizer.outlierDims(max, 16);
            assertTrue(outliers.length <= 16, linear.name());
            for (int d : outliers) {
                float[] sorted = max.clone();
                java.util.Arrays.sort(sorted);
                assertTrue(max[d] > Int8Quantizer.OUTLIER_RATIO * sorted[sorted.length / 2], linear.name() + " dim " + d);
            }
        }
        // BERT's LayerNorm outputs have a few large channels: the recipe exists because of them
        assertTrue(linears.stream().anyMatch(l -> Int8Quantizer.outlierDims(calibration.get(l.input()), 16).length > 0));
    }

    @Test
    void theRewriteReplacesTheChosenLinearsInPlaceAndKeepsEverythingElse() {
        OnnxGraph int8 = OnnxGraph.parse(write(WeightFormat.S8), "int8");
        Set<String> quantisedWeights = new HashSet<>();
        Set<String> keptWeights = new HashSet<>();
        for (Linear linear : LinearRewriter.linears(fp32)) {
            String weight = fp32.producer(linear.output()).inputs().get(1);
            (Int8Quantizer.SHIPPED.quantised().test(linear) ? quantisedWeights : keptWeights).add(weight);
            assertEquals(Int8Quantizer.SHIPPED.quantised().test(linear),
                    linear.kind() != Kind.VALUE && linear.kind() != Kind.FFN_DOWN, linear.name());
        }
        assertEquals(24, quantisedWeights.size());
        Map<String, Long> ops = int8.nodes().stream().collect(Collectors.groupingBy(Node::opType, Collectors.counting()));
        assertEquals(24L, ops.get("MatMulInteger"));
        assertEquals(24L, ops.get("DynamicQuantizeLinear"));
        // q and k read the same input: its row scaling is made once, so 3 per layer (q/k, attention output, FFN up)
        assertEquals(18L, ops.get("ReduceMax"), ops.toString());
        for (String name : fp32.initializers().keySet()) {
            assertEquals(!quantisedWeights.contains(name), int8.initializers().containsKey(name), name);
        }
        keptWeights.forEach(w -> assertTrue(int8.initializers().containsKey(w), w));
        Tensor codes = int8.initializers().get("int8.encoder.layer.0.intermediate.dense.w");
        assertEquals(OnnxProto.INT8, codes.dataType());
        assertArrayEquals(new long[] {384, 1536}, codes.dims());
        assertEquals(384 * 1536, codes.raw().size());
        // still in topological order: every node reads only what exists before it
        Set<String> defined = new HashSet<>(int8.inputNames());
        defined.addAll(int8.initializers().keySet());
        defined.add("");
        for (Node node : int8.nodes()) {
            for (String input : node.inputs()) {
                assertTrue(defined.contains(input), node.name() + " reads " + input + " before it is written");
            }
            defined.addAll(node.outputs());
        }
        assertEquals(OnnxHiddenStates.outputs(fp32).size(), int8.outputNames().size(), "every hidden state is an output");
    }

    @Test
    void int8AndUint8WeightsGiveTheSameVectors() throws IOException {
        List<String> texts = Int8PrecisionTest.variedTexts();
        float[][] s8 = embed(write(WeightFormat.S8), texts);
        float[][] u8 = embed(write(WeightFormat.U8), texts);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(s8[i], u8[i], 1e-6f, "text " + i);
        }
        assertFalse(java.util.Arrays.equals(s8[0], Int8PrecisionTest.embed(Precision.FP32, texts.subList(0, 1))[0]),
                "int8 really ran");
    }

    private static float[][] embed(Path graph, List<String> texts) {
        EngineOptions options = new EngineOptions(Backend.ONNXRUNTIME, Device.CPU, Precision.INT8, 8192, 0);
        try (EmbeddingEngine engine = EmbeddingEngine.open(model, options, () -> new OnnxRuntimeEncoder(graph,
                OnnxHiddenStates.outputs(fp32), model.maxTokens(), 0, "int8-test"))) {
            return new Extractor(engine, ExtractionSpec.modelDefaults()).embedAll(texts).stream()
                    .map(o -> assertInstanceOf(EmbedOutcome.Embedded.class, o, o.toString()).vectors().get(0).vector())
                    .toArray(float[][]::new);
        }
    }
}
