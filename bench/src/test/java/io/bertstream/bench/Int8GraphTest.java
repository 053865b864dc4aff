package io.bertstream.bench;

import io.bertstream.engine.model.onnx.OnnxGraph;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class Int8GraphTest {

    @Test
    void quantisedGraphRunsSmallerAndStaysCloseToFp32() throws Exception {
        List<String> texts = BenchCorpus.generate(40, 11);
        OnnxGraph graph = MiniLmFiles.graph();
        Path fp32 = graph.file();
        Path int8 = Int8Graph.quantized(graph);
        // the Linear weights (42 MB fp32) shrink 4x; the 47 MB embedding table is a Gather and stays fp32
        assertTrue(Files.size(int8) < Files.size(fp32) * 0.7, "int8 weights should shrink the graph: " + Files.size(int8));
        try (OnnxRuntimePeer reference = new OnnxRuntimePeer(fp32, 2, 4096);
             OnnxRuntimePeer quantised = new OnnxRuntimePeer(int8, 2, 4096)) {
            double min = Vectors.minCosine(reference.embedAll(texts), quantised.embedAll(texts));
            // dynamic int8 measured 0.984 on this corpus: below the 0.999 bar for a mode, far above what a wrong
            // scale, transposed weight or sign error gives (< 0.9)
            assertTrue(min > 0.97 && min < 1, "min cosine int8 vs fp32 " + min);
        }
    }
}
