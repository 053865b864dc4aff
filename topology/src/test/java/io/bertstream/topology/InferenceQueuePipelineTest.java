package io.bertstream.topology;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one inference queue with many tasks on two stream threads, on the real broker: micro-batches of different
 * partitions run in the same forward-pass calls, every event comes out exactly once, and each partition's outputs
 * keep its input order. The {@link FakeEmbedder} (200 ms a call) stands in for the model: how work is merged is
 * under test, not vectors.
 */
class InferenceQueuePipelineTest {

    @TempDir
    Path stateDir;

    @Test
    void microBatchesOfManyPartitionsShareRunsAndEachPartitionKeepsItsOrder() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        int partitions = 8;
        broker().createTopics(partitions, input, output, dlq);
        var fake = new FakeEmbedder();
        var settings = new HashMap<>(config(unique("queue"), input, output, dlq, stateDir));
        settings.put(BertstreamConfig.MICRO_BATCH_MAX_RECORDS, "4");
        settings.put(BertstreamConfig.MICRO_BATCH_LINGER_MS, "20");
        settings.put("num.stream.threads", "2");
        int n = 320;
        try (var app = new BertstreamApp(BertstreamConfig.of(settings, Map.of()), SharedModel.of(fake, fake.shape())).start()) {
            fake.delayPerCall(Duration.ofMillis(200));
            try (var producer = producer(1 << 20)) {
                for (int i = 0; i < n; i++) {
                    producer.send(new ProducerRecord<>(input, i % partitions, null, null,
                            json("e" + i, "event " + i + " of partition " + i % partitions).getBytes(StandardCharsets.UTF_8)));
                }
            }
            var sources = new HashSet<Outcomes.Source>();
            for (int p = 0; p < partitions; p++) {
                for (long offset = 0; offset < n / partitions; offset++) {
                    sources.add(new Outcomes.Source(input, p, offset));
                }
            }
            var outcomes = Outcomes.await(output, dlq, n, Duration.ofSeconds(120)).assertExactlyOneEach(sources);
            assertEquals(n, outcomes.outputs.size());
            // Within each output partition, the records one task wrote appear in the order it read them.
            Map<String, Long> lastOffset = new HashMap<>();
            for (var record : outcomes.outputs) {
                var source = Outcomes.Source.of(record);
                String stream = record.partition() + "<-" + source.partition();
                long previous = lastOffset.getOrDefault(stream, -1L);
                assertTrue(source.offset() > previous, "input partition " + source.partition() + " in order in output partition "
                        + record.partition());
                lastOffset.put(stream, source.offset());
            }
            double microBatches = app.metrics().registry().get("bertstream.batch.size").summary().count();
            double largestRun = app.metrics().registry().get("bertstream.inference.run.texts").summary().max();
            double runs = app.metrics().registry().get("bertstream.inference.run.texts").summary().count();
            assertTrue(largestRun > 4, "a run took texts of several micro-batches of at most 4: " + largestRun);
            assertTrue(runs < microBatches, runs + " runs for " + microBatches + " micro-batches");
        }
    }
}
