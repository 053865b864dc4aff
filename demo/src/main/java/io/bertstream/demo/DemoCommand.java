package io.bertstream.demo;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.cli.Bertstream;
import io.bertstream.cli.Distributions;
import io.bertstream.cli.ToolCommand;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.TextEmbedder;
import io.bertstream.kafka.EmbeddedKafka;
import io.bertstream.topology.BertstreamApp;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.PipelineMetrics;
import io.bertstream.topology.SharedModel;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false, optionListHeading = "%nOptions:%n",
        description = {"Start an embedded Kafka broker, stream a sample corpus through the processor and show what came out.",
            "",
            "Everything runs in this process, offline: a real single-node KRaft broker, the bertstream Kafka Streams "
                + "processor (exactly-once) with the default model, and a read_committed consumer. The corpus is 256 "
                + "short texts on 8 topics plus 5 bad records that must land in the dead-letter topic. At the end: "
                + "counts, throughput, batch fill, and a semantic search over the vectors that came out.",
            "",
            "Exit code 0 when every text came out and every bad record was dead-lettered, 1 otherwise.",
            "",
            "Examples:",
            "  bertstream demo",
            "  bertstream demo --query \"a recipe for bread\" --query \"black holes\""})
public final class DemoCommand implements ToolCommand {

    static final String INPUT_TOPIC = "demo-texts";
    static final String OUTPUT_TOPIC = "demo-embeddings";
    static final String DLQ_TOPIC = "demo-dead-letters";

    /** Questions worded unlike any corpus text, so a keyword match would not find the answers. */
    static final List<String> DEFAULT_QUERIES = List.of(
            "How long should I let bread dough rise?",
            "Which planets can I see with a small telescope?",
            "Our team lost the match on penalties",
            "Is this a good time to take out a home loan?",
            "I keep getting headaches, should I see a doctor?");

    @Option(names = "--model", defaultValue = ModelLoader.DEFAULT, paramLabel = "NAME|PATH",
            description = "Model to embed with: built-in name or path (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--query", paramLabel = "TEXT",
            description = "A search query to run over the output; repeat for several (default: five built-in questions).")
    List<String> queries;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a processor setting, e.g. --set bertstream.micro-batch.linger-ms=500 (repeatable; keys as in config/).")
    Map<String, String> overrides = Map.of();

    @Option(names = "--timeout", defaultValue = "180", paramLabel = "SECONDS",
            description = "Give up waiting for the output after this long (default ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        quietLogs();
        PrintWriter out = spec.commandLine().getOut();
        DemoCorpus corpus = DemoCorpus.load();
        Path stateDir = Files.createTempDirectory("bertstream-demo-");
        try {
            // Built before anything starts, so a mistyped --set key fails at once
            return run(out, corpus, BertstreamConfig.of(settings(stateDir, model, overrides), Map.of()));
        } finally {
            deleteRecursively(stateDir);
        }
    }

    private int run(PrintWriter out, DemoCorpus corpus, BertstreamConfig demoConfig) {
        try (EmbeddedKafka broker = step(out, "Starting an embedded Kafka broker (KRaft, in this process)",
                EmbeddedKafka::start)) {
            broker.createTopics(3, INPUT_TOPIC, OUTPUT_TOPIC);
            broker.createTopics(1, DLQ_TOPIC);
            out.printf("  broker at %s; topics %s, %s (3 partitions each), %s%n",
                    broker.bootstrapServers(), INPUT_TOPIC, OUTPUT_TOPIC, DLQ_TOPIC);
            produce(broker.bootstrapServers(), corpus);
            out.printf("Produced %d events to %s: %d texts on %d topics (%s)%n  + %d bad records: %s%n",
                    corpus.size(), INPUT_TOPIC, corpus.events().size(), corpus.topics().size(),
                    String.join(", ", corpus.topics()), corpus.badRecords().size(),
                    corpus.badRecords().stream().map(DemoCorpus.BadRecord::problem).collect(Collectors.joining(", ")));

            BertstreamConfig config = demoConfig.with(
                    Map.of(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
            try (SharedModel shared = step(out, "Loading model " + model, () -> Distributions.explained(() -> SharedModel.open(config)))) {
                ModelInfo info = shared.embedder().info();
                out.printf("  %s (%s, sha256 %s…): %d dims, layers %s, pooling %s, backend %s%n", info.name(),
                        info.format(), info.sha256().substring(0, 12), info.dims(), info.layers(), info.pooling(),
                        info.backend());
                OutputReader.Result result;
                BatchStats batches;
                try (BertstreamApp app = step(out, "Starting the processor (Kafka Streams, exactly-once; model warm-up)",
                        () -> new BertstreamApp(config, shared).start())) {
                    if (app.metricsUrl() != null) {
                        out.printf("  metrics at %s/metrics, health at /health%n", app.metricsUrl());
                    }
                    out.println("Consuming " + OUTPUT_TOPIC + " and " + DLQ_TOPIC + " (read_committed)...");
                    out.flush();
                    result = OutputReader.read(broker.bootstrapServers(), OUTPUT_TOPIC, DLQ_TOPIC,
                            corpus.events().size(), corpus.badRecords().size(), Duration.ofSeconds(timeoutSeconds),
                            new ProgressLine(out, corpus));
                    batches = BatchStats.of(app.metrics(), app.registry());
                }
                boolean complete = printSummary(out, corpus, result, batches);
                printSearch(out, corpus, result, shared.embedder());
                out.flush();
                return complete ? Bertstream.OK : Bertstream.PARTIAL_FAILURE;
            }
        }
    }

    /** The processor's settings; bootstrap.servers is added once the broker is up. */
    static Map<String, String> settings(Path stateDir, String model, Map<String, String> overrides) {
        var settings = new HashMap<String, String>();
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "bertstream-demo");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(BertstreamConfig.INPUT_TOPICS, INPUT_TOPIC);
        settings.put(BertstreamConfig.OUTPUT_TOPIC, OUTPUT_TOPIC);
        settings.put(BertstreamConfig.DLQ_TOPIC, DLQ_TOPIC);
        settings.put(BertstreamConfig.MODEL, model);
        settings.put(BertstreamConfig.INPUT_FORMAT, "json");
        settings.put(BertstreamConfig.INPUT_ID_POINTER, "/id");
        // Any free port: several demos (or a demo beside a running service) must not collide
        settings.put(BertstreamConfig.METRICS_PORT, "0");
        settings.putAll(overrides);
        return settings;
    }

    private static void produce(String bootstrapServers, DemoCorpus corpus) {
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer())) {
            // Bad records go in among the good ones, as they would in a real topic
            int every = corpus.events().size() / (corpus.badRecords().size() + 1);
            for (int i = 0; i < corpus.events().size(); i++) {
                DemoCorpus.Event event = corpus.events().get(i);
                producer.send(new ProducerRecord<>(INPUT_TOPIC, event.id(), DemoCorpus.json(event)));
                int bad = i / every;
                if (i % every == every - 1 && bad < corpus.badRecords().size()) {
                    DemoCorpus.BadRecord record = corpus.badRecords().get(bad);
                    producer.send(new ProducerRecord<>(INPUT_TOPIC, record.id(), record.value()));
                }
            }
            producer.flush();
        }
    }

    /** Prints the counts and dead-letter reasons; true when everything expected came out. */
    private static boolean printSummary(PrintWriter out, DemoCorpus corpus, OutputReader.Result result, BatchStats batches) {
        int embedded = result.embeddings().size();
        int deadLettered = result.deadLetters().size();
        double seconds = Math.max(result.elapsed().toMillis(), 1) / 1000.0;
        out.println();
        out.println("Summary");
        out.printf("  events in        %5d   (%d texts + %d bad records)%n", corpus.size(), corpus.events().size(),
                corpus.badRecords().size());
        out.printf("  embeddings out   %5d%n", embedded);
        out.printf("  dead-lettered    %5d%n", deadLettered);
        result.deadLetters().stream().sorted(Comparator.comparing(OutputReader.DeadLetterInfo::key)).forEach(d ->
                out.printf("      %-12s stage %-7s %s: %s%n", d.key(), d.stage(), d.errorClass(), d.message()));
        out.printf("  throughput       %5.1f events/s end to end (%d events in %.1f s, processor start to last record)%n",
                (embedded + deadLettered) / seconds, embedded + deadLettered, seconds);
        out.printf("  model time       %5.1f s in %d batches = %.0f texts/s of inference%n",
                batches.inferenceSeconds(), batches.count(), batches.textsPerInferenceSecond());
        out.printf("  batch fill       %5.2f mean (batches closed by: %s records, %s tokens, %s linger)%n",
                batches.meanFill(), batches.closedByRecords(), batches.closedByTokens(), batches.closedByLinger());

        var textIds = corpus.events().stream().map(DemoCorpus.Event::id).toList();
        var missingTexts = textIds.stream().filter(id -> !result.embeddings().containsKey(id)).toList();
        var unexpected = result.embeddings().keySet().stream().filter(id -> !textIds.contains(id)).toList();
        var deadLetterKeys = result.deadLetters().stream().map(OutputReader.DeadLetterInfo::key).toList();
        var missingBad = corpus.badRecords().stream().map(DemoCorpus.BadRecord::id)
                .filter(id -> !deadLetterKeys.contains(id)).toList();
        boolean complete = missingTexts.isEmpty() && missingBad.isEmpty() && unexpected.isEmpty();
        if (!complete) {
            out.printf("  INCOMPLETE: texts not embedded %s, bad records not dead-lettered %s, unexpected outputs %s%n",
                    missingTexts, missingBad, unexpected);
        }
        return complete;
    }

    private void printSearch(PrintWriter out, DemoCorpus corpus, OutputReader.Result result, TextEmbedder embedder) {
        var search = new SemanticSearch();
        result.embeddings().forEach((id, record) -> search.add(id, toArray(record)));
        if (search.size() == 0) {
            return;
        }
        Map<String, DemoCorpus.Event> byId = corpus.events().stream()
                .collect(Collectors.toMap(DemoCorpus.Event::id, e -> e));
        out.println();
        out.printf("Semantic search over the %d vectors read back (cosine similarity; queries embedded with the same model)%n",
                search.size());
        List<String> asked = queries == null || queries.isEmpty() ? DEFAULT_QUERIES : queries;
        List<EmbedOutcome> outcomes = embedder.embedAll(asked);
        for (int q = 0; q < asked.size(); q++) {
            out.printf("  \"%s\"%n", asked.get(q));
            if (!(outcomes.get(q) instanceof EmbedOutcome.Embedded embedded)) {
                out.printf("     (not embedded: %s)%n", ((EmbedOutcome.Rejected) outcomes.get(q)).reason());
                continue;
            }
            for (SemanticSearch.Hit hit : search.top(embedded.vectors().get(0).vector(), 3)) {
                DemoCorpus.Event event = byId.get(hit.id());
                String text = event == null ? hit.id() : event.text();
                out.printf("     %.3f  %-12s %s%n", hit.score(), "[" + (event == null ? "?" : event.topic()) + "]",
                        text.length() > 90 ? text.substring(0, 89) + "…" : text);
            }
        }
        double agreement = search.nearestNeighbourAgreement(id -> byId.containsKey(id) ? byId.get(id).topic() : "?");
        out.printf("  Nearest-neighbour check: for %.0f%% of the texts, the most similar other text is on the same topic"
                + " (by chance: %.0f%%).%n", 100 * agreement, 100.0 / corpus.topics().size());
    }

    static float[] toArray(EmbeddingRecord record) {
        List<Float> vector = record.getVector();
        float[] array = new float[vector.size()];
        for (int i = 0; i < array.length; i++) {
            array[i] = vector.get(i);
        }
        return array;
    }

    /** Batching figures from the processor's own metrics. */
    record BatchStats(long count, double meanFill, double inferenceSeconds, double texts,
                      long closedByRecords, long closedByTokens, long closedByLinger) {

        static BatchStats of(PipelineMetrics metrics, MeterRegistry registry) {
            DistributionSummary fill = registry.find("bertstream.batch.fill").summary();
            DistributionSummary size = registry.find("bertstream.batch.size").summary();
            Timer inference = registry.find("bertstream.inference.run.time").timer(); // the worker's calls: model time
            return new BatchStats(size == null ? 0 : size.count(), fill == null ? 0 : fill.mean(),
                    inference == null ? 0 : inference.totalTime(TimeUnit.NANOSECONDS) / 1e9,
                    size == null ? 0 : size.totalAmount(),
                    (long) metrics.batchesClosed(PipelineMetrics.CloseReason.RECORDS),
                    (long) metrics.batchesClosed(PipelineMetrics.CloseReason.TOKENS),
                    (long) metrics.batchesClosed(PipelineMetrics.CloseReason.LINGER));
        }

        double textsPerInferenceSecond() {
            return inferenceSeconds == 0 ? 0 : texts / inferenceSeconds;
        }
    }

    /** One line, redrawn in place on a terminal; an occasional plain line when output goes to a file or a pipe. */
    private static final class ProgressLine implements OutputReader.Progress {
        private final PrintWriter out;
        private final DemoCorpus corpus;
        private final boolean terminal = System.console() != null;
        private long lastPrinted;

        ProgressLine(PrintWriter out, DemoCorpus corpus) {
            this.out = out;
            this.corpus = corpus;
        }

        @Override
        public void update(int embedded, int deadLettered, Duration elapsed) {
            boolean done = embedded >= corpus.events().size() && deadLettered >= corpus.badRecords().size();
            long now = elapsed.toMillis();
            if (!done && now - lastPrinted < (terminal ? 200 : 5000)) {
                return;
            }
            lastPrinted = now;
            String line = String.format("  embedded %d/%d · dead-lettered %d/%d · %.1f s",
                    embedded, corpus.events().size(), deadLettered, corpus.badRecords().size(), now / 1000.0);
            out.print(terminal ? "\r" + line + (done ? System.lineSeparator() : "") : line + System.lineSeparator());
            out.flush();
        }
    }

    /** Prints what is starting, runs it, and says how long it took. */
    private static <T> T step(PrintWriter out, String what, Supplier<T> action) {
        out.print(what + "... ");
        out.flush();
        long start = System.nanoTime();
        T result = action.get();
        out.printf("done in %.1f s%n", (System.nanoTime() - start) / 1e9);
        out.flush();
        return result;
    }

    /** Kafka and Streams log plenty at INFO; the demo's own output is the point. Only effective before logging starts. */
    private static void quietLogs() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
        System.setProperty("org.slf4j.simpleLogger.log.io.bertstream", "warn");
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
