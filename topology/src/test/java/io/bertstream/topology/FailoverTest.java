package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processors in child JVMs killed with SIGKILL while input keeps flowing: after restarts (or with a second
 * instance taking over) every input id is in the committed output exactly once.
 */
class FailoverTest {

    @TempDir
    Path dir;

    /**
     * Writes events at a steady pace on another thread, as a live source would, until {@code max} are written or
     * {@code stop} is set; completes with the number written.
     */
    private static CompletableFuture<Integer> produceSteadily(String topic, int max, Duration pause, AtomicBoolean stop) {
        return CompletableFuture.supplyAsync(() -> {
            int i = 0;
            try (var producer = producer(1 << 20)) {
                for (; i < max && !stop.get(); i++) {
                    String text = "event " + i + (i % 2 == 0 ? " on stream processing" : " about text embeddings and search");
                    send(producer, topic, "e" + i, json("e" + i, text).getBytes(StandardCharsets.UTF_8));
                    Thread.sleep(pause.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return i;
        });
    }

    private static void assertEachIdExactlyOnce(int n, List<ConsumerRecord<String, byte[]>> records) {
        Map<String, Long> counts = records.stream().collect(Collectors.groupingBy(ConsumerRecord::key, Collectors.counting()));
        for (int i = 0; i < n; i++) {
            assertEquals(1L, counts.getOrDefault("e" + i, 0L), "e" + i + " in the committed output");
        }
        assertEquals(n, records.size(), "nothing else, nothing twice");
    }

    /** How many tasks of this child found pending events in their changelogged store at start. */
    private static int restoredIn(ChildProcessor child) throws java.io.IOException {
        return (int) child.log().lines().filter(line -> line.contains("pending events restored from the changelog")).count();
    }

    private static boolean allIds(int n, List<ConsumerRecord<String, byte[]>> records) {
        return records.stream().map(ConsumerRecord::key).distinct().count() >= n;
    }

    @Test
    void killedMidBatchThreeTimesEveryEventComesOutExactlyOnce() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(2, input, output, dlq);
        // Long linger and large batches: the processor nearly always holds an open batch when it dies.
        var config = new java.util.HashMap<>(config(unique("crash"), input, output, dlq, Files.createDirectory(dir.resolve("state"))));
        config.put(BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "40");
        config.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "1500");
        var stop = new AtomicBoolean();
        var producing = produceSteadily(input, Integer.MAX_VALUE, Duration.ofMillis(80), stop);

        int killedMidBatch = 0;
        int restoredBatches = 0;
        for (int run = 0; run < 3; run++) {
            var child = ChildProcessor.start(config, dir, "run-" + run);
            Thread.sleep(1500);
            // Holding the batch a little before the kill lets a commit (every 100 ms) take it into the changelog.
            if (child.killMidBatch(Duration.ofSeconds(60), Duration.ofMillis(400))) {
                killedMidBatch++;
            }
            restoredBatches += restoredIn(child);
        }
        stop.set(true);
        int n = producing.get();
        List<ConsumerRecord<String, byte[]>> records;
        try (var last = ChildProcessor.start(config, dir, "final")) {
            records = readCommitted(output, Duration.ofSeconds(180), r -> allIds(n, r));
            restoredBatches += restoredIn(last);
        }
        assertEquals(3, killedMidBatch, "each kill hit a processor holding an open batch");
        assertTrue(restoredBatches > 0, "committed open batches came back from the changelog after a kill");
        assertTrue(n > 100, "input kept flowing through the kills: " + n);
        assertEachIdExactlyOnce(n, records);
    }

    @Test
    void whenOneOfTwoInstancesDiesTheOtherFinishesTheWork() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(4, input, output, dlq);
        String app = unique("scale");
        Function<String, Map<String, String>> instance = name -> {
            try {
                var settings = new java.util.HashMap<>(config(app, input, output, dlq, Files.createDirectory(dir.resolve(name))));
                settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "1000");
                return settings;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try (var a = ChildProcessor.start(instance.apply("a"), dir, "a");
             var b = ChildProcessor.start(instance.apply("b"), dir, "b")) {
            a.awaitHealthy(Duration.ofSeconds(60));
            b.awaitHealthy(Duration.ofSeconds(60));
            int n = 300;
            var producing = produceSteadily(input, n, Duration.ofMillis(100), new AtomicBoolean());
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while ((a.metric("bertstream_records_out_total") == 0 || b.metric("bertstream_records_out_total") == 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertTrue(a.metric("bertstream_records_out_total") > 0 && b.metric("bertstream_records_out_total") > 0,
                    "both instances share the partitions");
            a.killMidBatch(Duration.ofSeconds(10), Duration.ZERO);
            double bBefore = b.metric("bertstream_records_out_total");
            producing.get();
            var records = readCommitted(output, Duration.ofSeconds(180), r -> allIds(n, r));
            assertTrue(b.metric("bertstream_records_out_total") > bBefore, "the survivor kept working");
            assertEachIdExactlyOnce(n, records);
        }
    }
}
