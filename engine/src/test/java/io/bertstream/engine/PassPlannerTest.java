package io.bertstream.engine;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PassPlannerTest {

    @Test
    void equalLengthsFillPassesToTheRowCap() {
        int[] lengths = new int[10];
        Arrays.fill(lengths, 20);
        assertArrayEquals(new int[] {4, 8, 10}, PassPlanner.plan(lengths, 8192, 4));
    }

    @Test
    void aLongStragglerGetsItsOwnPassInsteadOfPaddingTheShortOnes() {
        int[] lengths = {10, 10, 10, 10, 10, 10, 10, 400};
        assertArrayEquals(new int[] {7, 8}, PassPlanner.plan(lengths, 8192, 64));
    }

    @Test
    void aRowLongerThanTheBudgetStillRunsAlone() {
        assertArrayEquals(new int[] {1, 2}, PassPlanner.plan(new int[] {300, 600}, 512, 64));
    }

    @Test
    void realisticLengthsPadUnderTenPercentWithinBudgetAndCap() {
        Random random = new Random(7);
        int[] lengths = random.ints(256, 5, 200).sorted().toArray();
        int[] ends = PassPlanner.plan(lengths, 8192, 64);
        long real = 0;
        long slots = 0;
        int from = 0;
        for (int end : ends) {
            assertTrue(end - from <= 64, "row cap");
            assertTrue((long) (end - from) * lengths[end - 1] <= 8192, "token budget");
            for (int i = from; i < end; i++) {
                real += lengths[i];
            }
            slots += (long) (end - from) * lengths[end - 1];
            from = end;
        }
        assertEquals(lengths.length, from, "every row planned once");
        double padded = 1.0 - (double) real / slots;
        assertTrue(padded < 0.10, "padded share " + padded);
        assertTrue(ends.length < 40, "few passes: " + ends.length);
    }

    @Test
    void noRowsNoPasses() {
        assertEquals(0, PassPlanner.plan(new int[0], 8192, 64).length);
    }
}
