package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The outcomes of a run, read back with read_committed from the output and the dead-letter topic, and the check
 * every fault-injection test makes: each input (topic / partition / offset) has exactly one outcome — its output
 * records (one per chunk), or one dead letter pointing at it — and no output key comes twice.
 */
final class Outcomes {

    /** Where an outcome says it came from. */
    record Source(String topic, int partition, long offset) {
        static Source of(ConsumerRecord<String, byte[]> record) {
            return new Source(DeadLetter.header(record.headers(), DeadLetter.SOURCE_TOPIC),
                    Integer.parseInt(DeadLetter.header(record.headers(), DeadLetter.SOURCE_PARTITION)),
                    Long.parseLong(DeadLetter.header(record.headers(), DeadLetter.SOURCE_OFFSET)));
        }
    }

    final List<ConsumerRecord<String, byte[]>> outputs = new ArrayList<>();
    final List<ConsumerRecord<String, byte[]>> deadLetters = new ArrayList<>();

    private Outcomes(List<ConsumerRecord<String, byte[]>> records, String outputTopic) {
        for (var record : records) {
            (record.topic().equals(outputTopic) ? outputs : deadLetters).add(record);
        }
    }

    /** Reads until {@code inputs} distinct inputs have an outcome (or the timeout), plus a second for strays. */
    static Outcomes await(String output, String deadLetterTopic, int inputs, Duration timeout) {
        var records = KafkaTestSupport.readCommitted(List.of(output, deadLetterTopic), timeout,
                read -> read.stream().map(Source::of).distinct().count() >= inputs);
        return new Outcomes(records, output);
    }

    /** Asserts exactly one outcome for each of the {@code inputs} offsets 0.. of {@code topic} partition 0. */
    Outcomes assertExactlyOneEach(String topic, int inputs) {
        var sources = new HashSet<Source>();
        for (long offset = 0; offset < inputs; offset++) {
            sources.add(new Source(topic, 0, offset));
        }
        return assertExactlyOneEach(sources);
    }

    Outcomes assertExactlyOneEach(Set<Source> inputs) {
        Map<Source, Integer> deadBySource = new HashMap<>();
        deadLetters.forEach(r -> deadBySource.merge(Source.of(r), 1, Integer::sum));
        Map<Source, Set<String>> keysBySource = new HashMap<>();
        var keys = new HashSet<String>();
        for (var record : outputs) {
            assertTrue(keys.add(record.key()), "output key " + record.key() + " twice");
            keysBySource.computeIfAbsent(Source.of(record), s -> new HashSet<>()).add(record.key());
        }
        for (Source input : inputs) {
            int dead = deadBySource.getOrDefault(input, 0);
            boolean out = keysBySource.containsKey(input);
            if (dead > 1 || dead == 1 && out || dead == 0 && !out) {
                fail(input + ": " + dead + " dead letters and " + (out ? "" : "no ") + "outputs; want exactly one outcome");
            }
        }
        assertTrue(inputs.containsAll(deadBySource.keySet()), "dead letters of inputs that were never sent");
        assertTrue(inputs.containsAll(keysBySource.keySet()), "outputs of inputs that were never sent");
        return this;
    }

    ConsumerRecord<String, byte[]> deadLetter(long offset) {
        return deadLetters.stream().filter(r -> Source.of(r).offset() == offset).findFirst()
                .orElseThrow(() -> new AssertionError("no dead letter for offset " + offset));
    }

    boolean hasOutput(long offset) {
        return outputs.stream().anyMatch(r -> Source.of(r).offset() == offset);
    }

    void assertOutput(long offset) {
        assertTrue(hasOutput(offset), "offset " + offset + " has its output");
    }

    void assertDeadLettered(long offset, String stage, String reasonPart) {
        var dead = deadLetter(offset);
        assertEquals(stage, DeadLetter.header(dead.headers(), DeadLetter.STAGE), "stage of offset " + offset);
        String reason = DeadLetter.header(dead.headers(), DeadLetter.ERROR_MESSAGE);
        assertTrue(reason.contains(reasonPart), "offset " + offset + ": '" + reasonPart + "' in: " + reason);
    }
}
