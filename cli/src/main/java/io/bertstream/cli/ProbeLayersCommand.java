package io.bertstream.cli;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.extract.LayerProbe;
import io.bertstream.extract.ProbeData;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "probe-layers", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Rank every layer x pooling on labelled data: which layer should I use?",
            "Pairs with a similarity score are ranked by the Spearman correlation of cosine similarity with the score, texts with a class label by the accuracy of a cosine k-NN classifier under stratified cross-validation.",
            "All hidden states come from one pass over the model.",
            "Examples:",
            "  bertstream probe-layers --sample pairs",
            "  bertstream probe-layers --model bge-small --labels tickets.jsonl --k 3"})
public final class ProbeLayersCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @ArgGroup(multiplicity = "1")
    Data data;

    static final class Data {
        @Option(names = "--pairs", paramLabel = "FILE", description = "TSV text_a<TAB>text_b<TAB>score, or JSONL {\"text_a\", \"text_b\", \"score\"}.")
        Path pairs;

        @Option(names = "--labels", paramLabel = "FILE", description = "TSV text<TAB>label, or JSONL {\"text\", \"label\"}.")
        Path labels;

        @Option(names = "--sample", paramLabel = "pairs|labels",
                description = "The shipped sample: 66 scored sentence pairs, or 60 texts in 5 topics.")
        String sample;
    }

    @Option(names = "--folds", defaultValue = "5", paramLabel = "N", description = "Cross-validation folds for labels (default ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--k", defaultValue = "5", paramLabel = "K", description = "Neighbours for k-NN (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--top", defaultValue = "0", paramLabel = "N", description = "Print only the best N rows (default: all).")
    int top;

    @Override
    public Integer call() throws IOException {
        if (k < 1) {
            throw new IllegalArgumentException("--k must be at least 1");
        }
        List<ProbeData.ScoredPair> pairs = null;
        List<ProbeData.LabelledText> labelled = null;
        List<String> errors = List.of();
        if (data.sample != null) {
            switch (data.sample) {
                case "pairs" -> pairs = ProbeData.samplePairs();
                case "labels" -> labelled = ProbeData.sampleLabels();
                default -> throw new IllegalArgumentException("unknown --sample '" + data.sample + "': valid are pairs, labels");
            }
        } else if (data.pairs != null) {
            ProbeData.Loaded<ProbeData.ScoredPair> loaded = ProbeData.pairs(data.pairs);
            pairs = loaded.items();
            errors = loaded.errors();
        } else {
            ProbeData.Loaded<ProbeData.LabelledText> loaded = ProbeData.labels(data.labels);
            labelled = loaded.items();
            errors = loaded.errors();
        }
        errors.forEach(e -> System.err.println("probe-layers: " + e));
        List<String> texts = new ArrayList<>();
        if (pairs != null) {
            pairs.forEach(p -> {
                texts.add(p.textA());
                texts.add(p.textB());
            });
        } else {
            labelled.forEach(l -> texts.add(l.text()));
        }
        try (EmbeddingEngine engine = model.open()) {
            LayerProbe probe = LayerProbe.encode(engine, texts);
            List<LayerProbe.Score> scores = pairs != null ? probe.rankPairs(pairs) : probe.rankLabels(labelled, folds, k);
            String what = pairs != null
                    ? pairs.size() + " pairs; score = Spearman correlation of cosine similarity with the gold score"
                    : labelled.size() + " texts; score = " + k + "-NN accuracy (cosine), stratified " + folds + "-fold cross-validation";
            System.out.println("probe-layers: " + engine.model().identity().name() + " on " + engine.encoder().name() + ", " + what);
            System.out.print(table(scores, top));
            System.out.flush();
        }
        if (!errors.isEmpty()) {
            System.err.println("probe-layers: " + errors.size() + " bad lines skipped");
            return Bertstream.PARTIAL_FAILURE;
        }
        return Bertstream.OK;
    }

    /** A Markdown table, best first, so it pastes into docs as is. */
    static String table(List<LayerProbe.Score> scores, int top) {
        StringBuilder out = new StringBuilder("| rank | layer | pooling | score |\n|---:|---|---|---:|\n");
        int rows = top > 0 ? Math.min(top, scores.size()) : scores.size();
        for (int i = 0; i < rows; i++) {
            LayerProbe.Score s = scores.get(i);
            String layer = s.layer() == 0 ? "0 (embeddings)" : s.layer() + " (" + s.fromEnd() + ")";
            String score = Double.isNaN(s.score()) ? "n/a (same vector for every text)" : String.format("%.4f", s.score());
            out.append(String.format("| %d | %s | %s | %s |%n", i + 1, layer, s.pooling().label(), score));
        }
        return out.toString();
    }
}
