package io.bertstream.extract.head;

import io.bertstream.extract.Embedding;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Words from WordPieces, gold tags from spans, entities from tags; offsets are hand-counted. */
class BioTest {

    private static Embedding.TokenVector piece(String token, int start, int end, float value) {
        return new Embedding.TokenVector(token, start, end, new float[] {value});
    }

    // "Müller's café, Zürich" as BERT's WordPieces (uncased, accents stripped; offsets into the original text)
    static final String TEXT = "Müller's café, Zürich";
    static final List<Embedding.TokenVector> PIECES = List.of(
            piece("[CLS]", 0, 0, 0), piece("mu", 0, 2, 1), piece("##ller", 2, 6, 3), piece("'", 6, 7, 5),
            piece("s", 7, 8, 7), piece("cafe", 9, 13, 9), piece(",", 13, 14, 11), piece("zu", 15, 17, 13),
            piece("##rich", 17, 21, 15), piece("[SEP]", 0, 0, 0));

    @Test
    void wordsSplitAtWhitespaceAndPunctuationAndAverageTheirPieces() {
        List<Bio.Word> words = Bio.words(PIECES);
        List<String> texts = words.stream().map(w -> TEXT.substring(w.start(), w.end())).toList();
        assertEquals(List.of("Müller", "'", "s", "café", ",", "Zürich"), texts);
        assertEquals(2f, words.get(0).vector()[0]); // mean of 1 and 3
        assertEquals(14f, words.get(5).vector()[0]);
    }

    @Test
    void goldSpansBecomeBioTags() {
        List<String> tags = Bio.tagNames(List.of("PER", "LOC"));
        assertEquals(List.of("O", "B-PER", "I-PER", "B-LOC", "I-LOC"), tags);
        List<Bio.Word> words = Bio.words(PIECES);
        int[] gold = Bio.tags(words, List.of(new EntityData.Span(0, 8, "PER"), new EntityData.Span(15, 21, "LOC")), tags);
        assertArrayEquals(new int[] {1, 2, 2, 0, 0, 3}, gold);
    }

    @Test
    void decodingJoinsBAndIIntoSpansOfTheOriginalText() {
        List<String> tags = Bio.tagNames(List.of("PER", "LOC"));
        List<Bio.Word> words = Bio.words(PIECES);
        List<double[]> p = new ArrayList<>();
        for (int tag : new int[] {1, 2, 2, 0, 0, 3}) {
            double[] probs = new double[tags.size()];
            probs[tag] = 0.8;
            probs[(tag + 1) % tags.size()] = 0.2;
            p.add(probs);
        }
        List<Embedding.Entity> entities = Bio.decode(words, p, tags, TEXT);
        assertEquals(List.of(new Embedding.Entity("PER", 0, 8, "Müller's", 0.8f), new Embedding.Entity("LOC", 15, 21, "Zürich", 0.8f)),
                entities);
    }

    @Test
    void anInsideTagIsOnlyChosenAfterItsBeginningAndSoNamesDoNotSwitchTypeHalfway() {
        List<String> tags = Bio.tagNames(List.of("PER", "LOC"));
        List<Bio.Word> words = Bio.words(PIECES);
        // per word: O, B-PER, I-PER, B-LOC, I-LOC
        List<double[]> p = List.of(
                new double[] {0.1, 0.3, 0.6, 0.0, 0.0},    // I-PER most likely, but nothing precedes it: B-PER
                new double[] {0.1, 0.0, 0.4, 0.0, 0.5},    // I-LOC most likely, but after PER only I-PER continues
                new double[] {0.1, 0.0, 0.5, 0.4, 0.0},    // I-PER
                new double[] {0.9, 0.05, 0.05, 0.0, 0.0},  // O
                new double[] {0.9, 0.05, 0.05, 0.0, 0.0},  // O
                new double[] {0.2, 0.0, 0.0, 0.3, 0.5});   // I-LOC after O is not allowed: B-LOC
        assertArrayEquals(new int[] {1, 2, 2, 0, 0, 3}, Bio.bestAllowedSequence(p, tags));
        List<Embedding.Entity> entities = Bio.decode(words, p, tags, TEXT);
        assertEquals(List.of("PER:Müller's", "LOC:Zürich"), entities.stream().map(e -> e.type() + ":" + e.text()).toList());
        assertEquals((0.3 + 0.4 + 0.5) / 3, entities.get(0).score(), 1e-6);
    }
}
