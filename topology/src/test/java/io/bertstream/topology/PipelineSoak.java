package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak: a million events (-Dsoak.events=N to change) through the whole app on the real broker and model,
 * sampling every 10 s the throughput since the last sample, heap after GC, the process RSS and the JVM's native
 * memory (Native Memory Tracking, committed; the soak profile turns it on). Not part of CI:
 * {@code mvn -B -o -pl topology -am -Psoak test -Dtest=PipelineSoak -Dsurefire.failIfNoSpecifiedTests=false}.
 * Writes target/soak-report.md (a table and a summary).
 */
class PipelineSoak {

    private static final String[] WORDS = ("stream kafka vector embedding model batch token layer pooling record "
            + "offset partition commit transaction search index query document sentence language").split(" ");

    @TempDir
    Path stateDir;

    record Sample(long seconds, long emitted, long heapMiB, long rssMiB, long nativeMiB) {
    }

    @Test
    void aMillionEventsWithFlatHeapAndNativeMemory() throws Exception {
        int n = Integer.getInteger("soak.events", 1_000_000);
        String input = unique("soak-in");
        String output = unique("soak-out");
        String dlq = unique("soak-dlq");
        broker().createTopics(4, input, output, dlq);
        var settings = new java.util.HashMap<>(config(unique("soak"), input, output, dlq, stateDir));
        settings.put(BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "64");
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "50");
        settings.put(BertstreamConfig.THREADS, "0");
        var emitted = new AtomicLong();
        var seen = new BitSet(n);
        var samples = new ArrayList<Sample>();
        long started = System.nanoTime();
        try (var app = new BertstreamApp(BertstreamConfig.of(settings, Map.of()), TestModel.shared()).start();
             var producer = producer(1 << 20);
             var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker().bootstrapServers(),
                     ConsumerConfig.GROUP_ID_CONFIG, unique("soak-reader"),
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                     new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(output));
            var random = new Random(42);
            int sent = 0;
            long nextSample = 0;
            int duplicates = 0;
            while (emitted.get() < n) {
                // Keep a bounded backlog ahead of the processor, as a steady live source would.
                while (sent < n && sent - emitted.get() < 5_000) {
                    String text = sentence(random);
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(input,
                            ("e" + sent).getBytes(StandardCharsets.UTF_8),
                            json(Integer.toString(sent), text).getBytes(StandardCharsets.UTF_8)));
                    sent++;
                }
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    int id = Integer.parseInt(record.key());
                    if (seen.get(id)) {
                        duplicates++;
                    }
                    seen.set(id);
                    emitted.incrementAndGet();
                }
                long seconds = (System.nanoTime() - started) / 1_000_000_000L;
                if (seconds >= nextSample) {
                    samples.add(sample(seconds, emitted.get()));
                    nextSample = seconds + 10;
                }
                assertTrue(seconds < 6 * 3600, "soak did not finish in 6 hours");
            }
            samples.add(sample((System.nanoTime() - started) / 1_000_000_000L, emitted.get()));
            assertEquals(0, duplicates, "no event embedded twice");
            assertEquals(n, seen.cardinality(), "every event embedded");
        }
        report(n, samples, (System.nanoTime() - started) / 1e9);
        // Flat: the last quarter of the run uses no more than 25% more than the second quarter.
        var steady = samples.subList(samples.size() / 4, samples.size() / 2);
        var late = samples.subList(3 * samples.size() / 4, samples.size());
        assertTrue(max(late, Sample::heapMiB) <= 1.25 * max(steady, Sample::heapMiB) + 16, "heap flat");
        assertTrue(max(late, Sample::rssMiB) <= 1.25 * max(steady, Sample::rssMiB) + 64, "RSS flat");
        assertTrue(max(late, Sample::nativeMiB) <= 1.25 * max(steady, Sample::nativeMiB) + 64, "native memory flat");
    }

    private static String sentence(Random random) {
        int words = 4 + random.nextInt(random.nextInt(10) == 0 ? 120 : 30);
        var text = new StringBuilder();
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }

    private static long max(List<Sample> samples, java.util.function.ToLongFunction<Sample> value) {
        return samples.stream().mapToLong(value).max().orElse(0);
    }

    private static Sample sample(long seconds, long emitted) throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
        long rssKiB = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0);
        var sample = new Sample(seconds, emitted, heap, rssKiB >> 10, nativeCommittedMiB());
        System.out.printf("soak t=%ds out=%d heap=%d MiB rss=%d MiB native=%d MiB%n", seconds, emitted, heap,
                sample.rssMiB(), sample.nativeMiB());
        return sample;
    }

    /** The JVM's committed memory as Native Memory Tracking counts it (heap included); -1 when NMT is off. */
    private static long nativeCommittedMiB() {
        try {
            String summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
            var total = java.util.regex.Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB").matcher(summary);
            return total.find() ? Long.parseLong(total.group(2)) >> 10 : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    private static void report(int n, List<Sample> samples, double seconds) throws IOException {
        var md = new StringBuilder("# Soak: " + n + " events in " + Math.round(seconds) + " s ("
                + Math.round(n / seconds) + " events/s end to end)\n\n"
                + "Heap after a full GC; RSS of the process (broker, model and processor in one JVM); native: committed"
                + " memory as Native Memory Tracking counts it (heap included, ONNX Runtime's own allocations not).\n\n"
                + "| t (s) | records out | events/s since last | heap after GC (MiB) | RSS (MiB) | NMT committed (MiB) |\n"
                + "|---|---|---|---|---|---|\n");
        Sample previous = null;
        for (Sample s : samples) {
            double rate = previous == null || s.seconds() == previous.seconds() ? 0
                    : (double) (s.emitted() - previous.emitted()) / (s.seconds() - previous.seconds());
            md.append("| ").append(s.seconds()).append(" | ").append(s.emitted()).append(" | ")
                    .append(Math.round(rate)).append(" | ").append(s.heapMiB()).append(" | ").append(s.rssMiB())
                    .append(" | ").append(s.nativeMiB()).append(" |\n");
            previous = s;
        }
        Files.writeString(Path.of("target", "soak-report.md"), md.toString());
    }
}
