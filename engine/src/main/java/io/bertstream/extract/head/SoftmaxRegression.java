package io.bertstream.extract.head;

import org.apache.commons.math3.analysis.MultivariateFunction;
import org.apache.commons.math3.analysis.MultivariateVectorFunction;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.SimpleValueChecker;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunctionGradient;
import org.apache.commons.math3.optim.nonlinear.scalar.gradient.NonLinearConjugateGradientOptimizer;

import java.util.Arrays;

/**
 * Multinomial logistic regression: {@code p(c | x) = softmax(W x + b)_c}, fitted by minimising the mean negative
 * log-likelihood plus {@code l2 / 2 * |W|^2} (the bias is not penalised) with commons-math's non-linear conjugate
 * gradient optimiser (Polak-Ribière). This class only states the loss and its gradient; the optimisation, line
 * search and convergence test are the library's. Features should be standardised (see {@link Standardizer}).
 */
final class SoftmaxRegression {

    /** The fitted weights: {@code weights[c]} and {@code bias[c]} per class. */
    record Weights(float[][] weights, float[] bias) {

        int classes() {
            return bias.length;
        }

        /** Class probabilities of one (standardised) feature vector, summing to 1. */
        double[] probabilities(float[] x) {
            double[] z = new double[bias.length];
            for (int c = 0; c < z.length; c++) {
                double s = bias[c];
                float[] w = weights[c];
                for (int d = 0; d < x.length; d++) {
                    s += w[d] * x[d];
                }
                z[c] = s;
            }
            return softmax(z);
        }
    }

    private SoftmaxRegression() {
    }

    /**
     * Fits the weights.
     *
     * @param x             one standardised feature vector per example
     * @param y             each example's class, 0..classes-1
     * @param l2            the penalty on the weights
     * @param maxIterations conjugate-gradient iterations at most (the fit stops earlier when the loss settles)
     */
    static Weights fit(float[][] x, int[] y, int classes, double l2, int maxIterations) {
        if (x.length == 0 || x.length != y.length) {
            throw new IllegalArgumentException("need one class per example and at least one example");
        }
        Loss loss = new Loss(x, y, classes, l2);
        var optimizer = new NonLinearConjugateGradientOptimizer(NonLinearConjugateGradientOptimizer.Formula.POLAK_RIBIERE,
                new SimpleValueChecker(1e-7, 1e-9, maxIterations), 1e-4, 1e-6, 1e-1);
        PointValuePair best = optimizer.optimize(new MaxEval(100 * maxIterations), GoalType.MINIMIZE,
                new InitialGuess(new double[classes * (loss.dims + 1)]),
                new ObjectiveFunction((MultivariateFunction) loss::value),
                new ObjectiveFunctionGradient((MultivariateVectorFunction) loss::gradient));
        double[] p = best.getPoint();
        float[][] w = new float[classes][loss.dims];
        float[] b = new float[classes];
        for (int c = 0; c < classes; c++) {
            for (int d = 0; d < loss.dims; d++) {
                w[c][d] = (float) p[c * (loss.dims + 1) + d];
            }
            b[c] = (float) p[c * (loss.dims + 1) + loss.dims];
        }
        return new Weights(w, b);
    }

    static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[z.length];
        for (int c = 0; c < z.length; c++) {
            p[c] = Math.exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < z.length; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /**
     * The loss and its gradient, computed together in one sweep over the data; the optimiser asks for the value and
     * then the gradient at the same point, so the last point's answer is kept. Parameters: per class, its weights
     * then its bias.
     */
    private static final class Loss {
        final double[][] x;
        final int[] y;
        final int classes;
        final int dims;
        final double l2;
        double[] lastPoint;
        double lastValue;
        double[] lastGradient;

        Loss(float[][] x, int[] y, int classes, double l2) {
            this.x = new double[x.length][];
            for (int i = 0; i < x.length; i++) {
                this.x[i] = new double[x[i].length];
                for (int d = 0; d < x[i].length; d++) {
                    this.x[i][d] = x[i][d];
                }
            }
            this.y = y;
            this.classes = classes;
            this.dims = x[0].length;
            this.l2 = l2;
        }

        double value(double[] p) {
            evaluate(p);
            return lastValue;
        }

        double[] gradient(double[] p) {
            evaluate(p);
            return lastGradient.clone();
        }

        private void evaluate(double[] p) {
            if (lastPoint != null && Arrays.equals(lastPoint, p)) {
                return;
            }
            int stride = dims + 1;
            double[] g = new double[p.length];
            double nll = 0;
            double[] z = new double[classes];
            for (int i = 0; i < x.length; i++) {
                double[] xi = x[i];
                for (int c = 0; c < classes; c++) {
                    int off = c * stride;
                    double s = p[off + dims];
                    for (int d = 0; d < dims; d++) {
                        s += p[off + d] * xi[d];
                    }
                    z[c] = s;
                }
                double[] prob = softmax(z);
                nll -= Math.log(Math.max(prob[y[i]], 1e-300));
                for (int c = 0; c < classes; c++) {
                    double err = prob[c] - (c == y[i] ? 1 : 0);
                    int off = c * stride;
                    for (int d = 0; d < dims; d++) {
                        g[off + d] += err * xi[d];
                    }
                    g[off + dims] += err;
                }
            }
            int n = x.length;
            double penalty = 0;
            for (int c = 0; c < classes; c++) {
                int off = c * stride;
                for (int d = 0; d < dims; d++) {
                    g[off + d] = g[off + d] / n + l2 * p[off + d];
                    penalty += p[off + d] * p[off + d];
                }
                g[off + dims] /= n;
            }
            lastPoint = p.clone();
            lastValue = nll / n + l2 / 2 * penalty;
            lastGradient = g;
        }
    }
}
