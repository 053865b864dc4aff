package io.bertstream.extract.head;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.model.TestModels;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.ProbeData;
import org.junit.jupiter.api.Test;

class HeadExploreTest {
    @Test
    void explore() {
        try (EmbeddingEngine engine = EmbeddingEngine.open(TestModels.minilm(), EngineOptions.defaults().withBackend(Backend.ONNXRUNTIME))) {
            for (String l : new String[] {"-1", "3", "-3..-1"}) {
                for (double l2 : new double[] {0.01, 0.05, 0.2}) {
                long t0 = System.nanoTime();
                var opts = new HeadFitter.Options(5, l2, 200);
                var c = HeadFitter.classes(engine, ExtractionSpec.modelDefaults().withLayers(LayerSpec.parse(l, "mean")), ProbeData.sampleLabels(), opts);
                long t1 = System.nanoTime();
                var e = HeadFitter.entities(engine, ExtractionSpec.modelDefaults().withLayers(LayerSpec.parse(l, "mean")), EntityData.sample(), opts);
                long t2 = System.nanoTime();
                System.out.println("LAYER " + l + " l2 " + l2 + " classes " + (t1 - t0) / 1e6 + " ms " + c.report().summary() + "  entities " + (t2 - t1) / 1e6 + " ms " + e.report().format());
                }
            }
        }
    }
}
