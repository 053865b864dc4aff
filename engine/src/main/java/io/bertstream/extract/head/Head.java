package io.bertstream.extract.head;

import io.bertstream.engine.EncodedText;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionPlan;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.Pooling;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A {@link HeadFile} resolved against the model in use and the output's extraction: checked once (same weights, same
 * prefix, the same feature extraction as at fit time), then applied to each text's hidden states from the pass that
 * also made its vectors. Its own layers and pooling may differ from the output's; the extractor asks the engine for
 * both sets of layers in one pass.
 */
public final class Head {

    private final HeadFile file;
    private final ExtractionPlan plan;
    private final Standardizer standardizer;
    private final SoftmaxRegression.Weights weights;
    private final int topK;

    private Head(HeadFile file, ExtractionPlan plan, int topK) {
        this.file = file;
        this.plan = plan;
        this.standardizer = new Standardizer(file.mean(), file.scale());
        this.weights = new SoftmaxRegression.Weights(file.weights(), file.bias());
        this.topK = topK <= 0 ? file.labels().size() : Math.min(topK, file.labels().size());
    }

    /**
     * @param output the output's extraction: its length policy, document vector and prefix apply to the head too
     * @param topK   labels to keep per text, most likely first (0 = all, whose scores sum to 1)
     * @throws IllegalArgumentException when the head was fitted for other weights, another prefix or another extraction
     */
    public static Head resolve(HeadFile file, LoadedModel model, ExtractionSpec output, int topK) {
        String sha = model.identity().sha256();
        if (!file.modelSha256().equals(sha)) {
            throw new IllegalArgumentException("head file was fitted for model " + file.modelName() + " (sha256 "
                    + file.modelSha256() + "), not for the model in use (sha256 " + sha + "); fit one for this model with fit-head");
        }
        if (!file.prefix().equals(output.prefix())) {
            throw new IllegalArgumentException("head file was fitted on texts with prefix '" + file.prefix()
                    + "', not '" + output.prefix() + "': use the same prefix or refit");
        }
        ExtractionPlan plan = ExtractionPlan.resolve(spec(file.layers(), file.pooling(), file.normalize(), file.entities())
                .withLength(output.length())
                .withDocumentVector(output.documentVector() && !file.entities()), model);
        if (!plan.extractionKey().equals(file.fittedFor())) {
            throw new IllegalArgumentException("head file was fitted for extraction '" + file.fittedFor()
                    + "', which this model and version resolve to '" + plan.extractionKey() + "'; refit");
        }
        return new Head(file, plan, topK);
    }

    /** The features a head of this kind is fitted on: pooled vectors for classes, WordPiece vectors for entities. */
    static ExtractionSpec spec(String layers, String pooling, Boolean normalize, boolean entities) {
        ExtractionSpec spec = ExtractionSpec.modelDefaults();
        if (layers != null) {
            int space = layers.indexOf(' ');
            spec = spec.withLayers(space < 0 ? LayerSpec.parse(layers, null)
                    : LayerSpec.parse(layers.substring(0, space), layers.substring(space + 1)));
        }
        if (entities) {
            return spec.withPooling(Pooling.NONE).withNormalize(false);
        }
        return spec.withPooling(pooling == null ? null : Pooling.parse(pooling)).withNormalize(normalize);
    }

    public HeadFile file() {
        return file;
    }

    /** Hidden-state indexes the head reads. */
    public int[] layers() {
        return plan.layers();
    }

    /** The head's features of one text: one per segment (and document), as the output's vectors. */
    public List<Embedding> features(EncodedText text) {
        return ((EmbedOutcome.Embedded) plan.extract(text)).vectors();
    }

    /**
     * The output's vectors with the head's answer added: {@code features.get(i)} are the features of
     * {@code output.get(i)}'s text or chunk; an output without features (the document vector of an entity head) is
     * left as is. {@code text} is the original text the entities' offsets point into.
     */
    public List<Embedding> annotate(List<Embedding> output, List<Embedding> features, String text) {
        List<Embedding> out = new ArrayList<>(output.size());
        for (int i = 0; i < output.size(); i++) {
            Embedding e = output.get(i);
            if (i >= features.size()) {
                out.add(e);
            } else if (file.entities()) {
                out.add(e.withHead(null, entities(features.get(i).tokens(), text)));
            } else {
                out.add(e.withHead(labels(features.get(i).vector()), null));
            }
        }
        return out;
    }

    /** The top-k classes of one pooled feature vector, most likely first. */
    public List<Embedding.Label> labels(float[] features) {
        double[] p = weights.probabilities(standardizer.apply(features));
        List<Embedding.Label> all = new ArrayList<>();
        for (int c = 0; c < p.length; c++) {
            all.add(new Embedding.Label(file.labels().get(c), (float) p[c]));
        }
        all.sort(Comparator.comparingDouble((Embedding.Label l) -> l.score()).reversed());
        return List.copyOf(all.subList(0, topK));
    }

    /** The entities among one text's (or chunk's) WordPieces. */
    public List<Embedding.Entity> entities(List<Embedding.TokenVector> pieces, String text) {
        List<Bio.Word> words = Bio.words(pieces);
        List<double[]> probabilities = new ArrayList<>(words.size());
        for (Bio.Word w : words) {
            probabilities.add(weights.probabilities(standardizer.apply(w.vector())));
        }
        return Bio.decode(words, probabilities, file.labels(), text);
    }
}
