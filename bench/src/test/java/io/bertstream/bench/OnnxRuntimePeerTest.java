package io.bertstream.bench;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Peer (b) must compute what langchain4j computes, or the ratios compare different work. */
class OnnxRuntimePeerTest {

    private static final List<String> TEXTS = BenchCorpus.generate(40, 7);
    private static final int[] TOKENS = MiniLmFiles.tokenCounts(TEXTS);
    private static List<float[]> langchain;

    @BeforeAll
    static void embedWithLangchain() {
        langchain = new LangchainPeer().embedAll(TEXTS);
    }

    @Test
    void sameVectorsAsLangchainWhereLangchainSeesTheWholeText() {
        try (OnnxRuntimePeer peer = new OnnxRuntimePeer(MiniLmFiles.graph().file(), 2, 1024)) {
            List<float[]> vectors = peer.embedAll(TEXTS);
            int longTexts = 0;
            for (int i = 0; i < TEXTS.size(); i++) {
                double cosine = Vectors.cosine(langchain.get(i), vectors.get(i));
                if (TOKENS[i] <= LangchainPeer.TRUNCATES_AT) {
                    assertTrue(cosine > 0.9999, "text " + i + " (" + TOKENS[i] + " tokens): cosine " + cosine);
                } else {
                    longTexts++;
                    assertTrue(cosine < 0.999, "langchain4j no longer truncates at 128? text " + i + " cosine " + cosine);
                }
                assertEquals(1.0, squaredNorm(vectors.get(i)), 1e-4);
            }
            assertTrue(longTexts > 0, "the corpus should hold texts over 128 tokens");
        }
    }

    @Test
    void batchBudgetChangesSpeedNotVectors() {
        try (OnnxRuntimePeer small = new OnnxRuntimePeer(MiniLmFiles.graph().file(), 2, 64);
             OnnxRuntimePeer large = new OnnxRuntimePeer(MiniLmFiles.graph().file(), 2, 8192)) {
            List<float[]> a = small.embedAll(TEXTS);
            List<float[]> b = large.embedAll(TEXTS);
            assertTrue(Vectors.minCosine(a, b) > 0.99999, "min cosine " + Vectors.minCosine(a, b));
            assertTrue(small.paddedShare() < large.paddedShare(), small.paddedShare() + " vs " + large.paddedShare());
        }
    }

    private static double squaredNorm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += x * x;
        }
        return sum;
    }
}
