package io.bertstream.cli;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.PcaProjection;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.ProbeData;
import io.bertstream.topology.BertstreamConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

@Command(name = "fit-pca", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit a PCA projection on sample texts and write it to a file that later runs apply (embed --pca FILE).",
            "The file records the model's sha256 and the extraction it was fitted for; it is refused for any other.",
            "Examples:",
            "  bertstream fit-pca --dims 64 --sample -o minilm-pca64.json",
            "  bertstream fit-pca --dims 128 --layers=-2 corpus.txt -o pca128.json",
            "  bertstream embed --layers=-2 --pca pca128.json texts.txt"})
public final class FitPcaCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    ExtractionOptions extraction;

    @Option(names = "--dims", required = true, paramLabel = "K", description = "Dimensions to keep.")
    int dims;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Where to write the PCA file (JSON).")
    Path output;

    @ArgGroup(multiplicity = "1")
    Source source;

    static final class Source {
        @Parameters(paramLabel = "INPUT", description = "Sample texts: .txt (one per line) or .jsonl ({\"text\"}); - = stdin.")
        String input;

        @Option(names = "--sample", description = "Fit on the texts of the shipped probe samples (~190 sentences).")
        boolean sample;
    }

    @Override
    public Integer call() throws IOException {
        BertstreamConfig config = Settings.of(model, extraction);
        ExtractionSpec spec = extraction.spec(config);
        try (EmbeddingEngine engine = ModelOptions.open(config)) {
            Extractor extractor = new Extractor(engine, spec);
            if (extractor.info().pooling().equals(Pooling.NONE.label())) {
                throw new IllegalArgumentException("fit-pca fits pooled vectors: use a pooling other than none");
            }
            List<String> texts = new ArrayList<>(source.sample ? sampleTexts() : List.of());
            int bad = source.sample ? 0 : readTexts(texts);
            List<float[]> vectors = new ArrayList<>();
            for (EmbedOutcome outcome : extractor.embedAll(texts)) {
                if (outcome instanceof EmbedOutcome.Embedded e) {
                    // one vector per chunk; a document vector would count its text twice
                    e.vectors().stream().filter(v -> v.chunk() == null || v.chunk().index() < v.chunk().count())
                            .map(Embedding::vector).forEach(vectors::add);
                } else {
                    System.err.println("fit-pca: skipped a text: " + ((EmbedOutcome.Rejected) outcome).reason());
                    bad++;
                }
            }
            PcaProjection pca = PcaProjection.fit(vectors, dims, extractor.info().name(), extractor.info().sha256(),
                    extractor.plan().extractionKey());
            pca.write(output);
            System.err.printf("fit-pca: %d -> %d dims on %d vectors of %s (%s), keeping %.1f%% of the variance; wrote %s%n",
                    pca.inputDims(), dims, vectors.size(), extractor.info().name(), extractor.plan().extractionKey(),
                    100 * pca.explainedShare(), output);
            return bad > 0 ? Bertstream.PARTIAL_FAILURE : Bertstream.OK;
        }
    }

    /** Reads the input's texts; bad lines are reported and counted. */
    private int readTexts(List<String> texts) throws IOException {
        int bad = 0;
        try (BufferedReader in = TextInput.open(source.input)) {
            TextInput.Lines lines = new TextInput.Lines(in, TextInput.isJsonl("auto", source.input));
            List<TextInput.Line> batch;
            while (!(batch = lines.next(1024)).isEmpty()) {
                for (TextInput.Line line : batch) {
                    if (line.error() != null) {
                        System.err.println("fit-pca: " + line.where() + ": " + line.error());
                        bad++;
                    } else {
                        texts.add(line.text());
                    }
                }
            }
        }
        return bad;
    }

    static List<String> sampleTexts() {
        Set<String> texts = new LinkedHashSet<>();
        ProbeData.samplePairs().forEach(p -> {
            texts.add(p.textA());
            texts.add(p.textB());
        });
        ProbeData.sampleLabels().forEach(l -> texts.add(l.text()));
        return List.copyOf(texts);
    }
}
