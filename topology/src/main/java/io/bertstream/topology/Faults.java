package io.bertstream.topology;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Faults of the infrastructure — the model failing on a canary text, the schema registry down or refusing our
 * credentials — as opposed to bad data. While one lasts, processing is paused (Kafka Streams keeps polling and
 * committing, but neither processes nor punctuates), the affected events stay pending, and a probe is retried
 * with exponential backoff on a thread of its own; when every fault's probe passes, processing resumes. Nothing
 * is dead-lettered or committed as a loss meanwhile.
 */
final class Faults implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Faults.class);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** What failed. */
    enum Kind {
        ENGINE("the embedding engine"), REGISTRY("the schema registry");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A check that throws while the fault lasts. */
    @FunctionalInterface
    interface Probe {
        void check() throws Exception;
    }

    /** What processing is paused and resumed on: Kafka Streams in production. */
    interface Pausable {
        void pause();

        void resume();
    }

    /** One fault as it stands. */
    record Fault(Kind kind, String cause, Instant since, Duration nextProbeIn, long probes) {
    }

    private final Pausable target;
    private final PipelineMetrics metrics;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Map<Kind, Episode> active = new EnumMap<>(Kind.class);
    private boolean closed;
    private final ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "bertstream-fault-probe");
        thread.setDaemon(true);
        return thread;
    });

    private static final class Episode {
        final Probe probe;
        final Instant since;
        String cause;
        Duration backoff;
        long probes;

        Episode(Probe probe, String cause, Duration backoff) {
            this.probe = probe;
            this.cause = cause;
            this.since = Instant.now();
            this.backoff = backoff;
        }
    }

    Faults(Pausable target, PipelineMetrics metrics) {
        this(target, metrics, FIRST_BACKOFF, MAX_BACKOFF);
    }

    Faults(Pausable target, PipelineMetrics metrics, Duration firstBackoff, Duration maxBackoff) {
        this.target = target;
        this.metrics = metrics;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        metrics.faults(this);
    }

    /**
     * Reports a fault: pauses processing (if not paused already) and starts probing. A second report of a kind
     * already active only updates its cause.
     */
    void raise(Kind kind, Throwable cause, Probe probe) {
        String description = describe(cause);
        synchronized (this) {
            Episode episode = active.get(kind);
            if (episode != null) {
                episode.cause = description;
                return;
            }
            active.put(kind, new Episode(probe, description, firstBackoff));
            if (active.size() == 1) {
                target.pause();
            }
        }
        metrics.fault(kind);
        log.warn("pausing processing: {} failed ({}); the affected events stay pending, probing again in {} ms",
                kind.label, description, firstBackoff.toMillis());
        schedule(kind, firstBackoff);
    }

    boolean active(Kind kind) {
        synchronized (this) {
            return active.containsKey(kind);
        }
    }

    boolean paused() {
        synchronized (this) {
            return !active.isEmpty();
        }
    }

    /** Blocks until no fault of {@code kind} is active, or this is closed. */
    void awaitCleared(Kind kind) throws InterruptedException {
        synchronized (this) {
            while (active.containsKey(kind) && !closed) {
                wait();
            }
        }
    }

    /** The oldest active fault, if any. */
    Optional<Fault> current() {
        synchronized (this) {
            return active.entrySet().stream().min(Map.Entry.comparingByValue((a, b) -> a.since.compareTo(b.since)))
                    .map(e -> new Fault(e.getKey(), e.getValue().cause, e.getValue().since, e.getValue().backoff,
                            e.getValue().probes));
        }
    }

    private void schedule(Kind kind, Duration delay) {
        if (!prober.isShutdown()) {
            prober.schedule(() -> probe(kind), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void probe(Kind kind) {
        Episode episode;
        synchronized (this) {
            episode = active.get(kind);
        }
        if (episode == null) {
            return;
        }
        Throwable failure = null;
        try {
            episode.probe.check();
        } catch (Throwable e) { // an OutOfMemoryError included: still the infrastructure
            failure = e;
        }
        metrics.probe(kind, failure == null);
        if (failure != null) {
            synchronized (this) {
                episode.probes++;
                episode.cause = describe(failure);
                episode.backoff = episode.backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff
                        : episode.backoff.multipliedBy(2);
            }
            log.info("{} still failing ({}); next probe in {} ms", kind.label, episode.cause, episode.backoff.toMillis());
            schedule(kind, episode.backoff);
            return;
        }
        boolean resume;
        synchronized (this) {
            active.remove(kind);
            resume = active.isEmpty();
            notifyAll();
        }
        log.info("{} works again after {} s; {}", kind.label, Duration.between(episode.since, Instant.now()).toSeconds(),
                resume ? "resuming processing" : "still paused by another fault");
        if (resume) {
            target.resume();
        }
    }

    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root == cause ? String.valueOf(cause) : cause + " caused by " + root;
        return text.replace('\n', ' ');
    }

    @Override
    public void close() {
        prober.shutdownNow();
        synchronized (this) {
            closed = true;
            notifyAll();
        }
    }
}
