package io.bertstream.topology;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.serde.OutputFormat;
import io.bertstream.serde.RegistryClient;
import io.bertstream.serde.RegistryException;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running bertstream processor: the shared model and the inference queue in front of it, the Kafka Streams
 * instance, its supervision, and the /metrics + /health endpoints. Health is UP only while the model is warm,
 * Streams runs and nothing is wrong: no thread failing, no infrastructure fault, no stalled task, no rebalance
 * that lasts too long.
 */
public final class BertstreamApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BertstreamApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final BertstreamConfig config;
    private final SharedModel model;
    private final boolean ownsModel;
    private final TopologySettings settings;
    private final Supervision supervision;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PipelineMetrics metrics = new PipelineMetrics(registry);
    private final Faults faults;
    private final InferenceQueue queue;
    private final TaskProgress progress = new TaskProgress();
    private final ThreadSupervisor supervisor;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile KafkaStreams streams;
    private volatile String startPhase = "not started";
    private volatile long rebalancingSince = -1;
    private KafkaStreamsMetrics streamsMetrics;
    private OpsServer ops;

    /** An app on a model someone else closes (after this app's {@link #close()}). */
    public BertstreamApp(BertstreamConfig config, SharedModel model) {
        this(config, model, false);
    }

    /**
     * An app that closes the model as the last step of its own {@link #close()} — after its stream threads and the
     * inference worker have stopped, and before a shutdown hook waiting in {@link #awaitStop()} lets the JVM exit.
     */
    public static BertstreamApp owning(BertstreamConfig config, SharedModel model) {
        return new BertstreamApp(config, model, true);
    }

    private BertstreamApp(BertstreamConfig config, SharedModel model, boolean ownsModel) {
        this.config = config;
        this.model = model;
        this.ownsModel = ownsModel;
        this.settings = config.topologySettings();
        this.supervision = config.supervision();
        this.faults = new Faults(new Faults.Pausable() {
            @Override
            public void pause() {
                KafkaStreams running = streams;
                if (running != null) {
                    running.pause();
                }
            }

            @Override
            public void resume() {
                KafkaStreams running = streams;
                if (running != null) {
                    running.resume();
                }
            }
        }, metrics);
        this.queue = new InferenceQueue(model.embedder(), config.inferenceSettings(), faults, metrics);
        this.supervisor = new ThreadSupervisor(supervision, metrics, stop::countDown);
        metrics.modelInfo(model.embedder().info());
        if (model.engineStats() != null) {
            metrics.engine(model::engineStats);
        }
        metrics.supervision(() -> stalledTasks().size(), this::rebalancingMillis);
    }

    static Properties streamsProperties(BertstreamConfig config, PipelineMetrics metrics) {
        Properties props = config.kafkaProperties();
        props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                ErrorHandlers.Deserialization.class.getName());
        props.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                ErrorHandlers.Production.class.getName());
        props.put(ErrorHandlers.METRICS_CONFIG, metrics);
        return props;
    }

    /**
     * Opens the metrics port (if bertstream.metrics.port >= 0, on bertstream.metrics.bind), reads the size limits
     * from the cluster and checks that the settings hold together, warms the model up (refusing settings that
     * reject ordinary texts), registers the output schema (registry output), then starts the inference worker and
     * Streams.
     *
     * @throws IllegalArgumentException when the settings cannot work (the message names the keys to change)
     * @throws IllegalStateException    when the cluster or the schema registry cannot be reached in time
     */
    public BertstreamApp start() {
        int port = config.getInt(BertstreamConfig.METRICS_PORT);
        if (port >= 0) {
            ops = OpsServer.start(config.require(BertstreamConfig.METRICS_BIND), port, registry, this::health);
        }
        log.info("starting bertstream with\n{}", config.describe());
        Properties props = streamsProperties(config, metrics);
        Duration transactionTimeout = Duration.ofMillis(ProducerSettings.intValue(props, ProducerConfig.TRANSACTION_TIMEOUT_CONFIG));
        Duration iterationBudget = transactionTimeout.dividedBy(4);
        checkWaitsFitTheTransaction(iterationBudget);

        startPhase = "reading the topics' size limits";
        SizeLimits limits;
        try (Admin admin = Admin.create(adminProperties(props))) {
            limits = SizeLimits.read(admin, props, settings, ADMIN_TIMEOUT);
        }
        limits.checkHoldTogether(settings);
        fitBatchesToTheLimits(props, limits);

        startPhase = "model warming up";
        List<EmbedOutcome.Embedded> warmUp = model.warmUp();
        Serializer<EmbeddingRecord> serializer = config.serializer();
        if (OutputFormat.parse(config.require(BertstreamConfig.OUTPUT_FORMAT)) == OutputFormat.REGISTRY) {
            startPhase = "registering the output schema";
            registerOutputSchema(serializer, warmUp);
        }
        checkOutputFits(serializer, limits, warmUp);
        startPhase = "starting Kafka Streams";

        queue.start();
        var pipeline = new Pipeline(settings, model.embedder(), model.shape(), queue,
                new Backpressure(queue, config.inferenceSettings().maxWait(), iterationBudget, metrics),
                streamDecoder(iterationBudget), serializer, limits, faults, progress, metrics);
        var topology = EmbeddingTopology.build(pipeline, SizeLimits.changelogMaxMessageBytes(props));
        var kafkaStreams = new KafkaStreams(topology, props);
        kafkaStreams.setUncaughtExceptionHandler(supervisor);
        kafkaStreams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.REBALANCING) {
                if (rebalancingSince < 0) {
                    rebalancingSince = System.currentTimeMillis();
                }
            } else {
                rebalancingSince = -1;
            }
        });
        kafkaStreams.setGlobalStateRestoreListener(new RestoreLog());
        streamsMetrics = new KafkaStreamsMetrics(kafkaStreams);
        streamsMetrics.bindTo(registry);
        streams = kafkaStreams;
        kafkaStreams.start();
        startPhase = null;
        return this;
    }

    /**
     * A producer batch holds records up to batch.size, and the broker refuses a batch over the topic's
     * max.message.bytes as a whole — which the producer splits into batches of batch.size again, forever. So
     * batch.size must not exceed the smallest limit: lowered to it when not set, refused when set higher.
     */
    private static void fitBatchesToTheLimits(Properties props, SizeLimits limits) {
        int batchSize = ProducerSettings.intValue(props, ProducerConfig.BATCH_SIZE_CONFIG);
        int smallest = limits.smallest();
        if (batchSize <= smallest) {
            return;
        }
        if (props.containsKey(ProducerConfig.BATCH_SIZE_CONFIG)
                || props.containsKey(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG))) {
            throw new IllegalArgumentException("the producer's batch.size=" + batchSize + " is over the smallest record"
                    + " limit (" + smallest + " bytes: " + limits + "); the broker would refuse whole batches: lower"
                    + " batch.size (producer.batch.size) to at most " + smallest);
        }
        props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), Integer.toString(smallest));
        log.info("producer batch.size lowered to {} bytes, the smallest record limit", smallest);
    }

    /** Waits a stream thread may do must end well inside its transaction: a quarter of transaction.timeout.ms. */
    private void checkWaitsFitTheTransaction(Duration budget) {
        Duration maxWait = config.inferenceSettings().maxWait();
        if (maxWait.compareTo(budget) > 0) {
            throw new IllegalArgumentException(BertstreamConfig.INFERENCE_QUEUE_MAX_WAIT_MS + "=" + maxWait.toMillis()
                    + " is over a quarter of the producer's transaction.timeout.ms (" + budget.toMillis()
                    + " ms): lower it, or raise producer.transaction.timeout.ms");
        }
    }

    /**
     * The decoder stream threads use: one registry request, bounded well inside the transaction; retrying a
     * failing registry is the fault probe's job, with processing paused meanwhile.
     */
    private io.bertstream.serde.TextDecoder streamDecoder(Duration budget) {
        String configured = config.get(RegistryClient.REQUEST_TIMEOUT_MS_CONFIG);
        long timeout = Math.max(100, Math.min(configured == null ? 10_000 : Long.parseLong(configured.trim()), budget.toMillis()));
        return config.with(Map.of(RegistryClient.MAX_ATTEMPTS_CONFIG, "1",
                RegistryClient.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeout))).decoder();
    }

    private static Properties adminProperties(Properties streamsProps) {
        var admin = new Properties();
        streamsProps.forEach((key, value) -> {
            String name = String.valueOf(key);
            if (AdminClientConfig.configNames().contains(name) && value instanceof String) {
                admin.put(name, value);
            } else if (name.startsWith(StreamsConfig.ADMIN_CLIENT_PREFIX) && value instanceof String) {
                admin.put(name.substring(StreamsConfig.ADMIN_CLIENT_PREFIX.length()), value);
            }
        });
        return admin;
    }

    /** Registry output: registers the schema now, retrying with backoff until the deadline; then it is cached. */
    private void registerOutputSchema(Serializer<EmbeddingRecord> serializer, List<EmbedOutcome.Embedded> warmUp) {
        long deadline = System.nanoTime() + supervision.registerTimeout().toNanos();
        Duration backoff = Faults.FIRST_BACKOFF;
        EmbeddingRecord sample = sample(warmUp, "schema-registration");
        while (true) {
            try {
                serializer.serialize(settings.outputTopic(), sample);
                log.info("output schema registered for {}", settings.outputTopic());
                return;
            } catch (RuntimeException e) {
                RegistryException cause = registryCause(e);
                if (cause == null || cause.refused()) {
                    throw new IllegalStateException("cannot register the output schema: " + Faults.describe(e), e);
                }
                if (System.nanoTime() + backoff.toNanos() > deadline) {
                    throw new IllegalStateException("cannot register the output schema within "
                            + supervision.registerTimeout().toSeconds() + " s (" + BertstreamConfig.OUTPUT_REGISTER_TIMEOUT_MS
                            + "): " + cause.getMessage(), e);
                }
                log.info("the schema registry failed ({}); trying again in {} ms", cause.getMessage(), backoff.toMillis());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(Faults.MAX_BACKOFF) > 0 ? Faults.MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering the output schema", e);
        }
    }

    private static RegistryException registryCause(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof RegistryException r) {
                return r;
            }
        }
        return null;
    }

    /**
     * An output record of an ordinary text with the longest id allowed must fit, or events would be dead-lettered for
     * their id's length (and a tombstone, never larger, always fits).
     */
    private void checkOutputFits(Serializer<EmbeddingRecord> serializer, SizeLimits limits,
                                 List<EmbedOutcome.Embedded> warmUp) {
        var source = new Lineage("t".repeat(249), 0, 0, 0);
        String id = "x".repeat(settings.maxIdBytes());
        byte[] value = serializer.serialize(settings.outputTopic(), sample(warmUp, id));
        var headers = DeadLetter.lineageHeaders(source);
        byte[] key = id.getBytes(StandardCharsets.UTF_8);
        if (!limits.fits(SizeLimits.Kind.OUTPUT, key, value, headers)) {
            throw new IllegalArgumentException("the output record of a short text with an id of "
                    + BertstreamConfig.INPUT_MAX_ID_BYTES + "=" + settings.maxIdBytes() + " bytes takes "
                    + limits.recordBytes(key, value, headers) + " bytes, over " + limits.describe(SizeLimits.Kind.OUTPUT)
                    + ": events would be dead-lettered; raise it, or lower " + BertstreamConfig.INPUT_MAX_ID_BYTES);
        }
    }

    private EmbeddingRecord sample(List<EmbedOutcome.Embedded> warmUp, String id) {
        int longest = SharedModel.WARM_UP_TEXTS.size() - 1;
        var text = new io.bertstream.serde.DecodedText(id, SharedModel.WARM_UP_TEXTS.get(longest), Map.of(), null);
        return EmbeddingRecords.of(id, text, new Lineage("t", 0, 0, 0), warmUp.get(longest).vectors().get(0),
                model.embedder().info(), settings.includeText(), Instant.EPOCH);
    }

    /** Restores are where a restart spends its time: say when each starts and ends. */
    private static final class RestoreLog implements org.apache.kafka.streams.processor.StateRestoreListener {
        @Override
        public void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
            if (endingOffset > startingOffset) {
                log.info("restoring {} from {} (offsets {} to {})", store, partition, startingOffset, endingOffset);
            }
        }

        @Override
        public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long restored) {
        }

        @Override
        public void onRestoreEnd(TopicPartition partition, String store, long restored) {
            if (restored > 0) {
                log.info("restored {} from {}: {} records", store, partition, restored);
            }
        }
    }

    public OpsServer.Health health() {
        if (startPhase != null) {
            return new OpsServer.Health(false, startPhase);
        }
        Optional<String> fatal = supervisor.fatal();
        if (fatal.isPresent()) {
            return new OpsServer.Health(false, "stopped: " + fatal.get());
        }
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING && state != KafkaStreams.State.REBALANCING) {
            return new OpsServer.Health(false, "streams " + state);
        }
        long now = System.currentTimeMillis();
        long rebalancing = rebalancingMillis();
        if (rebalancing > supervision.maxRebalance().toMillis()) {
            return new OpsServer.Health(false, "rebalancing for " + rebalancing / 1000 + " s ("
                    + BertstreamConfig.HEALTH_MAX_REBALANCE_MS + "=" + supervision.maxRebalance().toMillis() + ")");
        }
        Optional<String> failure = supervisor.recentFailure(now);
        if (failure.isPresent()) {
            return new OpsServer.Health(false, failure.get());
        }
        Optional<Faults.Fault> fault = faults.current();
        if (fault.isPresent()) {
            Faults.Fault f = fault.get();
            return new OpsServer.Health(false, "paused: " + f.kind().label + " failing since " + f.since() + " ("
                    + f.cause() + "); " + f.probes() + " probes so far, next in " + f.nextProbeIn().toMillis() + " ms");
        }
        List<String> stalled = stalledTasks();
        if (!stalled.isEmpty()) {
            return new OpsServer.Health(false, "stalled: " + String.join("; ", stalled) + " ("
                    + BertstreamConfig.HEALTH_MAX_STALL_MS + "=" + supervision.maxStall().toMillis() + ")");
        }
        return new OpsServer.Health(true, "streams " + state);
    }

    private long rebalancingMillis() {
        long since = rebalancingSince;
        return since < 0 ? 0 : System.currentTimeMillis() - since;
    }

    private List<String> stalledTasks() {
        KafkaStreams running = streams;
        if (running == null || supervision.maxStall().isZero()) {
            return List.of();
        }
        Map<TopicPartition, Long> lags = new HashMap<>();
        for (Map.Entry<MetricName, ? extends Metric> entry : running.metrics().entrySet()) {
            MetricName name = entry.getKey();
            if (name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
                    && name.tags().containsKey("topic") && name.tags().containsKey("partition")) {
                Object value = entry.getValue().metricValue();
                if (value instanceof Number n && !Double.isNaN(n.doubleValue())) {
                    lags.merge(new TopicPartition(name.tags().get("topic"), Integer.parseInt(name.tags().get("partition"))),
                            n.longValue(), Math::max);
                }
            }
        }
        return progress.stalled(System.currentTimeMillis(), supervision.maxStall(), tp -> lags.getOrDefault(tp, 0L));
    }

    /** Why the app stopped on its own (stream threads failing past the bound), if it did. */
    public Optional<String> failure() {
        return supervisor.fatal();
    }

    /** The port /metrics and /health listen on, or -1 when they are off. */
    public int metricsPort() {
        return ops == null ? -1 : ops.port();
    }

    /** Where /metrics and /health are (http://host:port), or null when they are off. */
    public String metricsUrl() {
        return ops == null ? null : ops.url();
    }

    /** The address /metrics and /health listen on, or null when they are off. */
    public java.net.InetAddress metricsAddress() {
        return ops == null ? null : ops.address();
    }

    /** Null before {@link #start()}. */
    public KafkaStreams streams() {
        return streams;
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Blocks until the JVM is asked to stop (SIGTERM, Ctrl-C), the app stops on its own ({@link #failure()}), or this
     * thread is interrupted. A stop request waits (up to a minute) for the caller's {@link #close()}, so the last
     * micro-batch is committed before the JVM exits.
     */
    public void awaitStop() {
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bertstream-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running and waits for close()
            }
        }
    }

    /**
     * Commits what is done and stops, in order: the stream threads (pending events stay in the changelog for the
     * next start), then the inference worker, and only then may the caller close the model. Should a stream
     * thread or the worker not stop in time, the model is told to stay open: freeing its native memory under a
     * running forward pass would crash the JVM.
     */
    @Override
    public void close() {
        boolean threadsStopped = true;
        KafkaStreams running = streams;
        if (running != null) {
            threadsStopped = running.close(CLOSE_TIMEOUT);
            if (!threadsStopped) {
                log.warn("stream threads did not stop within {} s; waiting {} s more", CLOSE_TIMEOUT.toSeconds(),
                        CLOSE_TIMEOUT.toSeconds());
                threadsStopped = running.close(CLOSE_TIMEOUT);
            }
        }
        faults.close();
        boolean workerStopped = queue.close(CLOSE_TIMEOUT);
        if (!threadsStopped) {
            model.keepOpen("stream threads were still running after " + 2 * CLOSE_TIMEOUT.toSeconds() + " s");
        } else if (!workerStopped) {
            model.keepOpen("the inference worker was still in a forward pass after " + CLOSE_TIMEOUT.toSeconds() + " s");
        }
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        if (ops != null) {
            ops.close();
        }
        registry.close();
        if (ownsModel) {
            model.close();
        }
        closed.countDown();
    }
}
