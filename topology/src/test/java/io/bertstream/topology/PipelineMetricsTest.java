package io.bertstream.topology;

import io.bertstream.engine.EngineStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PipelineMetricsTest {

    @Test
    void engineMetersFollowTheEnginesCounters() {
        var registry = new SimpleMeterRegistry();
        var stats = new AtomicReference<>(new EngineStats(0, 0, 0, 0, 0));
        new PipelineMetrics(registry).engine(stats::get);
        assertEquals(0.0, registry.get("bertstream.engine.padded.token.share").gauge().value());

        stats.set(new EngineStats(3, 40, 900, 1000, 5_000_000));
        assertEquals(3.0, registry.get("bertstream.engine.passes").functionCounter().count());
        assertEquals(900.0, registry.get("bertstream.engine.tokens.real").functionCounter().count());
        assertEquals(1000.0, registry.get("bertstream.engine.tokens.slots").functionCounter().count());
        assertEquals(0.1, registry.get("bertstream.engine.padded.token.share").gauge().value(), 1e-9);
    }
}
