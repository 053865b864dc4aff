package io.bertstream.cli;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.ProbeData;
import io.bertstream.extract.head.EntityData;
import io.bertstream.extract.head.HeadFitter;
import io.bertstream.topology.BertstreamConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "fit-head", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit a head on labelled texts, cross-validate it, and write it to a file that embed --head and the",
            "stream (bertstream.head) apply: labels (classes) or entities from the same forward pass as the vectors.",
            "Classes: multinomial logistic regression over the pooled vector of --layers / --pooling.",
            "Entities: the same over each word's vector (its WordPieces averaged), BIO tags decoded into spans.",
            "The file records the model's sha256, the extraction and the prefix; it is refused for any other.",
            "Examples (more in docs/extraction.md, Downstream heads):",
            "  bertstream fit-head --sample labels --layers 3 --pooling mean -o topics.head.json",
            "  bertstream fit-head --labels tickets.tsv -o tickets.head.json        # text<TAB>label",
            "  bertstream fit-head --entities news.jsonl --layers 4 -o ner.head.json # {\"text\", \"entities\": [...]}",
            "  bertstream embed --head topics.head.json texts.txt"})
public final class FitHeadCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    ExtractionOptions extraction;

    @ArgGroup(multiplicity = "1")
    Data data;

    static final class Data {
        @Option(names = "--labels", paramLabel = "FILE", description = "Texts with a class: TSV text<TAB>label or JSONL {\"text\", \"label\"}.")
        Path labels;

        @Option(names = "--entities", paramLabel = "FILE",
                description = "Texts with entities: JSONL {\"text\", \"entities\": [{\"start\", \"end\", \"type\"}]}, char offsets.")
        Path entities;

        @Option(names = "--sample", paramLabel = "labels|entities",
                description = "The shipped samples: 60 texts in 5 topics, or 95 news sentences tagged PER, ORG, LOC.")
        String sample;
    }

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write the head file (JSON).")
    Path output;

    @Setting(BertstreamConfig.INPUT_PREFIX)
    @Option(names = "--prefix", paramLabel = "TEXT",
            description = "Instruction put before every text (e5's query:); the head then serves only texts with the same prefix.")
    String prefix;

    @Option(names = "--folds", defaultValue = "5", paramLabel = "N", description = "Cross-validation folds (default ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--l2", defaultValue = "0.05", paramLabel = "X",
            description = "Penalty on the weights of the standardised features (default ${DEFAULT-VALUE}).")
    double l2;

    @Option(names = "--max-iterations", defaultValue = "200", paramLabel = "N",
            description = "Optimiser iterations per fit at most (default ${DEFAULT-VALUE}).")
    int maxIterations;

    @Override
    public Integer call() throws IOException {
        if (l2 <= 0 || maxIterations < 1) {
            throw new IllegalArgumentException("--l2 must be positive and --max-iterations at least 1");
        }
        boolean entities = data.entities != null || "entities".equals(data.sample);
        if (data.sample != null && !List.of("labels", "entities").contains(data.sample)) {
            throw new IllegalArgumentException("unknown --sample '" + data.sample + "': valid are labels, entities");
        }
        BertstreamConfig config = Settings.of(model, extraction, this);
        ExtractionSpec spec = extraction.spec(config);
        HeadFitter.Options options = new HeadFitter.Options(folds, l2, maxIterations);
        int bad = 0;
        HeadFitter.Fitted fitted;
        try (EmbeddingEngine engine = ModelOptions.open(config)) {
            if (entities) {
                List<EntityData.EntityText> texts;
                if (data.sample != null) {
                    texts = EntityData.sample();
                } else {
                    EntityData.Loaded loaded = EntityData.read(data.entities);
                    loaded.errors().forEach(e -> System.err.println("fit-head: " + data.entities + ": " + e));
                    bad = loaded.errors().size();
                    texts = loaded.items();
                }
                fitted = HeadFitter.entities(engine, spec, texts, options);
            } else {
                List<ProbeData.LabelledText> texts;
                if (data.sample != null) {
                    texts = ProbeData.sampleLabels();
                } else {
                    ProbeData.Loaded<ProbeData.LabelledText> loaded = ProbeData.labels(data.labels);
                    loaded.errors().forEach(e -> System.err.println("fit-head: " + data.labels + ": " + e));
                    bad = loaded.errors().size();
                    texts = loaded.items();
                }
                fitted = HeadFitter.classes(engine, spec, texts, options);
            }
        }
        System.out.print(fitted.report().format());
        fitted.head().write(output);
        System.err.printf("fit-head: %s head of %d %s on %s (%s%s); wrote %s%n", fitted.head().kind(),
                fitted.head().labels().size(), entities ? "tags" : "classes", fitted.head().modelName(),
                fitted.head().fittedFor(), fitted.head().prefix().isEmpty() ? "" : "; prefix '" + fitted.head().prefix() + "'", output);
        return bad > 0 ? Bertstream.PARTIAL_FAILURE : Bertstream.OK;
    }
}
