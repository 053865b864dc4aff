package io.bertstream.topology;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One running bertstream processor: the shared model, the Kafka Streams instance, its metrics and the
 * /metrics + /health endpoints. Health is UP only once the model is warm and Streams is running.
 */
public final class BertstreamApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BertstreamApp.class);

    private final BertstreamConfig config;
    private final SharedModel model;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PipelineMetrics metrics = new PipelineMetrics(registry);
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean warm;
    private OpsServer ops;

    public BertstreamApp(BertstreamConfig config, SharedModel model) {
        this.config = config;
        this.model = model;
        var topology = EmbeddingTopology.build(config.topologySettings(), model.embedder(), config.decoder(),
                config.serializer(), metrics);
        streams = new KafkaStreams(topology, streamsProperties(config));
        // A failure outside the processor's own handling (e.g. the engine running out of memory) restarts the
        // thread; exactly-once means it resumes from the last commit.
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        metrics.modelInfo(model.embedder().info());
        if (model.engineStats() != null) {
            metrics.engine(model::engineStats);
        }
    }

    static Properties streamsProperties(BertstreamConfig config) {
        Properties props = config.kafkaProperties();
        props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterHandlers.Deserialization.class.getName());
        props.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterHandlers.Production.class.getName());
        // The handlers read the dead-letter topic from the Streams config they are given.
        props.put(BertstreamConfig.DLQ_TOPIC, config.require(BertstreamConfig.DLQ_TOPIC));
        return props;
    }

    /** Opens the metrics port (if bertstream.metrics.port >= 0, on bertstream.metrics.bind), warms the model up, starts Streams. */
    public BertstreamApp start() {
        int port = config.getInt(BertstreamConfig.METRICS_PORT);
        if (port >= 0) {
            ops = OpsServer.start(config.require(BertstreamConfig.METRICS_BIND), port, registry, this::health);
        }
        log.info("starting bertstream with\n{}", config.describe());
        model.warmUp();
        warm = true;
        streams.start();
        return this;
    }

    public OpsServer.Health health() {
        if (!warm) {
            return new OpsServer.Health(false, "model warming up");
        }
        KafkaStreams.State state = streams.state();
        boolean up = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        return new OpsServer.Health(up, "streams " + state);
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
     * Blocks until the JVM is asked to stop (SIGTERM, Ctrl-C) or this thread is interrupted. A stop request waits
     * (up to a minute) for the caller's {@link #close()}, so the last batch is committed before the JVM exits.
     */
    public void awaitStop() {
        var stopRequested = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested.countDown();
            try {
                closed.await(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bertstream-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stopRequested.await();
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

    /** Commits what is done and stops; pending batches stay in the changelog for the next start. */
    @Override
    public void close() {
        streams.close(Duration.ofSeconds(30));
        streamsMetrics.close();
        if (ops != null) {
            ops.close();
        }
        registry.close();
        closed.countDown();
    }
}
