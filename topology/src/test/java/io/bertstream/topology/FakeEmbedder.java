package io.bertstream.topology;

import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.TextEmbedder;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * A {@link TextEmbedder} test double for behaviour that has nothing to do with the model — batching, routing,
 * restore, limits, faults — so those tests run fast and can inject failures. Texts are whitespace-separated words,
 * one token each plus [CLS] and [SEP]; a text's vector is derived from its SHA-256 (deterministic, different per
 * text). Configurable: dimensions, delay per call and per token, texts it rejects (data errors), texts that make a
 * whole call throw, and a failure schedule (throw on every call for a while, then recover). In chunk mode it
 * returns one vector per chunk as the engine would. Thread-safe.
 *
 * <p>Tests that check vectors use the real model ({@link TestModel}); this one never stands in for it there.
 */
final class FakeEmbedder implements TextEmbedder {

    private final int dims;
    private final SegmentShape shape;
    private volatile String name = "fake";
    private volatile Duration delayPerCall = Duration.ZERO;
    private volatile long undelayedCalls;
    private volatile long nanosPerToken;
    private volatile Predicate<String> rejects = text -> false;
    private volatile java.util.function.Function<String, String> rejectionReason = text -> "rejected by the test double";
    private volatile Predicate<String> poisons = text -> false;
    private volatile long failingUntilNanos = Long.MIN_VALUE;
    private final AtomicInteger failNextCalls = new AtomicInteger();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong failedCalls = new AtomicLong();
    private final AtomicLong textsEmbedded = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closedWhileInFlight;
    private volatile boolean closed;
    private volatile java.io.PrintStream closeReport;

    FakeEmbedder() {
        this(8, new SegmentShape(LengthPolicy.Mode.HEAD, 512, 0));
    }

    FakeEmbedder(int dims, SegmentShape shape) {
        this.dims = dims;
        this.shape = shape;
    }

    /**
     * From a spec such as {@code dims=8;delay-ms=200;undelayed-calls=3;per-token-us=50;fail-ms=3000;mode=chunk;window=16}
     * (the first {@code undelayed-calls} calls, e.g. the warm-up, are not delayed):
     * how a child JVM ({@link ProcessorChildMain}) is told to use this double.
     */
    static FakeEmbedder parse(String spec) {
        var values = new java.util.HashMap<String, String>();
        for (String part : spec.split(";")) {
            if (!part.isBlank()) {
                String[] kv = part.split("=", 2);
                values.put(kv[0].trim(), kv[1].trim());
            }
        }
        var shape = new SegmentShape(LengthPolicy.Mode.valueOf(values.getOrDefault("mode", "head").toUpperCase(java.util.Locale.ROOT)),
                Integer.parseInt(values.getOrDefault("window", "512")), Integer.parseInt(values.getOrDefault("overlap", "0")));
        var fake = new FakeEmbedder(Integer.parseInt(values.getOrDefault("dims", "8")), shape);
        fake.delayPerCall(Duration.ofMillis(Long.parseLong(values.getOrDefault("delay-ms", "0"))));
        fake.undelayedCalls = Long.parseLong(values.getOrDefault("undelayed-calls", "0"));
        fake.delayPerToken(Duration.ofNanos(1000 * Long.parseLong(values.getOrDefault("per-token-us", "0"))));
        if (values.containsKey("fail-ms")) {
            fake.failFor(Duration.ofMillis(Long.parseLong(values.get("fail-ms"))));
        }
        return fake;
    }

    SegmentShape shape() {
        return shape;
    }

    /** The model name its records carry (default "fake"): two doubles tell their outputs apart, as two models would. */
    FakeEmbedder named(String name) {
        this.name = name;
        return this;
    }

    FakeEmbedder delayPerCall(Duration delay) {
        this.delayPerCall = delay;
        return this;
    }

    FakeEmbedder delayPerToken(Duration delay) {
        this.nanosPerToken = delay.toNanos();
        return this;
    }

    /** Texts this double rejects as bad data ({@link EmbedOutcome.Rejected}). */
    FakeEmbedder rejecting(Predicate<String> texts) {
        this.rejects = texts;
        return this;
    }

    /** The same, with the reason given for each. */
    FakeEmbedder rejecting(Predicate<String> texts, java.util.function.Function<String, String> reason) {
        this.rejectionReason = reason;
        this.rejects = texts;
        return this;
    }

    static final String REJECTION_CLASS = "io.bertstream.engine.InvalidTextException";

    /** Texts that make any call containing them throw, as a text that crashes the model would. */
    FakeEmbedder poisonedBy(Predicate<String> texts) {
        this.poisons = texts;
        return this;
    }

    /** Every call throws for this long from now: an engine that is down, then recovers. */
    FakeEmbedder failFor(Duration duration) {
        this.failingUntilNanos = System.nanoTime() + duration.toNanos();
        return this;
    }

    /** The next {@code n} calls throw. */
    FakeEmbedder failNextCalls(int n) {
        failNextCalls.set(n);
        return this;
    }

    /** Stops failing now. */
    FakeEmbedder recover() {
        failingUntilNanos = Long.MIN_VALUE;
        failNextCalls.set(0);
        return this;
    }

    long calls() {
        return calls.get();
    }

    long failedCalls() {
        return failedCalls.get();
    }

    long textsEmbedded() {
        return textsEmbedded.get();
    }

    boolean closed() {
        return closed;
    }

    boolean closedWhileInFlight() {
        return closedWhileInFlight;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo(name, "f".repeat(64), "test-double", "fake", "-1", "mean", true, "l2", dims);
    }

    @Override
    public int countTokens(String text) {
        if (text == null || text.isBlank()) {
            throw new io.bertstream.engine.InvalidTextException(text == null ? "text is null"
                    : text.isEmpty() ? "text is empty" : "text is whitespace only");
        }
        return words(text) + SegmentShape.SPECIAL_TOKENS;
    }

    @Override
    public List<EmbedOutcome> embedAll(List<String> texts) {
        calls.incrementAndGet();
        inFlight.incrementAndGet();
        try {
            long tokens = texts.stream().filter(t -> t != null && !t.isBlank())
                    .mapToLong(t -> shape.cost(countTokens(t))).sum();
            if (calls.get() > undelayedCalls) {
                sleep(delayPerCall.toNanos() + tokens * nanosPerToken);
            }
            if (closed) {
                throw new IllegalStateException("the embedder is closed");
            }
            if (System.nanoTime() < failingUntilNanos || failNextCalls.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failedCalls.incrementAndGet();
                throw new IllegalStateException("fake engine failure (injected)");
            }
            if (texts.stream().anyMatch(t -> t != null && poisons.test(t))) {
                failedCalls.incrementAndGet();
                throw new IllegalStateException("fake engine failure on a poisoned text (injected)");
            }
            var outcomes = new ArrayList<EmbedOutcome>(texts.size());
            for (String text : texts) {
                if (text == null || text.isBlank()) {
                    outcomes.add(new EmbedOutcome.Rejected("io.bertstream.engine.InvalidTextException",
                            text == null || text.isEmpty() ? "text is empty" : "text is whitespace only"));
                } else if (rejects.test(text)) {
                    outcomes.add(new EmbedOutcome.Rejected(REJECTION_CLASS, rejectionReason.apply(text)));
                } else {
                    outcomes.add(new EmbedOutcome.Embedded(vectors(text)));
                    textsEmbedded.incrementAndGet();
                }
            }
            return outcomes;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** One vector, or one per chunk in chunk mode (where even a single chunk is chunk 0 of 1, as the engine makes it). */
    List<Embedding> vectors(String text) {
        int tokens = countTokens(text);
        int chunks = shape.chunks(tokens);
        if (chunks == 1 && shape.mode() != LengthPolicy.Mode.CHUNK) {
            return List.of(new Embedding(vector(text), null, Math.min(tokens, shape.window()),
                    tokens > shape.window(), null, null));
        }
        var vectors = new ArrayList<Embedding>(chunks);
        for (int i = 0; i < chunks; i++) {
            vectors.add(new Embedding(vector(text + "#" + i), new Embedding.ChunkInfo(i, chunks, 0, text.length()),
                    shape.window(), false, null, null));
        }
        return vectors;
    }

    float[] vector(String text) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            float[] vector = new float[dims];
            for (int i = 0; i < dims; i++) {
                vector[i] = (hash[i % hash.length] + 0.5f) / 128f;
            }
            return vector;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int words(String text) {
        return text.trim().split("\\s+").length;
    }

    private static void sleep(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Prints a line when closed, saying whether a call was still running: for child JVMs. */
    FakeEmbedder reportCloseTo(java.io.PrintStream out) {
        this.closeReport = out;
        return this;
    }

    @Override
    public void close() {
        if (inFlight.get() > 0) {
            closedWhileInFlight = true;
        }
        closed = true;
        if (closeReport != null) {
            closeReport.println("child: model closed true, closed under a running call " + closedWhileInFlight);
            closeReport.flush();
        }
    }
}
