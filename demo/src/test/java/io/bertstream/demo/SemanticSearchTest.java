package io.bertstream.demo;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SemanticSearchTest {

    @Test
    void ranksByCosineAndMeasuresNeighbourAgreement() {
        var search = new SemanticSearch();
        search.add("a1", new float[] {1, 0, 0});
        search.add("a2", new float[] {0.9f, 0.1f, 0});
        search.add("b1", new float[] {0, 1, 0});
        search.add("b2", new float[] {0, 0.8f, 0.2f});

        var top = search.top(new float[] {2, 0.1f, 0}, 2);
        assertEquals("a1", top.get(0).id());
        assertEquals("a2", top.get(1).id());
        assertEquals(SemanticSearch.cosine(new float[] {2, 0.1f, 0}, new float[] {1, 0, 0}), top.get(0).score(), 1e-12);

        Map<String, String> clusters = Map.of("a1", "a", "a2", "a", "b1", "b", "b2", "b");
        assertEquals(1.0, search.nearestNeighbourAgreement(clusters::get));
        Map<String, String> crossed = Map.of("a1", "x", "a2", "y", "b1", "x", "b2", "y");
        assertEquals(0.0, search.nearestNeighbourAgreement(crossed::get));
    }

    @Test
    void cosineIsScaleInvariantAndRefusesMismatchedDims() {
        assertEquals(1.0, SemanticSearch.cosine(new float[] {1, 2, 3}, new float[] {2, 4, 6}), 1e-12);
        assertEquals(-1.0, SemanticSearch.cosine(new float[] {1, 0}, new float[] {-3, 0}), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SemanticSearch.cosine(new float[2], new float[3]));
    }
}
