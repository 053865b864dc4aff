package io.bertstream.extract.head;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.ProbeData;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fits heads for {@code bertstream fit-head}: multinomial logistic regression over pooled vectors (classes) or over
 * word vectors with BIO tags (entities), cross-validated first (stratified folds for classes, texts dealt round-robin
 * into folds for entities), then fitted on all the data. Each text is embedded once; the folds reuse its features.
 */
public final class HeadFitter {

    /**
     * @param folds         cross-validation folds (at least 2)
     * @param l2            penalty on the weights of the standardised features
     * @param maxIterations conjugate-gradient iterations per fit at most
     */
    public record Options(int folds, double l2, int maxIterations) {
        public static Options defaults() {
            return new Options(5, 0.05, 200);
        }
    }

    /** Cross-validated figures of one class or entity type; {@code support} is its count in the gold data. */
    public record Score(String label, int support, double precision, double recall, double f1) {
    }

    /**
     * What cross-validation measured: for classes accuracy and macro-F1 over per-class scores; for entities
     * micro-averaged precision, recall and F1 over exact span matches (same type, start and end), with per-type scores.
     */
    public record Report(String kind, int examples, int folds, List<Score> scores, Map<String, Double> summary) {

        /** The report as printed by fit-head: the summary line, then one line per class or type. */
        public String format() {
            StringBuilder out = new StringBuilder();
            out.append(String.format(Locale.ROOT, "%d-fold cross-validation on %d texts:", folds, examples));
            summary.forEach((k, v) -> out.append(String.format(Locale.ROOT, " %s %.4f", k, v)));
            out.append('\n').append(String.format(Locale.ROOT, "%-20s %8s %10s %8s %8s%n",
                    HeadFile.ENTITIES.equals(kind) ? "type" : "class", "support", "precision", "recall", "f1"));
            for (Score s : scores) {
                out.append(String.format(Locale.ROOT, "%-20s %8d %10.4f %8.4f %8.4f%n", s.label(), s.support(),
                        s.precision(), s.recall(), s.f1()));
            }
            return out.toString();
        }
    }

    /** The head to write and how it did in cross-validation. */
    public record Fitted(HeadFile head, Report report) {
    }

    private HeadFitter() {
    }

    /** A classification head on {@code spec}'s layers, pooling and normalisation (the model's defaults where unset). */
    public static Fitted classes(EmbeddingEngine engine, ExtractionSpec spec, List<ProbeData.LabelledText> data, Options options) {
        if (spec.pooling() == Pooling.NONE) {
            throw new IllegalArgumentException("a classification head reads pooled vectors: use a pooling other than none");
        }
        ExtractionSpec features = features(spec, Head.spec(spec.layers() == null ? null : spec.layers().toString(),
                spec.pooling() == null ? null : spec.pooling().label(), spec.normalize(), false));
        Extractor extractor = new Extractor(engine, features);
        List<String> labels = new ArrayList<>(new LinkedHashSet<>(data.stream().map(ProbeData.LabelledText::label).toList()));
        if (labels.size() < 2) {
            throw new IllegalArgumentException("a classification head needs at least 2 classes, got " + labels);
        }
        checkFolds(options, data.size());
        float[][] x = new float[data.size()][];
        int[] y = new int[data.size()];
        List<EmbedOutcome> outcomes = extractor.embedAll(data.stream().map(ProbeData.LabelledText::text).toList());
        for (int i = 0; i < data.size(); i++) {
            x[i] = embedded(outcomes.get(i), data.get(i).text()).get(0).vector();
            y[i] = labels.indexOf(data.get(i).label());
        }
        int[] fold = stratifiedFolds(y, options.folds());
        int[][] confusion = new int[labels.size()][labels.size()];
        for (int f = 0; f < options.folds(); f++) {
            Model model = fit(select(x, fold, f, false), select(y, fold, f, false), labels.size(), options);
            for (int i = 0; i < x.length; i++) {
                if (fold[i] == f) {
                    confusion[y[i]][argmax(model.weights.probabilities(model.standardizer.apply(x[i])))]++;
                }
            }
        }
        Report report = classReport(labels, confusion, data.size(), options.folds());
        Model all = fit(x, y, labels.size(), options);
        return new Fitted(file(HeadFile.CLASSES, extractor, labels, all, data.size(), report.summary()), report);
    }

    /** An entity head on {@code spec}'s layers (word vectors: the pooling must be unset or none). */
    public static Fitted entities(EmbeddingEngine engine, ExtractionSpec spec, List<EntityData.EntityText> data, Options options) {
        if (spec.pooling() != null && spec.pooling() != Pooling.NONE) {
            throw new IllegalArgumentException("an entity head reads word vectors: leave --pooling unset (or none)");
        }
        ExtractionSpec features = features(spec, Head.spec(spec.layers() == null ? null : spec.layers().toString(), null, null, true));
        Extractor extractor = new Extractor(engine, features);
        List<String> types = new ArrayList<>(new LinkedHashSet<>(data.stream()
                .flatMap(t -> t.entities().stream().map(EntityData.Span::type)).toList()));
        if (types.isEmpty()) {
            throw new IllegalArgumentException("an entity head needs texts with entities: none of the " + data.size() + " texts has one");
        }
        checkFolds(options, data.size());
        List<String> tags = Bio.tagNames(types);
        List<EmbedOutcome> outcomes = extractor.embedAll(data.stream().map(EntityData.EntityText::text).toList());
        List<List<Bio.Word>> words = new ArrayList<>();
        List<int[]> gold = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            List<Bio.Word> w = Bio.words(embedded(outcomes.get(i), data.get(i).text()).get(0).tokens());
            words.add(w);
            gold.add(Bio.tags(w, data.get(i).entities(), tags));
        }
        Map<String, int[]> counts = new LinkedHashMap<>(); // per type: true positives, predicted, gold
        types.forEach(t -> counts.put(t, new int[3]));
        for (int f = 0; f < options.folds(); f++) {
            List<float[]> xs = new ArrayList<>();
            List<Integer> ys = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                if (i % options.folds() != f) {
                    for (int w = 0; w < words.get(i).size(); w++) {
                        xs.add(words.get(i).get(w).vector());
                        ys.add(gold.get(i)[w]);
                    }
                }
            }
            Model model = fit(xs.toArray(float[][]::new), ys.stream().mapToInt(Integer::intValue).toArray(), tags.size(), options);
            for (int i = f; i < data.size(); i += options.folds()) {
                List<double[]> p = words.get(i).stream().map(w -> model.weights.probabilities(model.standardizer.apply(w.vector()))).toList();
                List<Embedding.Entity> found = Bio.decode(words.get(i), p, tags, data.get(i).text());
                for (Embedding.Entity e : found) {
                    counts.get(e.type())[1]++;
                    if (data.get(i).entities().contains(new EntityData.Span(e.start(), e.end(), e.type()))) {
                        counts.get(e.type())[0]++;
                    }
                }
                data.get(i).entities().forEach(s -> counts.get(s.type())[2]++);
            }
        }
        Report report = entityReport(counts, data.size(), options.folds());
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            for (int w = 0; w < words.get(i).size(); w++) {
                xs.add(words.get(i).get(w).vector());
                ys.add(gold.get(i)[w]);
            }
        }
        Model all = fit(xs.toArray(float[][]::new), ys.stream().mapToInt(Integer::intValue).toArray(), tags.size(), options);
        return new Fitted(file(HeadFile.ENTITIES, extractor, tags, all, data.size(), report.summary()), report);
    }

    private record Model(Standardizer standardizer, SoftmaxRegression.Weights weights) {
    }

    /**
     * The head's features with the asked prefix and length policy; a head reads the vector before any truncation,
     * PCA or quantisation, and one vector per text.
     */
    private static ExtractionSpec features(ExtractionSpec asked, ExtractionSpec head) {
        if (asked.truncateDims() != 0 || asked.pca() != null || asked.quantize() != null) {
            throw new IllegalArgumentException("a head reads the vector before truncation, PCA and quantisation: drop them when fitting"
                    + " (the output of embed or the stream may still use them)");
        }
        if (asked.length().mode() == io.bertstream.engine.text.LengthPolicy.Mode.CHUNK) {
            throw new IllegalArgumentException("a head is fitted on one vector per text: use long-text mode head, tail or head-tail"
                    + " (the head still applies to each chunk of a chunked output)");
        }
        return head.withLength(asked.length()).withPrefix(asked.prefix());
    }

    private static Model fit(float[][] x, int[] y, int classes, Options options) {
        Standardizer s = Standardizer.fit(x);
        return new Model(s, SoftmaxRegression.fit(s.apply(x), y, classes, options.l2(), options.maxIterations()));
    }

    private static HeadFile file(String kind, Extractor extractor, List<String> labels, Model model, int examples,
                                 Map<String, Double> summary) {
        ModelInfo info = extractor.info();
        return new HeadFile(HeadFile.FORMAT, HeadFile.VERSION, kind, info.name(), info.sha256(), info.layers(),
                info.pooling(), info.normalized(), info.prefix(), extractor.plan().extractionKey(), List.copyOf(labels),
                model.standardizer.mean(), model.standardizer.scale(), model.weights.weights(), model.weights.bias(),
                examples, summary);
    }

    private static List<Embedding> embedded(EmbedOutcome outcome, String text) {
        if (outcome instanceof EmbedOutcome.Rejected r) {
            throw new IllegalArgumentException("cannot fit on text '" + text + "': " + r.reason());
        }
        return ((EmbedOutcome.Embedded) outcome).vectors();
    }

    private static void checkFolds(Options options, int examples) {
        if (options.folds() < 2 || examples < options.folds()) {
            throw new IllegalArgumentException(options.folds() + "-fold cross-validation needs at least 2 folds and as many texts, got "
                    + examples + " texts");
        }
    }

    /** Within each class, texts take folds 0, 1, 2, ... in turn: every fold holds each class in proportion. */
    static int[] stratifiedFolds(int[] y, int folds) {
        Map<Integer, Integer> seen = new HashMap<>();
        int[] fold = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            fold[i] = seen.merge(y[i], 1, Integer::sum) % folds;
        }
        return fold;
    }

    private static float[][] select(float[][] x, int[] fold, int f, boolean in) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if ((fold[i] == f) == in) {
                out.add(x[i]);
            }
        }
        return out.toArray(float[][]::new);
    }

    private static int[] select(int[] y, int[] fold, int f, boolean in) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if ((fold[i] == f) == in) {
                out.add(y[i]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }

    private static Report classReport(List<String> labels, int[][] confusion, int examples, int folds) {
        List<Score> scores = new ArrayList<>();
        int correct = 0;
        double f1Sum = 0;
        for (int c = 0; c < labels.size(); c++) {
            int tp = confusion[c][c];
            int gold = 0;
            int predicted = 0;
            for (int o = 0; o < labels.size(); o++) {
                gold += confusion[c][o];
                predicted += confusion[o][c];
            }
            correct += tp;
            Score s = score(labels.get(c), tp, predicted, gold);
            f1Sum += s.f1();
            scores.add(s);
        }
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("accuracy", (double) correct / examples);
        summary.put("macro_f1", f1Sum / labels.size());
        return new Report(HeadFile.CLASSES, examples, folds, scores, summary);
    }

    private static Report entityReport(Map<String, int[]> counts, int examples, int folds) {
        List<Score> scores = new ArrayList<>();
        int[] total = new int[3];
        counts.forEach((type, c) -> {
            scores.add(score(type, c[0], c[1], c[2]));
            for (int k = 0; k < 3; k++) {
                total[k] += c[k];
            }
        });
        Score micro = score("all", total[0], total[1], total[2]);
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("precision", micro.precision());
        summary.put("recall", micro.recall());
        summary.put("f1", micro.f1());
        return new Report(HeadFile.ENTITIES, examples, folds, scores, summary);
    }

    private static Score score(String label, int truePositives, int predicted, int gold) {
        double precision = predicted == 0 ? 0 : (double) truePositives / predicted;
        double recall = gold == 0 ? 0 : (double) truePositives / gold;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new Score(label, gold, precision, recall, f1);
    }

}
