package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.DeserializationHandlerResponse;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Kafka Streams' last-resort handlers on a real broker: continue only once the dead letter is written. */
class DeadLetterHandlersTest {

    private static final byte[] KEY = "k".getBytes(StandardCharsets.UTF_8);
    private static final byte[] VALUE = "{\"id\":\"x\",\"text\":\"original\"}".getBytes(StandardCharsets.UTF_8);

    private static ErrorHandlerContext context(String topic) {
        return new ErrorHandlerContext() {
            public String topic() { return topic; }
            public int partition() { return 2; }
            public long offset() { return 41; }
            public Headers headers() { return new RecordHeaders(); }
            public String processorNodeId() { return "embedder"; }
            public TaskId taskId() { return new TaskId(0, 2); }
            public long timestamp() { return 1234L; }
            public byte[] sourceRawKey() { return KEY; }
            public byte[] sourceRawValue() { return VALUE; }
        };
    }

    @Test
    void aRefusedOutputIsDeadLetteredWithTheSourceBytesBeforeContinuing() {
        String dlq = unique("dlq");
        broker().createTopics(dlq);
        var handler = new DeadLetterHandlers.Production();
        handler.configure(Map.of("bootstrap.servers", broker().bootstrapServers(), BertstreamConfig.DLQ_TOPIC, dlq,
                "application.id", "not-a-producer-key"));
        var response = handler.handle(context("texts"), new ProducerRecord<>("embeddings", KEY, new byte[10]),
                new RecordTooLargeException("too large"));
        assertEquals(ProductionExceptionHandlerResponse.CONTINUE, response);
        ConsumerRecord<String, byte[]> dead = readCommitted(dlq, Duration.ofSeconds(30), r -> !r.isEmpty()).get(0);
        assertArrayEquals(VALUE, dead.value(), "the source record's bytes, not the failed output's");
        assertEquals("produce", DeadLetter.header(dead.headers(), DeadLetter.STAGE));
        assertEquals(RecordTooLargeException.class.getName(), DeadLetter.header(dead.headers(), DeadLetter.ERROR_CLASS));
        assertEquals("texts", DeadLetter.header(dead.headers(), DeadLetter.SOURCE_TOPIC));
        assertEquals("41", DeadLetter.header(dead.headers(), DeadLetter.SOURCE_OFFSET));
    }

    @Test
    void anUndeserializableRecordIsDeadLetteredAndWithoutADeadLetterTopicTheStreamFails() {
        String dlq = unique("dlq");
        broker().createTopics(dlq);
        var handler = new DeadLetterHandlers.Deserialization();
        handler.configure(Map.of("bootstrap.servers", broker().bootstrapServers(), BertstreamConfig.DLQ_TOPIC, dlq));
        var record = new ConsumerRecord<>("texts", 0, 7L, KEY, VALUE);
        assertEquals(DeserializationHandlerResponse.CONTINUE,
                handler.handle(context("texts"), record, new SerializationException("bad bytes")));
        var dead = readCommitted(dlq, Duration.ofSeconds(30), r -> !r.isEmpty()).get(0);
        assertArrayEquals(VALUE, dead.value());
        assertEquals("decode", DeadLetter.header(dead.headers(), DeadLetter.STAGE));
        assertEquals("7", DeadLetter.header(dead.headers(), DeadLetter.SOURCE_OFFSET));

        // A dead-letter topic that cannot be written (here: no broker) means FAIL, never a silent skip.
        var unreachable = new DeadLetterHandlers.Deserialization();
        unreachable.configure(Map.of("bootstrap.servers", "127.0.0.1:1", BertstreamConfig.DLQ_TOPIC, dlq,
                "max.block.ms", "1000", "delivery.timeout.ms", "1500", "request.timeout.ms", "1000"));
        assertEquals(DeserializationHandlerResponse.FAIL,
                unreachable.handle(context("texts"), record, new SerializationException("bad bytes")));
    }
}
