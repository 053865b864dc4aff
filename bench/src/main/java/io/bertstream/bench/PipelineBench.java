package io.bertstream.bench;

import io.bertstream.bench.BenchReport.Phase;

import java.io.PrintStream;
import java.util.List;

/** Subject (d): producer, real broker, the stream processor (exactly_once_v2, Avro out), read_committed consumer. */
final class PipelineBench {

    private PipelineBench() {
    }

    static Phase run(BenchOptions options, List<String> texts, PrintStream log) {
        return Phase.failed("d", "pipeline", new UnsupportedOperationException("not yet wired"));
    }
}
