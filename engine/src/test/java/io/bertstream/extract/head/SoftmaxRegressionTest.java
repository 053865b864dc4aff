package io.bertstream.extract.head;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loss and gradient fed to commons-math's optimiser, on data whose answer is known. */
class SoftmaxRegressionTest {

    /** Three Gaussian blobs in 5 dims, well apart: a linear model separates them. */
    private static float[][] blobs(int perClass, int[] y, long seed) {
        Random random = new Random(seed);
        float[][] x = new float[3 * perClass][5];
        for (int i = 0; i < x.length; i++) {
            int c = i % 3;
            y[i] = c;
            for (int d = 0; d < 5; d++) {
                x[i][d] = (float) (random.nextGaussian() * 0.5 + (d == c ? 3 : 0));
            }
        }
        return x;
    }

    @Test
    void separatesBlobsAndItsProbabilitiesSumToOne() {
        int[] y = new int[60];
        float[][] x = blobs(20, y, 1);
        var w = SoftmaxRegression.fit(x, y, 3, 0.01, 200);
        int[] yTest = new int[300];
        float[][] test = blobs(100, yTest, 2);
        int correct = 0;
        for (int i = 0; i < test.length; i++) {
            double[] p = w.probabilities(test[i]);
            double sum = 0;
            for (double v : p) {
                sum += v;
            }
            assertEquals(1.0, sum, 1e-9);
            if (HeadFitter.argmax(p) == yTest[i]) {
                correct++;
            }
        }
        assertTrue(correct >= 290, "held-out accuracy " + correct + "/300");
    }

    @Test
    void theBiasAloneLearnsTheClassShares() {
        // Features that say nothing: the best model predicts each class's share of the data, through the bias.
        float[][] x = new float[100][2];
        int[] y = new int[100];
        for (int i = 0; i < 100; i++) {
            y[i] = i < 70 ? 0 : 1;
        }
        var w = SoftmaxRegression.fit(x, y, 2, 1.0, 200);
        assertEquals(0.7, w.probabilities(new float[2])[0], 1e-3);
    }

    @Test
    void aStrongerPenaltyShrinksTheWeights() {
        int[] y = new int[60];
        float[][] x = blobs(20, y, 3);
        double weak = norm(SoftmaxRegression.fit(x, y, 3, 0.001, 200).weights());
        double strong = norm(SoftmaxRegression.fit(x, y, 3, 1.0, 200).weights());
        assertTrue(strong < weak / 2, "penalty 1.0 gives |W| " + strong + ", 0.001 gives " + weak);
    }

    private static double norm(float[][] w) {
        double s = 0;
        for (float[] row : w) {
            for (float v : row) {
                s += v * v;
            }
        }
        return Math.sqrt(s);
    }
}
