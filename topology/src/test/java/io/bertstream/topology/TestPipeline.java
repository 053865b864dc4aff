package io.bertstream.topology;

import io.bertstream.extract.TextEmbedder;
import io.bertstream.serde.OutputFormat;
import io.bertstream.serde.TextDecoder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The processor's topology on Kafka Streams' {@link TopologyTestDriver}, with a real {@link InferenceQueue} (its
 * worker thread runs the embedder) and a {@link Faults} monitor whose pause is a flag. {@link #await} advances
 * the driver's wall clock in punctuation steps until the queue's outcomes have been collected.
 */
final class TestPipeline implements AutoCloseable {

    final PipelineMetrics metrics = new PipelineMetrics(new SimpleMeterRegistry());
    final AtomicBoolean paused = new AtomicBoolean();
    final Faults faults;
    final InferenceQueue queue;
    final TopologyTestDriver driver;

    TestPipeline(TopologySettings settings, TextEmbedder embedder, SegmentShape shape, SizeLimits limits,
                 InferenceQueue.Settings queueSettings, Path stateDir) {
        this(settings, embedder, shape, limits, queueSettings, stateDir, TextDecoder.json("/text", "/id"));
    }

    TestPipeline(TopologySettings settings, TextEmbedder embedder, SegmentShape shape, SizeLimits limits,
                 InferenceQueue.Settings queueSettings, Path stateDir, TextDecoder decoder) {
        faults = new Faults(new Faults.Pausable() {
            @Override
            public void pause() {
                paused.set(true);
            }

            @Override
            public void resume() {
                paused.set(false);
            }
        }, metrics, Duration.ofMillis(50), Duration.ofMillis(400));
        queue = new InferenceQueue(embedder, queueSettings, faults, metrics).start();
        var pipeline = new Pipeline(settings, embedder, shape, queue,
                new Backpressure(queue, queueSettings.maxWait(), Duration.ofMillis(2500), metrics), decoder,
                OutputFormat.SINGLE_OBJECT.serializer(Map.of()), limits, faults, new TaskProgress(), metrics);
        Topology topology = EmbeddingTopology.build(pipeline, 1 << 20);
        var props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ttd");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(topology, props, Instant.ofEpochMilli(1_000_000));
    }

    TestInputTopic<String, String> input(String topic) {
        return driver.createInputTopic(topic, Serdes.String().serializer(), Serdes.String().serializer());
    }

    TestInputTopic<byte[], byte[]> bytesInput(String topic) {
        return driver.createInputTopic(topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    }

    TestOutputTopic<byte[], byte[]> bytesOutput(String topic) {
        return driver.createOutputTopic(topic, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
    }

    /**
     * Lets the queue's worker finish and the punctuation collect, until {@code done} holds: the wall clock moves
     * one collection interval per step (10 ms, far below any linger a test relies on).
     */
    void await(BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not done within 60 s");
            }
            if (!paused.get()) {
                driver.advanceWallClockTime(MicroBatchProcessor.COLLECT_INTERVAL);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    long pending() {
        return driver.getKeyValueStore(MicroBatchProcessor.PENDING_STORE).approximateNumEntries();
    }

    @Override
    public void close() {
        driver.close();
        faults.close();
        queue.close();
    }
}
