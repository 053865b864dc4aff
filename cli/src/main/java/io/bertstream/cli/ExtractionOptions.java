package io.bertstream.cli;

import io.bertstream.extract.ExtractionSpec;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.SharedModel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Layers, pooling, normalisation, truncation and long-text handling, for embed and fit-pca: the configuration's
 * extraction keys as options, made into an {@link ExtractionSpec} by the service's own code.
 */
public final class ExtractionOptions {

    @Setting(BertstreamConfig.LAYERS)
    @Option(names = "--layers", paramLabel = "SPEC",
            description = "Hidden states: -1 (last), 0 (embedding output), -2, 1,6,12, -4..-1, all (default: the model's own).")
    String layers;

    @Setting(BertstreamConfig.LAYERS_COMBINE)
    @Option(names = "--combine", paramLabel = "HOW",
            description = "Several layers: concat, mean, sum, weighted:w1,w2,... (one weight per layer) (default ${DEFAULT-VALUE}).")
    String combine;

    @Setting(BertstreamConfig.POOLING)
    @Option(names = "--pooling", paramLabel = "NAME",
            description = "cls, mean, max, mean-max, sep (= last), pooler, none (token vectors) (default: the model's own).")
    String pooling;

    @Setting(BertstreamConfig.NORMALIZE)
    @Option(names = "--normalize", negatable = true,
            description = "L2-normalise (default: the model's own for pooled vectors, off for token vectors).")
    Boolean normalize;

    @Setting(BertstreamConfig.TRUNCATE_DIMS)
    @Option(names = "--truncate-dims", paramLabel = "K",
            description = "Keep the first K dims (Matryoshka), re-normalised when normalising (default ${DEFAULT-VALUE}: all).")
    Integer truncateDims;

    @Setting(BertstreamConfig.LENGTH_MODE)
    @Option(names = "--long", paramLabel = "MODE",
            description = "Texts longer than --max-tokens: head, tail, head-tail (truncate, keeping that part), chunk (default ${DEFAULT-VALUE}; truncate-head etc. also accepted).")
    String longMode;

    @Setting(BertstreamConfig.LENGTH_MAX_TOKENS)
    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Tokens per model input incl. [CLS]/[SEP] (default ${DEFAULT-VALUE}: the model's maximum).")
    Integer maxTokens;

    @Setting(BertstreamConfig.LENGTH_OVERLAP)
    @Option(names = "--overlap", paramLabel = "N", description = "With chunk: tokens shared by neighbouring windows (default ${DEFAULT-VALUE}).")
    Integer overlap;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** The extraction {@code config} (made by {@link Settings#of} from these options and others) asks for. */
    ExtractionSpec spec(BertstreamConfig config) {
        if (layers == null && command.commandLine().getParseResult().hasMatchedOption("--combine")) {
            throw new IllegalArgumentException("--combine needs --layers naming several layers");
        }
        return SharedModel.extractionSpec(config);
    }
}
