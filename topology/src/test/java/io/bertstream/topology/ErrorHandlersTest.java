package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler.DeserializationHandlerResponse;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse;
import org.apache.kafka.streams.processor.TaskId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kafka Streams' handlers under exactly-once: whatever reaches them is an infrastructure fault (the processor
 * checks sizes and dead-letters bad data in its own transaction), so they retry what is retriable and fail the
 * rest — never an exception of their own (changelog writes come without a record context), never a producer of
 * their own, never a skipped record. What used to reach them as data (an output over the limit) is now caught in the
 * processor: {@link SizeLimitsTest}.
 */
class ErrorHandlersTest {

    /** What Streams passes for a changelog write: no source topic, no offsets, no raw record. */
    private static ErrorHandlerContext changelogContext() {
        return new ErrorHandlerContext() {
            public String topic() { return null; }
            public int partition() { return -1; }
            public long offset() { return -1; }
            public Headers headers() { return new RecordHeaders(); }
            public String processorNodeId() { return null; }
            public TaskId taskId() { return new TaskId(0, 2); }
            public long timestamp() { return -1L; }
            public byte[] sourceRawKey() { return null; }
            public byte[] sourceRawValue() { return null; }
        };
    }

    @Test
    void retriableSendErrorsAreRetriedEverythingElseFailsTheThreadAndNothingIsSkipped() {
        var metrics = new PipelineMetrics(new SimpleMeterRegistry());
        var handler = new ErrorHandlers.Production();
        handler.configure(Map.of(ErrorHandlers.METRICS_CONFIG, metrics, "bootstrap.servers", "127.0.0.1:1"));
        var changelogWrite = new ProducerRecord<>("app-bertstream-pending-changelog", new byte[8], new byte[10]);
        long started = System.nanoTime();
        assertEquals(ProductionExceptionHandlerResponse.RETRY,
                handler.handle(changelogContext(), changelogWrite, new TimeoutException("expired")));
        assertEquals(ProductionExceptionHandlerResponse.RETRY,
                handler.handle(changelogContext(), changelogWrite, new NotEnoughReplicasException("isr")));
        assertEquals(ProductionExceptionHandlerResponse.FAIL,
                handler.handle(changelogContext(), changelogWrite, new RecordTooLargeException("too large")),
                "a changelog write without record context: FAIL, not an NPE, never CONTINUE");
        assertEquals(ProductionExceptionHandlerResponse.FAIL, handler.handleSerializationException(changelogContext(),
                changelogWrite, new SerializationException("x"), null));
        assertTrue(System.nanoTime() - started < 1_000_000_000L,
                "decides at once: no producer built, nothing sent to an unreachable broker");
        double retried = metrics.registry().get("bertstream.production.errors").tag("action", "retry").counter().count();
        double failed = metrics.registry().get("bertstream.production.errors").tag("action", "fail").counter().count();
        assertEquals(2.0, retried);
        assertEquals(2.0, failed);
    }

    @Test
    void aRecordThatCannotBeDeserializedFailsLoudly() {
        var handler = new ErrorHandlers.Deserialization();
        handler.configure(Map.of());
        var record = new ConsumerRecord<>("texts", 0, 7L, new byte[] {1}, new byte[] {2});
        assertEquals(DeserializationHandlerResponse.FAIL,
                handler.handle(changelogContext(), record, new SerializationException("bad bytes")));
    }
}
