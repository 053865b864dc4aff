package io.bertstream.cli;

import io.bertstream.topology.BertstreamConfig;
import picocli.CommandLine.Option;

/**
 * A head and an instruction prefix for embed: the configuration's bertstream.head, head.top-k, output.vector and
 * input.prefix keys as options (docs/extraction.md, Downstream heads and Instruction prefixes).
 */
public final class HeadOptions {

    @Setting(BertstreamConfig.HEAD)
    @Option(names = "--head", paramLabel = "FILE",
            description = "Add labels or entities from a head written by fit-head (same model, extraction and prefix), from the same pass.")
    String head;

    @Setting(BertstreamConfig.HEAD_TOP_K)
    @Option(names = "--head-top-k", paramLabel = "K", description = "Labels kept per text, most likely first (default ${DEFAULT-VALUE}: all).")
    Integer topK;

    /** bertstream.output.vector=false; a plain flag, not a negatable @Setting (picocli inverts those whose default is true). */
    @Option(names = "--no-vector", description = "With --head: labels or entities only, vector [] and dims 0 (bertstream.output.vector=false).")
    boolean noVector;

    @Setting(BertstreamConfig.INPUT_PREFIX)
    @Option(names = "--prefix", paramLabel = "TEXT",
            description = "Instruction put before every text (e5's query:), joined with one space; recorded as model.prefix.")
    String prefix;

    /** {@code config} (made by {@link Settings#of} from these options and others) with --no-vector applied. */
    BertstreamConfig apply(BertstreamConfig config) {
        if (!noVector) {
            return config;
        }
        if (head == null) {
            throw new IllegalArgumentException("--no-vector needs --head: without a head a record would carry nothing");
        }
        return config.with(java.util.Map.of(BertstreamConfig.OUTPUT_VECTOR, "false"));
    }
}
