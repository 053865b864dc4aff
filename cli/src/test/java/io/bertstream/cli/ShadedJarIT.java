package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.kafka.EmbeddedKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The product jar, cli/target/bertstream.jar, on its own, as `java -jar` runs it (after `package`, so under
 * failsafe): what it carries (the product, not the workshop), its manifest, the merged ServiceLoader files, the
 * native libraries (ONNX Runtime, tokenizers) and the model weights, and what an operator sees when it starts.
 */
class ShadedJarIT {

    private static final RunnableJar JAR = RunnableJar.fromSystemProperty("target/bertstream.jar");

    /** Issue 14, item 1: no benchmark, no demo, no langchain4j classes, no broker or controller, no Scala, no libtorch. */
    @Test
    void carriesTheProductAndNotTheWorkshop() throws Exception {
        JAR.assertCarriesTheProductOnly();
        List<String> entries = JAR.entries();
        assertTrue(entries.stream().noneMatch(e -> e.startsWith("pytorch/") || e.startsWith("ai/djl/pytorch/")),
                "the CPU distribution carries no libtorch and no DJL PyTorch engine");
        assertFalse(JAR.artifacts().contains("io.bertstream:bertstream-backend-pytorch"), JAR.artifacts().toString());
    }

    @Test
    void loadsItsNativeRuntimesAndTheBuiltInModelFromTheJarAlone() throws Exception {
        RunnableJar.Result r = JAR.run("inspect", "--model", "minilm", "--runtime", "--json");
        assertEquals(0, r.exitCode(), r.out());
        String json = r.out().substring(r.out().indexOf('{'));
        JsonNode report = new ObjectMapper().readTree(json);
        JsonNode runtime = report.get("runtime");
        assertEquals("[bertstream-backend-onnxruntime]", runtime.get("backends").asText(), "the CPU distribution's one backend");
        assertNull(runtime.get("pytorch"), "no libtorch in the CPU distribution: " + runtime);
        assertTrue(runtime.get("onnxruntime").asText().startsWith("1.22"), "ONNX Runtime from the jar: " + runtime);
        assertEquals("loaded", runtime.get("tokenizers").asText());
        assertEquals(6, report.get("model").get("layers").asInt(), "MiniLM weights from the jar");
        assertEquals(384, report.get("model").get("dims").asInt());
    }

    /**
     * What a CPU deployment sees: one text embedded with the built-in MiniLM in a 128 MB heap, no WARN or ERROR
     * line from anything, and libtorch never loaded (the JVM logs every native library it loads).
     */
    @Test
    void embedsWithASmallHeapQuietlyAndWithoutLoadingLibtorch(@TempDir Path dir) throws Exception {
        Path input = Files.writeString(dir.resolve("one.txt"), "The quick brown fox jumps over the lazy dog.\n");
        Path output = dir.resolve("out.jsonl");
        Path libraries = dir.resolve("libraries.log");
        RunnableJar.Result r = JAR.run(List.of("-Xmx128m", "-Xlog:library=info:file=" + libraries),
                "embed", input.toString(), "-o", output.toString());
        assertEquals(0, r.exitCode(), r.out());
        JsonNode record = new ObjectMapper().readTree(Files.readString(output));
        assertEquals(384, record.get("vector").size());
        assertEquals("onnxruntime-cpu", record.get("model").get("backend").asText());
        assertTrue(r.out().lines().noneMatch(line -> line.contains(" WARN ") || line.contains(" ERROR ")), r.out());
        String loaded = Files.readString(libraries);
        assertTrue(loaded.contains("onnxruntime"), "ONNX Runtime ran: " + loaded);
        assertFalse(loaded.contains("libtorch"), "libtorch was loaded:\n" + loaded);
    }

    /**
     * A clean `run` start on a CPU machine, the whole log, as an operator reads it: the product jar against a real
     * broker with the default settings and MiniLM, records embedded, then SIGTERM. Not one WARN or ERROR line, from
     * anything (bertstream, Kafka, Streams, Micrometer, DJL, the JVM), from start to stop.
     */
    @Test
    void aCleanRunStartAndStopPrintsNoWarningOrError(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            kafka.createTopics(3, "texts", "embeddings");
            kafka.createTopics(1, "dead-letters");
            Path config = Files.writeString(dir.resolve("run.properties"), String.join("\n",
                    "application.id=clean-start",
                    "bootstrap.servers=" + kafka.bootstrapServers(),
                    "state.dir=" + dir.resolve("state").toString().replace("\\", "/"),
                    "bertstream.input.topics=texts",
                    "bertstream.output.topic=embeddings",
                    "bertstream.dlq.topic=dead-letters",
                    "bertstream.metrics.port=0", ""));
            Path log = dir.resolve("run.log");
            Process run = JAR.start(List.of(), List.of("run", "--config", config.toString()), log);
            try {
                int texts = 64;
                try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                        new StringSerializer(), new StringSerializer())) {
                    for (int i = 0; i < texts; i++) {
                        producer.send(new ProducerRecord<>("texts", "id-" + i,
                                "{\"text\": \"sentence number " + i + " about nothing in particular\"}"));
                    }
                }
                assertEquals(texts, readCommitted(kafka.bootstrapServers(), "embeddings", texts, Duration.ofMinutes(3)),
                        "every text embedded:\n" + Files.readString(log));
            } finally {
                run.destroy(); // SIGTERM: the operator's stop
                assertTrue(run.waitFor(60, TimeUnit.SECONDS), "stopped on SIGTERM:\n" + Files.readString(log));
            }
            String output = Files.readString(log);
            // SIGTERM ends the JVM once the shutdown hooks are done: 143 (128 + 15) is its normal exit
            assertTrue(run.exitValue() == 0 || run.exitValue() == 143, "exit " + run.exitValue() + ":\n" + output);
            assertTrue(output.contains("stopping: committing the last batch"), output);
            assertTrue(output.contains("bertstream embedding texts -> embeddings"), output);
            List<String> noisy = output.lines().filter(line -> line.contains("WARN") || line.contains("ERROR")).toList();
            assertTrue(noisy.isEmpty(), noisy.size() + " WARN/ERROR lines in a clean run:\n" + output);
        }
    }

    @Test
    void mainClassAndExitCodesWorkFromTheJar() throws Exception {
        RunnableJar.Result help = JAR.run("--help");
        assertEquals(0, help.exitCode(), help.out());
        assertTrue(help.out().contains("demo"), help.out());
        assertEquals(2, JAR.run("no-such-command").exitCode());
    }

    /** The tools are listed with the artifact that runs them, and asking the product jar for one says where it is. */
    @Test
    void listsTheToolsAndSaysWhichJarRunsThem() throws Exception {
        RunnableJar.Result help = JAR.run("--help");
        assertTrue(help.out().lines().anyMatch(l -> l.strip().startsWith("demo ") && l.contains("bertstream-demo.jar")), help.out());
        assertTrue(help.out().lines().anyMatch(l -> l.strip().startsWith("bench ") && l.contains("bertstream-bench.jar")), help.out());
        RunnableJar.Result demo = JAR.run("demo", "--query", "bread");
        assertEquals(2, demo.exitCode(), demo.out());
        assertTrue(demo.out().contains("bertstream-demo.jar"), demo.out());
        assertFalse(demo.out().contains("Starting an embedded Kafka broker"), demo.out());
    }

    private static int readCommitted(String bootstrap, String topic, int expected, Duration timeout) {
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "clean-start-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            int seen = 0;
            long deadline = System.nanoTime() + timeout.toNanos();
            while (seen < expected && System.nanoTime() < deadline) {
                seen += consumer.poll(Duration.ofMillis(500)).count();
            }
            return seen;
        }
    }
}
