package io.bertstream.bench;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCorpusTest {

    @Test
    void sameSeedSameTextsOtherSeedOtherTexts() {
        assertEquals(BenchCorpus.generate(50, 42), BenchCorpus.generate(50, 42));
        assertNotEquals(BenchCorpus.generate(50, 42), BenchCorpus.generate(50, 43));
    }

    @Test
    void lengthsSpreadFromAFewToAboutTwoHundredRealTokens() {
        List<String> texts = BenchCorpus.generate(1000, 42);
        int[] tokens = MiniLmFiles.tokenCounts(texts);
        int[] sorted = tokens.clone();
        Arrays.sort(sorted);
        assertTrue(texts.stream().noneMatch(String::isBlank));
        assertTrue(sorted[0] <= 8, "shortest " + sorted[0]);
        assertTrue(sorted[sorted.length - 1] >= 170 && sorted[sorted.length - 1] <= 260, "longest " + sorted[sorted.length - 1]);
        // log-uniform: short events dominate, yet long ones are common enough to matter
        int median = sorted[sorted.length / 2];
        assertTrue(median >= 20 && median <= 50, "median " + median);
        assertTrue(Arrays.stream(tokens).filter(t -> t > 128).count() >= 50, "texts over 128 tokens");
    }

    @Test
    void refusesAnEmptyCorpus() {
        assertThrows(IllegalArgumentException.class, () -> BenchCorpus.generate(0, 1));
    }
}
