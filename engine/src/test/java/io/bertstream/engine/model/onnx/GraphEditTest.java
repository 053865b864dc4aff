package io.bertstream.engine.model.onnx;

import io.bertstream.engine.model.TestModels;
import io.bertstream.engine.model.onnx.OnnxGraph.GraphField;
import io.bertstream.engine.model.onnx.OnnxProto.Node;
import io.bertstream.engine.model.onnx.OnnxProto.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_INITIALIZER;
import static io.bertstream.engine.model.onnx.OnnxProto.GRAPH_NODE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Edits of the real MiniLM file, read back with the same codec: replacing in place, and fields written late. */
class GraphEditTest {

    private final OnnxGraph graph = TestModels.minilm().onnxGraph().orElseThrow();

    @Test
    void aNodeReplacedByTwoKeepsItsPlaceAndADeferredTensorIsWrittenWhole(@TempDir Path dir) {
        int index = 0;
        while (!graph.nodes().get(index).opType().equals("MatMul")) {
            index++;
        }
        Node old = graph.nodes().get(index);
        byte[] first = OnnxProto.node("Identity", "first", old.inputs().subList(0, 1), List.of("between"), List.of());
        byte[] second = OnnxProto.node("Identity", "second", List.of("between"), old.outputs(), List.of());
        long[] values = {3, 1, 4, 1, 5};
        byte[] data = java.nio.ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(3).putLong(1).putLong(4)
                .putLong(1).putLong(5).array();
        int[] calls = {0};
        Path file = dir.resolve("edited.onnx");
        new GraphEdit(graph)
                .replace(graph.fields(GRAPH_NODE).get(index), List.of(first, second))
                .append(GRAPH_INITIALIZER, OnnxProto.tensorHead("late", OnnxProto.INT64, new long[] {5}, 40), 40, () -> {
                    calls[0]++;
                    return data;
                })
                .writeTo(file);
        assertEquals(1, calls[0], "the deferred data is produced once, while writing");

        OnnxGraph edited = OnnxGraph.parse(file, "edited");
        assertEquals(graph.nodes().size() + 1, edited.nodes().size());
        assertEquals("first", edited.nodes().get(index).name());
        assertEquals("second", edited.nodes().get(index + 1).name());
        assertEquals(graph.nodes().get(index + 1).name(), edited.nodes().get(index + 2).name());
        Tensor late = edited.initializers().get("late");
        assertArrayEquals(values, OnnxTensors.longs(late));
        assertEquals(graph.initializers().size() + 1, edited.initializers().size());
    }

    @Test
    void aDeferredFieldThatBreaksItsPromiseLeavesNoFile(@TempDir Path dir) {
        Path file = dir.resolve("broken.onnx");
        GraphEdit edit = new GraphEdit(graph).append(GRAPH_INITIALIZER,
                OnnxProto.tensorHead("late", OnnxProto.INT64, new long[] {5}, 40), 40, () -> new byte[8]);
        assertThrows(IllegalStateException.class, () -> edit.writeTo(file));
        assertFalse(Files.exists(file));
        try (var left = Files.list(dir)) {
            assertTrue(left.findAny().isEmpty(), "no partial file left behind");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void droppingAnInitializerRemovesExactlyIt(@TempDir Path dir) {
        GraphField firstInitializer = graph.fields(GRAPH_INITIALIZER).get(0);
        String name = graph.initializers().keySet().iterator().next();
        Path file = dir.resolve("dropped.onnx");
        new GraphEdit(graph).drop(firstInitializer).writeTo(file);
        OnnxGraph edited = OnnxGraph.parse(file, "dropped");
        assertFalse(edited.initializers().containsKey(name));
        assertEquals(graph.initializers().size() - 1, edited.initializers().size());
        assertEquals(graph.nodes().size(), edited.nodes().size());
    }
}
