package io.bertstream.extract;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerSpecTest {

    @Test
    void resolvesIndexesRangesListsAndAllAgainstTwelveLayers() {
        assertArrayEquals(new int[] {12}, LayerSpec.parse("-1", null).resolve(12));
        assertArrayEquals(new int[] {0}, LayerSpec.parse("0", null).resolve(12));
        assertArrayEquals(new int[] {11}, LayerSpec.parse("-2", null).resolve(12));
        assertArrayEquals(new int[] {9, 10, 11, 12}, LayerSpec.parse("-4..-1", "concat").resolve(12));
        assertArrayEquals(new int[] {1, 6, 12}, LayerSpec.parse("1,6,12", "mean").resolve(12));
        assertArrayEquals(new int[] {0, 1, 2, 3, 12}, LayerSpec.parse("0..3, -1", "sum").resolve(12));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, LayerSpec.parse("all", null).resolve(6));
    }

    @Test
    void canonicalTextNamesTheCombinationOnlyForSeveralLayers() {
        assertEquals("-1", LayerSpec.parse(" -1 ", "mean").toString());
        assertEquals("-4..-1 concat", LayerSpec.parse("-4..-1", null).toString());
        assertEquals("all mean", LayerSpec.parse("ALL", "mean").toString());
        assertEquals("1,6,12 weighted:0.2,0.3,0.5", LayerSpec.parse("1,6,12", "weighted:0.2,0.3,0.5").toString());
        assertEquals(LayerSpec.parse("-4..-1", "concat"), LayerSpec.parse("-4..-1", null));
    }

    @Test
    void outOfRangeListsTheValidIndexes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("13", null).resolve(12));
        assertTrue(e.getMessage().contains("valid are 0..12") && e.getMessage().contains("-13..-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-8", null).resolve(6));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-1..-4", null).resolve(12))
                .getMessage().contains("backwards"));
    }

    @Test
    void badSyntaxAndMismatchedWeightsAreRefusedClearly() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("last", null))
                .getMessage().contains("valid are an index"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-1", "avg"))
                .getMessage().contains("concat, mean, sum, weighted"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-4..-1", "weighted:0.5,0.5").resolve(12))
                .getMessage().contains("4 layers"));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-2..-1", "weighted:a,b"));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.parse("-2..-1", "weighted"));
    }
}
