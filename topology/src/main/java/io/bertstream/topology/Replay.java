package io.bertstream.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Re-embeds input topics from the beginning or from a timestamp, e.g. after a model change, without disturbing
 * the live application: the replay runs under its own application id ({@code <app>-replay-<timestamp>}), so it
 * has its own consumer group, state stores, changelogs and transactional ids. Its group's offsets are set with
 * {@link Admin#alterConsumerGroupOffsets} before it starts; it is caught up once it has committed past the end
 * offsets seen at its start and holds no open batch.
 */
public final class Replay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Replay.class);

    private final BertstreamConfig config;
    private final Admin admin;
    private final String applicationId;
    private final Map<TopicPartition, Long> start;
    private final Map<TopicPartition, Long> end;

    private Replay(BertstreamConfig config, Admin admin, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end) {
        this.config = config;
        this.admin = admin;
        this.applicationId = config.require(StreamsConfig.APPLICATION_ID_CONFIG);
        this.start = start;
        this.end = end;
    }

    /** The replay's own application id, derived from the live one. */
    public static String applicationId(String liveApplicationId, Instant now) {
        return liveApplicationId + "-replay-" + now.toEpochMilli();
    }

    /**
     * Positions a replay: {@code replayConfig} must already carry the replay's own application.id (and output
     * topic); {@code from} null means from the beginning.
     */
    public static Replay prepare(BertstreamConfig replayConfig, Instant from) {
        var adminProps = new Properties();
        replayConfig.kafkaProperties().forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains((String) key)) {
                adminProps.put(key, value);
            }
        });
        Admin admin = Admin.create(adminProps);
        try {
            List<TopicPartition> partitions = inputPartitions(admin, replayConfig.topologySettings());
            var startOffsets = offsets(admin, partitions, from == null ? OffsetSpec.earliest() : OffsetSpec.forTimestamp(from.toEpochMilli()));
            var endOffsets = offsets(admin, partitions, OffsetSpec.latest());
            // No record at or after the timestamp: start at the end, i.e. nothing to replay there.
            startOffsets.replaceAll((tp, offset) -> offset < 0 ? endOffsets.get(tp) : offset);
            String group = replayConfig.require(StreamsConfig.APPLICATION_ID_CONFIG);
            admin.alterConsumerGroupOffsets(group, startOffsets.entrySet().stream().collect(
                    Collectors.toMap(Map.Entry::getKey, e -> new OffsetAndMetadata(e.getValue())))).all().get();
            log.info("replay {} positioned: {} partitions, {} records to re-embed", group, partitions.size(),
                    endOffsets.entrySet().stream().mapToLong(e -> e.getValue() - startOffsets.get(e.getKey())).sum());
            return new Replay(replayConfig, admin, startOffsets, endOffsets);
        } catch (ExecutionException e) {
            admin.close();
            throw new IllegalStateException("cannot position the replay: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            admin.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while positioning the replay", e);
        } catch (RuntimeException e) {
            admin.close();
            throw e;
        }
    }

    public String applicationId() {
        return applicationId;
    }

    public BertstreamConfig config() {
        return config;
    }

    /** Records between the start and the end offsets seen when the replay was positioned. */
    public long recordsToReplay() {
        return end.entrySet().stream().mapToLong(e -> e.getValue() - start.get(e.getKey())).sum();
    }

    /** True once the replay's group has committed up to the end offsets and {@code app} holds no open batch. */
    public boolean caughtUp(BertstreamApp app) throws ExecutionException, InterruptedException {
        if (app.metrics().pending() > 0) {
            return false;
        }
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
        return end.entrySet().stream().allMatch(e -> e.getValue() <= start.get(e.getKey())
                || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
    }

    /**
     * Polls until caught up (then the caller closes the app, which commits the last outputs) or the timeout.
     *
     * @throws IllegalStateException when the app stopped on its own (stream threads failing past the bound)
     */
    public boolean awaitCaughtUp(BertstreamApp app, Duration timeout) throws ExecutionException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp(app)) {
            if (app.failure().isPresent()) {
                throw new IllegalStateException(app.failure().get());
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(250);
        }
        return true;
    }

    private static List<TopicPartition> inputPartitions(Admin admin, TopologySettings settings)
            throws ExecutionException, InterruptedException {
        List<String> topics = settings.inputPattern() == null ? settings.inputTopics()
                : admin.listTopics().names().get().stream().filter(t -> settings.inputPattern().matcher(t).matches()).sorted().toList();
        if (topics.isEmpty()) {
            throw new IllegalArgumentException("no input topic matches " + settings.inputPattern());
        }
        Map<String, TopicDescription> descriptions = admin.describeTopics(topics).allTopicNames().get();
        return descriptions.values().stream()
                .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                .toList();
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec)
            throws ExecutionException, InterruptedException {
        var result = admin.listOffsets(partitions.stream().collect(Collectors.toMap(Function.identity(), tp -> spec)))
                .all().get();
        var offsets = new HashMap<TopicPartition, Long>();
        result.forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    @Override
    public void close() {
        admin.close();
    }
}
