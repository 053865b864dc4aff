package io.bertstream.topology;

import java.time.Duration;

/**
 * How the app watches itself, so that it never loops silently.
 *
 * @param maxReplacements    stream-thread failures replaced within {@code replacementWindow}; one more shuts the
 *                           process down with the cause
 * @param replacementWindow  the window in which failures are counted
 * @param maxStall           /health is DOWN when a task with waiting events makes no progress for longer
 * @param maxRebalance       /health is DOWN when a rebalance lasts longer
 * @param registerTimeout    registry output: how long start-up keeps trying to register the output schema
 */
public record Supervision(int maxReplacements, Duration replacementWindow, Duration maxStall, Duration maxRebalance,
                          Duration registerTimeout) {

    public Supervision {
        if (maxReplacements < 0 || replacementWindow.isNegative() || maxStall.isNegative() || maxRebalance.isNegative()
                || registerTimeout.isNegative()) {
            throw new IllegalArgumentException("supervision settings must not be negative");
        }
    }
}
