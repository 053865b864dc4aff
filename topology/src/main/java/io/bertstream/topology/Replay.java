package io.bertstream.topology;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Re-embeds input topics from the beginning or from a timestamp — after a model change, into a versioned output
 * topic beside the live one (blue/green) — without disturbing the live application: the replay runs under its own
 * application id ({@code <app>-replay-<epoch ms>}), so it has its own consumer group, state stores, changelogs and
 * transactional ids, and its own dead-letter topic ({@code <replay app id>-dlq}), so the live dead-letter topic never
 * sees old bad records a second time. It refuses the live output topic, where old and new vectors would race on the
 * same keys, unless told otherwise. Its group's offsets are set with {@link Admin#alterConsumerGroupOffsets} before it
 * starts; it has caught up once its committed offsets reach the end offsets seen at its start and then no event
 * from before them is pending or in flight.
 */
public final class Replay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Replay.class);
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    /**
     * What the command line asks for.
     *
     * @param applicationId   the replay's application id; null: {@code <live application.id>-replay-<epoch ms>}
     * @param outputTopic     where the replay's records go; null: the live output topic (then {@code allowLiveOutput}
     *                        must be true)
     * @param deadLetterTopic where the replay's dead letters go; null: {@code <replay application.id>-dlq}
     * @param allowLiveOutput write into the live output topic, over the live vectors (in place, not blue/green)
     */
    public record Request(String applicationId, String outputTopic, String deadLetterTopic, boolean allowLiveOutput) {
    }

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

    /** The replay's own dead-letter topic, under its application id's prefix. */
    public static String deadLetterTopic(String replayApplicationId) {
        return replayApplicationId + "-dlq";
    }

    /**
     * The replay's configuration: the live one with the replay's application id, output and dead-letter topics.
     * Nothing is contacted yet.
     *
     * @throws IllegalArgumentException when the replay would share the live application's id, write into the live
     *                                  output topic without {@link Request#allowLiveOutput}, or write its dead letters
     *                                  into the live dead-letter topic without being told to
     */
    public static BertstreamConfig configure(BertstreamConfig live, Request request, Instant now) {
        String liveId = live.require(StreamsConfig.APPLICATION_ID_CONFIG);
        String liveOutput = live.require(BertstreamConfig.OUTPUT_TOPIC);
        String liveDeadLetters = live.require(BertstreamConfig.DLQ_TOPIC);
        String id = request.applicationId() != null ? request.applicationId() : applicationId(liveId, now);
        if (id.equals(liveId)) {
            throw new IllegalArgumentException("the replay's application id " + id + " is the live application's: it would"
                    + " take over the live offsets and state; give another --app-id");
        }
        String output = request.outputTopic() != null ? request.outputTopic() : liveOutput;
        if (output.equals(liveOutput) && !request.allowLiveOutput()) {
            throw new IllegalArgumentException("the replay would write into the live output topic " + liveOutput
                    + ", where old and new vectors race on the same keys: give a versioned output topic (--output "
                    + liveOutput + "-v2), or --allow-live-output to overwrite the live vectors in place");
        }
        String deadLetters = request.deadLetterTopic() != null ? request.deadLetterTopic() : deadLetterTopic(id);
        if (deadLetters.equals(liveDeadLetters) && request.deadLetterTopic() == null) {
            throw new IllegalArgumentException("the replay's dead-letter topic " + deadLetters + " would be the live one:"
                    + " give another --app-id, or --dead-letter-topic");
        }
        if (deadLetters.equals(output)) {
            throw new IllegalArgumentException("the replay's output and dead-letter topics are both " + output);
        }
        return live.with(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, id, BertstreamConfig.OUTPUT_TOPIC, output,
                BertstreamConfig.DLQ_TOPIC, deadLetters));
    }

    /**
     * Creates the replay's output and dead-letter topics where they are missing — like the live ones: partitions,
     * replication factor and the settings set on them — and positions the replay's group: at the earliest offsets,
     * or at {@code offsetsForTimes(from)}.
     *
     * @param replayConfig from {@link #configure}
     * @param live         the live application's configuration, whose topics the new ones are made like
     * @param from         null: from the beginning
     */
    public static Replay prepare(BertstreamConfig replayConfig, BertstreamConfig live, Instant from) {
        var adminProps = new Properties();
        replayConfig.kafkaProperties().forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains((String) key)) {
                adminProps.put(key, value);
            }
        });
        Admin admin = Admin.create(adminProps);
        try {
            ensureTopic(admin, replayConfig.require(BertstreamConfig.OUTPUT_TOPIC), live.require(BertstreamConfig.OUTPUT_TOPIC));
            ensureTopic(admin, replayConfig.require(BertstreamConfig.DLQ_TOPIC), live.require(BertstreamConfig.DLQ_TOPIC));
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

    /** Creates {@code topic} like {@code like} when it does not exist; {@code like} itself is never touched. */
    private static void ensureTopic(Admin admin, String topic, String like) throws ExecutionException, InterruptedException {
        if (topic.equals(like) || describe(admin, topic).isPresent()) {
            return;
        }
        Optional<TopicDescription> model = describe(admin, like);
        NewTopic created;
        if (model.isPresent()) {
            TopicDescription description = model.get();
            var resource = new ConfigResource(ConfigResource.Type.TOPIC, like);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            Map<String, String> set = config.entries().stream()
                    .filter(entry -> entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                    .collect(Collectors.toMap(ConfigEntry::name, ConfigEntry::value));
            created = new NewTopic(topic, description.partitions().size(),
                    (short) description.partitions().get(0).replicas().size()).configs(set);
        } else {
            created = new NewTopic(topic, Optional.empty(), Optional.empty());
        }
        try {
            admin.createTopics(List.of(created)).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                throw new IllegalStateException("cannot create the replay's topic " + topic + " (" + e.getCause().getMessage()
                        + "): create it yourself, like " + like, e.getCause());
            }
        }
        log.info("created topic {} like {}: {} partitions, {}", topic, like,
                created.numPartitions() < 0 ? "the broker's default" : created.numPartitions(),
                created.configs() == null || created.configs().isEmpty() ? "the broker's default settings" : created.configs());
    }

    private static Optional<TopicDescription> describe(Admin admin, String topic) throws ExecutionException, InterruptedException {
        try {
            return Optional.of(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
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

    /**
     * True once every record before the end offsets seen at the start has its outcome forwarded (emitted or
     * dead-lettered). The committed offsets are read first: once they reach the end, every record before it has been
     * read, and is either forwarded or pending in its task's changelogged store, where an event stays until its
     * outcome is forwarded — in an open micro-batch, in the inference queue or in flight. Only then are the pending
     * stores asked whether they still hold an event from before the end. Asked the other way round, the last records
     * could be read between the two questions and be left pending under a one-off application id. Events from after
     * the end (the input keeps growing) do not count, so a busy input topic does not keep a replay from finishing.
     * The caller then closes the app, which commits the last outputs.
     */
    public boolean caughtUp(BertstreamApp app) throws ExecutionException, InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata().get();
        boolean read = end.entrySet().stream().allMatch(e -> e.getValue() <= start.get(e.getKey())
                || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
        return read && nothingPendingBeforeTheEnd(app);
    }

    /**
     * The app runs (every task is here and restored: the replay is one process) and no task's pending store holds an
     * event from before the end offsets.
     */
    private boolean nothingPendingBeforeTheEnd(BertstreamApp app) {
        KafkaStreams streams = app.streams();
        if (streams == null || streams.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        try (var pending = streams.store(StoreQueryParameters.fromNameAndType(MicroBatchProcessor.PENDING_STORE,
                QueryableStoreTypes.<Long, byte[]>keyValueStore())).all()) {
            while (pending.hasNext()) {
                byte[] value = pending.next().value;
                if (value == null) {
                    continue; // the in-memory store's iterator reads values live: deleted since, so forwarded
                }
                Lineage source = StateFormat.readPending(value).source();
                Long endOffset = end.get(new TopicPartition(source.topic(), source.partition()));
                if (endOffset != null && source.offset() < endOffset) {
                    return false;
                }
            }
            return true;
        } catch (InvalidStateStoreException e) {
            return false; // a task is restoring or migrating: ask again
        }
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
        admin.close(ADMIN_TIMEOUT);
    }
}
