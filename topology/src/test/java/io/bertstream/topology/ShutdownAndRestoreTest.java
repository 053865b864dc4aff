package io.bertstream.topology;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processors in child JVMs, stopped the hard ways: SIGTERM while a micro-batch is in a forward pass (the orderly
 * shutdown commits what is done, waits for the pass, then closes the model — never under it), and SIGKILL while the
 * pending changelog is being restored. Afterwards a fresh processor finishes the work: every event exactly once.
 * The children embed with the {@link FakeEmbedder} test double, whose passes can be made as slow as needed.
 */
class ShutdownAndRestoreTest {

    @TempDir
    Path dir;

    private static String fake(String spec) {
        return "-D" + ProcessorChildMain.FAKE_EMBEDDER + "=" + spec;
    }

    private static void assertEachExactlyOnce(List<String> ids, List<ConsumerRecord<String, byte[]>> records) {
        Map<String, Long> counts = records.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
        for (String id : ids) {
            assertEquals(1L, counts.getOrDefault(id, 0L), id + " in the committed output");
        }
        assertEquals(ids.size(), records.size(), "nothing else, nothing twice");
    }

    @Test
    void sigtermInTheMiddleOfAForwardPassCommitsCleanlyAndClosesTheModelOnlyAfterIt() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(2, input, output, dlq);
        var config = new HashMap<>(config(unique("sigterm"), input, output, dlq, Files.createDirectory(dir.resolve("state"))));
        config.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        var ids = java.util.stream.IntStream.range(0, 40).mapToObj(i -> "e" + i).toList();
        // Warm-up (3 calls) at full speed, then 4 s a forward pass.
        try (var child = ChildProcessor.start(config, dir, "slow", List.of(fake("delay-ms=4000;undelayed-calls=3")))) {
            child.awaitHealthy(Duration.ofSeconds(60));
            try (var producer = producer(1 << 20)) {
                for (String id : ids) {
                    send(producer, input, id, json(id, "text of " + id).getBytes(StandardCharsets.UTF_8));
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (child.metric("bertstream_batch_pending") < ids.size() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            Thread.sleep(1000); // a forward pass is running now, and the pending entries have been committed
            assertTrue(child.metric("bertstream_batch_pending") > 0, "stopped in the middle of a micro-batch");
            int exit = child.terminate(Duration.ofSeconds(60));
            String log = child.log();
            assertTrue(exit == 0 || exit == 143, "exits by the signal, not by a crash: " + exit + "\n" + log);
            assertTrue(log.contains("child: model closed true, closed under a running call false"), log);
            assertFalse(log.contains("not closing the model"), "everything stopped in time: " + log);
        }
        try (var next = ChildProcessor.start(config, dir, "next", List.of(fake("")))) {
            var records = readCommitted(output, Duration.ofSeconds(120), r -> r.stream().map(ConsumerRecord::key)
                    .distinct().count() >= ids.size());
            assertEachExactlyOnce(ids, records);
        }
    }

    @Test
    void sigkillWhileThePendingChangelogIsRestoredLosesAndDoublesNothing() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(List.of(new NewTopic(input, 1, (short) 1).configs(Map.of("max.message.bytes", "200000")),
                new NewTopic(output, 1, (short) 1), new NewTopic(dlq, 1, (short) 1)));
        var config = new HashMap<>(config(unique("restore"), input, output, dlq, Files.createDirectory(dir.resolve("state"))));
        // The restore consumer fetches ~2 records at a time, so restoring ~50 MB takes long enough to be hit.
        config.put("restore.consumer.max.partition.fetch.bytes", "65536");
        config.put("restore.consumer.fetch.max.bytes", "65536");
        int n = 2000;
        var ids = java.util.stream.IntStream.range(0, n).mapToObj(i -> "e" + i).toList();
        String padding = "p".repeat(25_000);
        // A processor whose model never finishes: every event waits in the pending store, committed to its changelog.
        try (var stuck = ChildProcessor.start(config, dir, "stuck", List.of(fake("delay-ms=600000;undelayed-calls=3")))) {
            stuck.awaitHealthy(Duration.ofSeconds(60));
            try (var producer = producer(1 << 20)) {
                for (String id : ids) {
                    producer.send(new ProducerRecord<>(input, id.getBytes(StandardCharsets.UTF_8),
                            ("{\"id\":\"" + id + "\",\"text\":\"text of " + id + "\",\"padding\":\"" + padding + "\"}")
                                    .getBytes(StandardCharsets.UTF_8)));
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (stuck.metric("bertstream_batch_pending") < n && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(n, (int) stuck.metric("bertstream_batch_pending"), "all held pending");
            Thread.sleep(1000); // the last commit (every 100 ms) takes them into the changelog
            stuck.kill();
        }
        boolean killedMidRestore;
        try (var restoring = ChildProcessor.start(config, dir, "restoring", List.of(fake("")))) {
            killedMidRestore = killWhenRestoring(restoring);
            assertTrue(restoring.log().contains("restoring bertstream-pending"), restoring.log());
        }
        assertTrue(killedMidRestore, "killed while the restore was under way");
        try (var last = ChildProcessor.start(config, dir, "last", List.of(fake("")))) {
            var records = readCommitted(output, Duration.ofSeconds(180), r -> r.stream().map(ConsumerRecord::key)
                    .distinct().count() >= n);
            assertEachExactlyOnce(ids, records);
            assertTrue(last.log().contains("pending events restored from the changelog"), "the last one restored them");
        }
    }

    /** SIGKILLs the child as soon as its log says a pending-store restore started; true if it had not ended yet. */
    private static boolean killWhenRestoring(ChildProcessor child) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            String log = child.log();
            if (log.contains("restoring bertstream-pending")) {
                child.kill();
                return !child.log().contains("restored bertstream-pending");
            }
            Thread.sleep(2);
        }
        child.kill();
        return false;
    }
}
