package io.bertstream.topology;

import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Bounded replacement of failed stream threads: up to {@code maxReplacements} failures within the window are
 * replaced (exactly-once resumes from the last commit); one more shuts the client down, so the process exits
 * non-zero with the cause instead of looping on a failure that will not go away.
 */
final class ThreadSupervisor implements StreamsUncaughtExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ThreadSupervisor.class);
    /** /health stays DOWN this long after a stream thread failed. */
    static final Duration RECENT = Duration.ofMinutes(1);

    private final Supervision supervision;
    private final PipelineMetrics metrics;
    private final Runnable onFatal;
    private final Deque<Long> failures = new ArrayDeque<>();
    private String lastCause;
    private long lastFailureMillis = Long.MIN_VALUE;
    private String fatal;

    ThreadSupervisor(Supervision supervision, PipelineMetrics metrics, Runnable onFatal) {
        this.supervision = supervision;
        this.metrics = metrics;
        this.onFatal = onFatal;
    }

    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        long now = System.currentTimeMillis();
        String cause = oneLine(exception);
        int count;
        synchronized (this) {
            failures.addLast(now);
            while (!failures.isEmpty() && failures.peekFirst() < now - supervision.replacementWindow().toMillis()) {
                failures.removeFirst();
            }
            count = failures.size();
            lastCause = cause;
            lastFailureMillis = now;
            if (count > supervision.maxReplacements()) {
                fatal = "stream threads failed " + count + " times within " + supervision.replacementWindow().toMinutes()
                        + " min (" + BertstreamConfig.THREADS_MAX_REPLACEMENTS + "=" + supervision.maxReplacements()
                        + "): " + cause;
            }
        }
        metrics.threadFailed(fatal == null);
        if (fatal != null) {
            log.error("{}; shutting down", fatal, exception);
            onFatal.run();
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        log.error("stream thread failed ({} of {} replacements within {} min used); replacing it: {}", count,
                supervision.maxReplacements(), supervision.replacementWindow().toMinutes(), cause, exception);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /** Why the client was shut down, if it was. */
    synchronized Optional<String> fatal() {
        return Optional.ofNullable(fatal);
    }

    /** The last failure, when it happened within {@link #RECENT}. */
    synchronized Optional<String> recentFailure(long now) {
        if (lastCause == null || now - lastFailureMillis > RECENT.toMillis()) {
            return Optional.empty();
        }
        return Optional.of("a stream thread failed " + (now - lastFailureMillis) / 1000 + " s ago (" + failures.size()
                + " failures within " + supervision.replacementWindow().toMinutes() + " min): " + lastCause);
    }

    /**
     * The cause worth reading, on one line: Kafka Streams wraps the real one in layers of its own, so the first
     * exception that is not one of those (or else the innermost).
     */
    static String oneLine(Throwable exception) {
        Throwable cause = exception;
        while (cause.getClass().getName().startsWith("org.apache.kafka.streams.errors.") && cause.getCause() != null
                && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage() == null ? "" : ": " + cause.getMessage();
        return (cause.getClass().getName() + message).replace('\n', ' ');
    }
}
