package io.bertstream.cli;

import io.bertstream.kafka.EmbeddedKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.*;
import java.util.*;

/**
 * {@code run}'s resident memory at a steady load, for the README's memory figures (a measurement, not a test):
 * <pre>
 * java -cp demo/target/bertstream-demo.jar cli/src/test/java/io/bertstream/cli/RunRss.java \
 *     cli/target/bertstream.jar SECONDS TEXTS_PER_SECOND [JVM options of the measured run...]
 * </pre>
 * Starts a broker (the demo jar's), then {@code java [JVM options] -jar JAR run} with the default settings, produces
 * TEXTS_PER_SECOND texts of 5-65 words every second and samples the child's VmRSS each second; prints the peak, the
 * second half's mean and peak, and the WARN/ERROR lines of the run's log. MODEL=NAME sets bertstream.model;
 * NMT=1 prints the child's native memory summary at the end (give it -XX:NativeMemoryTracking=summary).
 */
public class RunRss {
    public static void main(String[] a) throws Exception {
        String jar = a[0];
        int seconds = Integer.parseInt(a[1]);
        int rate = Integer.parseInt(a[2]);
        List<String> jvm = Arrays.asList(a).subList(3, a.length);
        Path dir = Files.createTempDirectory("runrss");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(3, "texts", "embeddings");
            kafka.createTopics(1, "dead-letters");
            Path config = Files.writeString(dir.resolve("run.properties"), String.join("\n",
                    "application.id=rss", "bootstrap.servers=" + kafka.bootstrapServers(),
                    "state.dir=" + dir.resolve("state"), "bertstream.input.topics=texts",
                    "bertstream.output.topic=embeddings", "bertstream.dlq.topic=dead-letters",
                    "bertstream.metrics.port=0",
                    System.getenv("MODEL") == null ? "" : "bertstream.model=" + System.getenv("MODEL"), ""));
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(jvm);
            cmd.addAll(List.of("-jar", jar, "run", "--config", config.toString()));
            Path log = dir.resolve("run.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long pid = p.pid();
            Random r = new Random(1);
            String[] words = "the a quick brown fox jumps over lazy dog stream kafka model vector embedding text token layer pooling batch pass engine memory heap native".split(" ");
            try (var producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                long start = System.nanoTime();
                long maxRss = 0; List<Long> samples = new ArrayList<>();
                int sent = 0;
                for (int s = 0; s < seconds; s++) {
                    for (int i = 0; i < rate; i++) {
                        StringBuilder t = new StringBuilder();
                        int n = 5 + r.nextInt(60);
                        for (int w = 0; w < n; w++) t.append(words[r.nextInt(words.length)]).append(' ');
                        producer.send(new ProducerRecord<>("texts", "id-" + sent, "{\"text\": \"" + t + sent + "\"}"));
                        sent++;
                    }
                    producer.flush();
                    long next = start + (s + 1) * 1_000_000_000L;
                    while (System.nanoTime() < next) Thread.sleep(10);
                    long rss = rss(pid);
                    samples.add(rss);
                    maxRss = Math.max(maxRss, rss);
                    if (s % 10 == 9) System.out.printf("t=%ds sent=%d rss=%d MB max=%d MB%n", s + 1, sent, rss / 1024, maxRss / 1024);
                }
                List<Long> last = samples.subList(samples.size() / 2, samples.size());
                System.out.printf("RESULT peak=%d MB, second-half mean=%d MB, second-half max=%d MB, sent=%d%n", maxRss / 1024,
                        last.stream().mapToLong(x -> x).sum() / last.size() / 1024, last.stream().mapToLong(x -> x).max().getAsLong() / 1024, sent);
                if (System.getenv("NMT") != null) {
                    Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), "" + pid, "VM.native_memory", "summary").inheritIO().start();
                    j.waitFor();
                }
            } finally {
                p.destroy();
                p.waitFor();
                String out = Files.readString(log);
                long noisy = out.lines().filter(l -> l.contains("WARN") || l.contains("ERROR")).count();
                System.out.println("run log: " + out.lines().count() + " lines, WARN/ERROR lines: " + noisy);
                out.lines().filter(l -> l.contains("WARN") || l.contains("ERROR")).limit(10).forEach(System.out::println);
                out.lines().filter(l -> l.contains("embedded") || l.contains("records")).limit(3).forEach(System.out::println);
            }
        }
    }

    static long rss(long pid) throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }
}
