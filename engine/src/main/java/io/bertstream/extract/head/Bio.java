package io.bertstream.extract.head;

import io.bertstream.extract.Embedding;

import java.util.ArrayList;
import java.util.List;

/**
 * Entities as word tags: the words a tagger sees, BIO tags from gold spans, and entities decoded from predicted tags.
 *
 * <p>A word here is what BERT's own pre-tokenizer splits on, whitespace and every punctuation mark: a WordPiece
 * starts a new word unless it is a {@code ##} continuation. So in {@code "Paris, said Müller's"} the words are
 * {@code Paris}, {@code ,}, {@code said}, {@code Müller}, {@code '}, {@code s}, and an entity span never has to
 * swallow the comma after a name. Special tokens cover no text and belong to no word.
 */
final class Bio {

    static final String OUTSIDE = "O";

    /** One word: its char span in the tokenized text and the mean of its WordPieces' vectors. */
    record Word(int start, int end, float[] vector) {
    }

    private Bio() {
    }

    static List<Word> words(List<Embedding.TokenVector> pieces) {
        List<Word> words = new ArrayList<>();
        int start = -1;
        int end = -1;
        float[] sum = null;
        int count = 0;
        for (Embedding.TokenVector t : pieces) {
            if (t.end() <= t.start()) {
                continue; // [CLS], [SEP]
            }
            if (sum != null && !t.token().startsWith("##")) {
                words.add(new Word(start, end, mean(sum, count)));
                sum = null;
            }
            if (sum == null) {
                start = t.start();
                sum = new float[t.vector().length];
                count = 0;
            }
            for (int d = 0; d < sum.length; d++) {
                sum[d] += t.vector()[d];
            }
            count++;
            end = t.end();
        }
        if (sum != null) {
            words.add(new Word(start, end, mean(sum, count)));
        }
        return words;
    }

    private static float[] mean(float[] sum, int count) {
        float[] out = new float[sum.length];
        for (int d = 0; d < sum.length; d++) {
            out[d] = sum[d] / count;
        }
        return out;
    }

    /** "O", then "B-type", "I-type" for each type in order. */
    static List<String> tagNames(List<String> types) {
        List<String> tags = new ArrayList<>();
        tags.add(OUTSIDE);
        for (String type : types) {
            tags.add("B-" + type);
            tags.add("I-" + type);
        }
        return tags;
    }

    /** The gold tag of each word: the first word overlapping a span is B-type, the others I-type, the rest O. */
    static int[] tags(List<Word> words, List<EntityData.Span> gold, List<String> tagNames) {
        int[] tags = new int[words.size()];
        for (EntityData.Span span : gold) {
            boolean first = true;
            for (int w = 0; w < words.size(); w++) {
                Word word = words.get(w);
                if (word.start() < span.end() && word.end() > span.start() && tags[w] == 0) {
                    tags[w] = tagNames.indexOf((first ? "B-" : "I-") + span.type());
                    first = false;
                }
            }
        }
        return tags;
    }

    /**
     * Entities from each word's tag probabilities: the most likely tag sequence in which an {@code I-X} only follows
     * {@code B-X} or {@code I-X} (Viterbi over the words; per-word argmax would start entities with {@code I-} or
     * switch type in mid-name). {@code B-X} starts an entity, {@code I-X} continues it, anything else ends it. An
     * entity's score is the mean probability of its words' tags; its span runs from its first word's start to its
     * last word's end in {@code text}.
     */
    static List<Embedding.Entity> decode(List<Word> words, List<double[]> probabilities, List<String> tagNames,
                                         String text) {
        int[] tags = bestAllowedSequence(probabilities, tagNames);
        List<Embedding.Entity> entities = new ArrayList<>();
        String type = null;
        int start = 0;
        int end = 0;
        double score = 0;
        int count = 0;
        for (int w = 0; w <= words.size(); w++) {
            String tag = w < words.size() ? tagNames.get(tags[w]) : OUTSIDE;
            double p = w < words.size() ? probabilities.get(w)[tags[w]] : 0;
            boolean continues = type != null && tag.equals("I-" + type);
            if (type != null && !continues) {
                entities.add(entity(type, start, end, text, score / count));
                type = null;
            }
            if (continues) {
                end = words.get(w).end();
                score += p;
                count++;
            } else if (tag.startsWith("B-")) {
                type = tag.substring(2);
                start = words.get(w).start();
                end = words.get(w).end();
                score = p;
                count = 1;
            }
        }
        return entities;
    }

    /** Viterbi: the tag sequence of the highest summed log-probability among those where I-X follows B-X or I-X. */
    static int[] bestAllowedSequence(List<double[]> probabilities, List<String> tagNames) {
        int n = probabilities.size();
        int k = tagNames.size();
        int[] tags = new int[n];
        if (n == 0) {
            return tags;
        }
        double[][] best = new double[n][k];
        int[][] from = new int[n][k];
        for (int t = 0; t < k; t++) {
            best[0][t] = tagNames.get(t).startsWith("I-") ? Double.NEGATIVE_INFINITY : Math.log(probabilities.get(0)[t]);
        }
        for (int w = 1; w < n; w++) {
            for (int t = 0; t < k; t++) {
                String tag = tagNames.get(t);
                best[w][t] = Double.NEGATIVE_INFINITY;
                for (int prev = 0; prev < k; prev++) {
                    if (tag.startsWith("I-") && !tagNames.get(prev).substring(Math.min(2, tagNames.get(prev).length()))
                            .equals(tag.substring(2))) {
                        continue; // I-X only after B-X or I-X
                    }
                    double value = best[w - 1][prev] + Math.log(probabilities.get(w)[t]);
                    if (value > best[w][t]) {
                        best[w][t] = value;
                        from[w][t] = prev;
                    }
                }
            }
        }
        int last = 0;
        for (int t = 1; t < k; t++) {
            if (best[n - 1][t] > best[n - 1][last]) {
                last = t;
            }
        }
        for (int w = n - 1; w >= 0; w--) {
            tags[w] = last;
            last = from[w][last];
        }
        return tags;
    }

    private static Embedding.Entity entity(String type, int start, int end, String text, double score) {
        return new Embedding.Entity(type, start, end, text.substring(start, end), (float) score);
    }
}
