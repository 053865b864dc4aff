package io.bertstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.bench.BenchOptions.PipelineShape;
import io.bertstream.bench.BenchReport.Latency;
import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.engine.EngineStats;
import io.bertstream.kafka.EmbeddedKafka;
import io.bertstream.topology.BertstreamApp;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.DeadLetter;
import io.bertstream.topology.SharedModel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

/**
 * Subject (d), the whole pipeline in one process: a producer writes JSON text events to a real broker
 * ({@link EmbeddedKafka}), the bertstream processor ({@link BertstreamApp}: exactly_once_v2, Avro single-object
 * records out, its default micro-batching and its one inference queue) embeds them, and a read_committed consumer
 * decodes every output record. Measured at each {@link PipelineShape} (input partitions x stream threads), each a
 * phase of its own ({@code d@16p2t}): one broker and one loaded model for all, a fresh app, input topic and warm-up
 * per shape.
 * Throughput: a backlog of events, timed from the first send to the last arrival (see {@link #runRate}). Latency, at the shapes with the most partitions: a producer paced at half the shape's rate,
 * arrival time minus event time. Broker and clients share the cores with the model, so the ratio to (c) is a
 * conservative one.
 */
final class PipelineBench implements AutoCloseable {

    private static final String INPUT = "bench-texts";
    private static final String OUTPUT = "bench-embeddings";
    private static final String DEAD_LETTERS = "bench-dead-letters";
    /** A run fails when no output arrives for this long. */
    private static final Duration STALL = Duration.ofSeconds(60);
    private static final double LATENCY_LOAD = 0.5;
    private static final double LATENCY_SECONDS = 15;

    private final ObjectMapper json = new ObjectMapper();
    private final Path stateDir;
    private final EmbeddedKafka kafka;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final int corpusSize;
    /** The current shape's first vector of each corpus text (null where none came back yet). */
    private float[][] vectorsByText;
    private SharedModel model;
    private BertstreamApp app;
    private String input;
    private int sent;

    private PipelineBench(int texts) throws IOException {
        this.corpusSize = texts;
        stateDir = Files.createTempDirectory("bertstream-bench-state");
        kafka = EmbeddedKafka.start();
        KafkaProducer<byte[], byte[]> newProducer = null;
        try {
            kafka.createTopics(1, OUTPUT, DEAD_LETTERS);
            newProducer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                    new ByteArraySerializer(), new ByteArraySerializer());
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ConsumerConfig.GROUP_ID_CONFIG, "bench-reader", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(OUTPUT));
            producer = newProducer;
        } catch (RuntimeException e) {
            if (newProducer != null) {
                newProducer.close();
            }
            kafka.close();
            deleteQuietly(stateDir);
            throw e;
        }
    }

    /** One phase per shape, and each shape's vector of each corpus text (null where none came back). */
    record Result(List<Phase> phases, Map<String, List<float[]>> vectorsByPhase) {
    }

    static Result run(BenchOptions options, List<String> texts, PrintStream log) {
        List<Phase> phases = new ArrayList<>();
        Map<String, List<float[]>> vectors = new HashMap<>();
        int mostPartitions = options.pipelineShapes().stream().mapToInt(PipelineShape::partitions).max().orElseThrow();
        try (PipelineBench bench = new PipelineBench(texts.size())) {
            for (PipelineShape shape : options.pipelineShapes()) {
                String subject = "pipeline at " + shape.partitions() + " input partitions, " + shape.threads()
                        + " stream threads: producer -> broker -> processor (exactly_once_v2, Avro) -> read_committed consumer";
                try {
                    phases.add(bench.measure(subject, shape, shape.partitions() == mostPartitions, options, texts, log));
                    vectors.put(shape.phaseId(), Arrays.asList(bench.vectorsByText));
                } catch (RuntimeException | LinkageError e) {
                    phases.add(Phase.failed(shape.phaseId(), subject, e));
                    bench.closeApp();
                    // what the failed shape still committed must not count as the next shape's output
                    bench.consumer.seekToEnd(bench.consumer.assignment());
                }
            }
        } catch (IOException e) {
            failRest(options, phases, new UncheckedIOException(e));
        } catch (RuntimeException | LinkageError e) {
            failRest(options, phases, e);
        }
        return new Result(phases, vectors);
    }

    /** The broker or the model would not start: every shape not yet measured fails with the reason. */
    private static void failRest(BenchOptions options, List<Phase> phases, Throwable cause) {
        options.pipelineShapes().stream().skip(phases.size()).forEach(shape ->
                phases.add(Phase.failed(shape.phaseId(), "pipeline at " + shape.partitions() + " input partitions, "
                        + shape.threads() + " stream threads", cause)));
    }

    private Phase measure(String subject, PipelineShape shape, boolean withLatency, BenchOptions options,
                          List<String> texts, PrintStream log) {
        vectorsByText = new float[corpusSize][];
        input = INPUT + "-" + shape.partitions() + "p" + shape.threads() + "t";
        kafka.createTopics(shape.partitions(), input);
        Map<String, String> settings = new HashMap<>(Map.of(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                StreamsConfig.APPLICATION_ID_CONFIG, "bertstream-bench-" + UUID.randomUUID(),
                StreamsConfig.STATE_DIR_CONFIG, stateDir.toString(),
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(shape.threads()),
                BertstreamConfig.INPUT_TOPICS, input,
                BertstreamConfig.INPUT_ID_POINTER, "/id",
                BertstreamConfig.OUTPUT_TOPIC, OUTPUT,
                BertstreamConfig.DLQ_TOPIC, DEAD_LETTERS,
                BertstreamConfig.BACKEND, "onnxruntime",
                BertstreamConfig.THREADS, Integer.toString(options.threads())));
        settings.put(BertstreamConfig.METRICS_PORT, "-1");
        settings.putAll(options.pipelineConfig());
        BertstreamConfig config = BertstreamConfig.of(settings, Map.of());
        double load = 0;
        if (model == null) {
            // one model for every shape: the apps come and go, the engine stays warm
            long started = System.nanoTime();
            model = SharedModel.open(config);
            load = Throughput.seconds(System.nanoTime() - started);
        }
        app = new BertstreamApp(config, model);
        double warmup = Throughput.secondsOf(() -> {
            app.start();
            awaitRunning();
            // one untimed pass over the corpus end to end, as every other phase gets: consumer assignment, first
            // transactions, and the JIT on the processing path (with 16 events the first timed run came out ~15 %
            // slower than the next ones)
            arrivals(send(texts, cycle(texts, texts.size()), 0), texts.size());
        });

        // padding and pass sizes at steady load: the forward passes of the backlog runs, not warm-up's or the paced run's
        EngineStats before = model.engineStats();
        double[] rates = new double[options.runs()];
        for (int run = 0; run < options.runs(); run++) {
            List<Integer> events = cycle(texts, options.pipelineEvents());
            EngineStats runStart = model.engineStats();
            long runStarted = System.nanoTime();
            long[] arrivals = arrivals(send(texts, events, 0), events.size());
            rates[run] = runRate(arrivals, runStarted);
            // where the time goes: the share of the run the inference worker spent inside the model's forward passes
            EngineStats ran = model.engineStats().minus(runStart);
            log.printf(Locale.ROOT, "  %s run %d: %d events, %.1f events/s (first send to last arrival), forward passes %.0f %% of the run (%d passes, %.1f rows each, padded %.1f %%)%n",
                    shape.phaseId(), run + 1, events.size(), rates[run],
                    100.0 * ran.forwardNanos() / (System.nanoTime() - runStarted), ran.passes(),
                    (double) ran.rows() / Math.max(1, ran.passes()), 100 * ran.paddedShare());
        }
        double max = Throughput.median(rates);
        EngineStats steady = model.engineStats().minus(before);
        Double paddedShare = steady.passes() == 0 ? null : steady.paddedShare();
        Double rowsPerPass = steady.passes() == 0 ? null : (double) steady.rows() / steady.passes();
        Latency latency = null;
        if (withLatency) {
            latency = latency(texts, max * LATENCY_LOAD, options, config);
            log.printf(Locale.ROOT, "  %s latency at %.1f events/s: p50 %.1f ms, p99 %.1f ms (goal <= %.1f ms: linger %.0f + "
                            + "commit interval %.0f + 2 x mean pass %.1f)%n", shape.phaseId(), latency.offeredPerSecond(),
                    latency.p50Millis(), latency.p99Millis(), latency.p99GoalMillis(), latency.lingerMillis(),
                    latency.commitIntervalMillis(), latency.meanPassMillis());
        }

        double deadLettered = Arrays.stream(DeadLetter.Stage.values()).mapToDouble(app.metrics()::deadLetteredCount).sum();
        closeApp();
        if (deadLettered > 0) {
            throw new IllegalStateException(deadLettered + " bench events were dead-lettered");
        }
        String batching = String.format(Locale.ROOT, "%d partitions, %d stream threads, micro-batch <= %d events / %d "
                        + "padded tokens, linger %d ms", shape.partitions(), shape.threads(),
                config.getInt(BertstreamConfig.MICRO_BATCH_MAX_RECORDS), config.getInt(BertstreamConfig.MICRO_BATCH_MAX_TOKENS),
                config.getInt(BertstreamConfig.MICRO_BATCH_LINGER_MS));
        return new Phase(shape.phaseId(), subject, batching + ", " + config.require(BertstreamConfig.BACKEND), load, warmup,
                max, rates, paddedShare, rowsPerPass, 0, 0, ProcessStats.residentMib(), null, List.of(), latency, null);
    }

    /** Stops the current shape's app (it commits what is done); the model stays open for the next shape. */
    private void closeApp() {
        if (app != null) {
            BertstreamApp closing = app;
            app = null;
            closing.close();
        }
    }

    private void awaitRunning() {
        long deadline = System.nanoTime() + STALL.toNanos();
        while (app.streams().state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || app.streams().state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException("Kafka Streams did not reach RUNNING: " + app.streams().state());
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    /**
     * Sends the corpus texts at {@code indexes} as JSON events, paced at {@code perSecond} (0 = as fast as the
     * producer goes). Ids are "sequence:text index", so outputs can be matched to their text.
     */
    private CompletableFuture<Void> send(List<String> texts, List<Integer> indexes, double perSecond) {
        int first = sent;
        sent += indexes.size();
        String topic = input;
        return CompletableFuture.runAsync(() -> {
            long start = System.nanoTime();
            for (int i = 0; i < indexes.size(); i++) {
                if (perSecond > 0) {
                    LockSupport.parkNanos(start + (long) (i * 1e9 / perSecond) - System.nanoTime());
                }
                String id = (first + i) + ":" + indexes.get(i);
                producer.send(new ProducerRecord<>(topic, null, System.currentTimeMillis(), bytes(id),
                        event(id, texts.get(indexes.get(i)))));
            }
            producer.flush();
        });
    }

    private byte[] event(String id, String text) {
        try {
            return json.writeValueAsBytes(Map.of("id", id, "text", text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Arrival times ({@link System#nanoTime()}) of the next {@code count} output records, each decoded and checked. */
    private long[] arrivals(CompletableFuture<Void> sending, int count) {
        return receive(sending, count, false);
    }

    /** Latency of each of the next {@code count} records: arrival minus the event's timestamp, in ms. */
    private long[] latencies(CompletableFuture<Void> sending, int count) {
        return receive(sending, count, true);
    }

    private long[] receive(CompletableFuture<Void> sending, int count, boolean latency) {
        long[] values = new long[count];
        int received = 0;
        long lastProgress = System.nanoTime();
        while (received < count) {
            if (sending.isCompletedExceptionally()) {
                sending.join();
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                long now = latency ? System.currentTimeMillis() : System.nanoTime();
                check(record);
                if (received < count) {
                    values[received++] = latency ? now - record.timestamp() : now;
                }
                lastProgress = System.nanoTime();
            }
            if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                throw new IllegalStateException("pipeline stalled: " + received + " of " + count + " records after "
                        + STALL.toSeconds() + " s without output (streams " + (app == null ? "closed" : app.streams().state()) + ")");
            }
        }
        sending.join();
        return values;
    }

    /**
     * Every output must be a decodable EmbeddingRecord with a vector: the benchmark counts real work only. The
     * first vector of each text is kept for the fidelity check against (b).
     */
    private void check(ConsumerRecord<byte[], byte[]> record) {
        EmbeddingRecord embedding;
        try {
            embedding = EmbeddingRecord.getDecoder().decode(record.value());
        } catch (IOException e) {
            throw new IllegalStateException("output record is not an Avro EmbeddingRecord", e);
        }
        List<Float> vector = embedding.getVector();
        if (vector.isEmpty()) {
            throw new IllegalStateException("empty vector in output record " + embedding.getId());
        }
        String id = embedding.getId().toString();
        int text = Integer.parseInt(id.substring(id.indexOf(':') + 1));
        if (vectorsByText[text] == null) {
            float[] values = new float[vector.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = vector.get(i);
            }
            vectorsByText[text] = values;
        }
    }

    /**
     * Records per second over the whole run, from {@code startNanos} (the first send) to the last arrival. Not the
     * 10th-90th percentile window: {@code read_committed} hands the outputs over in a few commit-sized bursts, and a
     * window that falls inside them overstated a 500-event run 2-3x (more than the engine alone can do). The whole
     * run counts start-up (one linger, one pass, one commit), so it errs low. Finite and positive for any run.
     *
     * @param arrivals   arrival times, {@link System#nanoTime()}
     * @param startNanos when the run's first event was sent
     */
    static double runRate(long[] arrivals, long startNanos) {
        if (arrivals.length == 0) {
            throw new IllegalArgumentException("no arrivals to time");
        }
        long last = Arrays.stream(arrivals).max().getAsLong();
        return arrivals.length * 1e9 / Math.max(1, last - startNanos);
    }

    /** Latency at {@code perSecond} offered, with the goal from the same run's settings and passes. */
    private Latency latency(List<String> texts, double perSecond, BenchOptions options, BertstreamConfig config) {
        int count = (int) Math.max(Math.max(1, texts.size() / 2.0), Math.min(options.pipelineEvents(), perSecond * LATENCY_SECONDS));
        List<Integer> events = cycle(texts, count);
        EngineStats before = model.engineStats();
        long start = System.currentTimeMillis();
        long[] millis = latencies(send(texts, events, perSecond), count);
        double achieved = count * 1000.0 / Math.max(1, System.currentTimeMillis() - start);
        EngineStats passes = model.engineStats().minus(before);
        double[] values = Arrays.stream(millis).asDoubleStream().toArray();
        double commitInterval = new StreamsConfig(config.kafkaProperties()).getLong(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        double meanPass = passes.passes() == 0 ? 0 : passes.forwardNanos() / 1e6 / passes.passes();
        return new Latency(perSecond, achieved, Throughput.quantile(values, 0.5), Throughput.quantile(values, 0.99), count,
                config.getInt(BertstreamConfig.MICRO_BATCH_LINGER_MS), commitInterval, meanPass);
    }

    /** {@code count} corpus indexes, going round the corpus. */
    private static List<Integer> cycle(List<String> texts, int count) {
        return IntStream.range(0, count).map(i -> i % texts.size()).boxed().toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try (kafka; producer; consumer) {
            closeApp();
            if (model != null) {
                model.close();
            }
        } finally {
            deleteQuietly(stateDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }
}
