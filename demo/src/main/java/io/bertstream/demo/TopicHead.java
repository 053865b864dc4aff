package io.bertstream.demo;

import io.bertstream.avro.EmbeddingRecord;
import io.bertstream.extract.ProbeData;
import io.bertstream.extract.head.HeadFitter;
import io.bertstream.kafka.EmbeddedKafka;
import io.bertstream.topology.BertstreamApp;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.SharedModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's last step: a downstream head. A topic classifier is fitted on half of each topic's texts (with
 * fit-head's code, on the vectors' own layer and pooling), then the other half goes through a second stream
 * application with {@code bertstream.head} set and tagging-only output, and the labels it wrote are checked against
 * the topics the corpus knows.
 */
final class TopicHead {

    static final String HELDOUT_TOPIC = "demo-heldout";
    static final String LABELLED_TOPIC = "demo-labelled";
    static final String HELDOUT_DLQ_TOPIC = "demo-heldout-dead-letters";

    /** What the step measured: cross-validated accuracy at fit time, and the stream's accuracy on the held-out half. */
    record Outcome(int fitted, double crossValidated, int heldOut, int labelled, int correct) {
        double accuracy() {
            return heldOut == 0 ? 0 : (double) correct / heldOut;
        }
    }

    private TopicHead() {
    }

    static Outcome run(PrintWriter out, EmbeddedKafka broker, BertstreamConfig config, SharedModel model, DemoCorpus corpus,
                       Path stateDir, Duration timeout) {
        List<DemoCorpus.Event> train = new ArrayList<>();
        List<DemoCorpus.Event> heldOut = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (DemoCorpus.Event e : corpus.events()) {
            (seen.merge(e.topic(), 1, Integer::sum) % 2 == 1 ? train : heldOut).add(e);
        }
        var fitted = HeadFitter.classes(model.engine(), SharedModel.extractionSpec(config),
                train.stream().map(e -> new ProbeData.LabelledText(e.text(), e.topic())).toList(), HeadFitter.Options.defaults());
        Path headFile = stateDir.resolve("demo-topics.head.json");
        try {
            fitted.head().write(headFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double crossValidated = fitted.report().summary().get("accuracy");
        out.println();
        out.println("Topic head: a classifier on the same vectors, applied in the stream");
        out.printf("  fitted on %d texts (half of each topic): %d-fold cross-validated accuracy %.1f%%, macro-F1 %.3f%n",
                train.size(), fitted.report().folds(), 100 * crossValidated, fitted.report().summary().get("macro_f1"));
        out.flush();

        broker.createTopics(3, HELDOUT_TOPIC, LABELLED_TOPIC);
        broker.createTopics(1, HELDOUT_DLQ_TOPIC);
        try (var producer = new KafkaProducer<>(Map.<String, Object>of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new StringSerializer(), new ByteArraySerializer())) {
            heldOut.forEach(e -> producer.send(new ProducerRecord<>(HELDOUT_TOPIC, e.id(), DemoCorpus.json(e))));
        }
        BertstreamConfig headConfig = config.with(Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG, "bertstream-demo-head",
                BertstreamConfig.INPUT_TOPICS, HELDOUT_TOPIC,
                BertstreamConfig.OUTPUT_TOPIC, LABELLED_TOPIC,
                BertstreamConfig.DLQ_TOPIC, HELDOUT_DLQ_TOPIC,
                BertstreamConfig.HEAD, headFile.toString(),
                BertstreamConfig.OUTPUT_VECTOR, "false"));
        OutputReader.Result result;
        try (SharedModel headed = SharedModel.sharing(model, headConfig);
             BertstreamApp app = new BertstreamApp(headConfig, headed).start()) {
            result = OutputReader.read(broker.bootstrapServers(), LABELLED_TOPIC, HELDOUT_DLQ_TOPIC, heldOut.size(), 0,
                    timeout, (embedded, dead, elapsed) -> { });
        }
        int correct = 0;
        EmbeddingRecord example = null;
        DemoCorpus.Event exampleEvent = null;
        for (DemoCorpus.Event e : heldOut) {
            EmbeddingRecord record = result.embeddings().get(e.id());
            if (record != null && record.getLabels() != null && !record.getLabels().isEmpty()) {
                if (record.getLabels().get(0).getLabel().equals(e.topic())) {
                    correct++;
                }
                if (example == null) {
                    example = record;
                    exampleEvent = e;
                }
            }
        }
        var outcome = new Outcome(train.size(), crossValidated, heldOut.size(), result.embeddings().size(), correct);
        out.printf("  the stream labelled the other %d (bertstream.head, tagging-only records, %d read back): "
                + "accuracy %.1f%% (by chance: %.1f%%)%n", heldOut.size(), outcome.labelled(), 100 * outcome.accuracy(),
                100.0 / corpus.topics().size());
        if (example != null) {
            var top = example.getLabels().get(0);
            String text = exampleEvent.text();
            out.printf("  e.g. \"%s\" -> %s %.2f (dims %d: no vector)%n", text.length() > 70 ? text.substring(0, 69) + "…" : text,
                    top.getLabel(), top.getScore(), example.getDims());
        }
        return outcome;
    }
}
