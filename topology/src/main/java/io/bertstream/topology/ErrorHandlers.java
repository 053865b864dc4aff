package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Kafka Streams' handlers for failures outside the processor. The processor checks every record against the real
 * size limits before it forwards it and dead-letters bad data itself, inside its own transaction; so whatever
 * reaches these handlers is a fault of the infrastructure, never a reason to skip a record. They run on the
 * producer's I/O thread (production) or the stream thread (deserialization): they log, count, and decide —
 * no producer of their own, no blocking, no dead letter that a retried transaction could write twice.
 */
public final class ErrorHandlers {

    /** Config key under which the app hands its {@link PipelineMetrics} to the handlers Streams instantiates. */
    static final String METRICS_CONFIG = "bertstream.internal.metrics";

    private static final Logger log = LoggerFactory.getLogger(ErrorHandlers.class);

    private ErrorHandlers() {
    }

    /**
     * A send that failed: RETRY when the exception is retriable (under exactly-once the task restarts from its last
     * commit, so nothing is lost or doubled), FAIL otherwise (the stream thread fails; bounded replacement, then the
     * process exits with the cause). Changelog writes have no record context: nothing here reads it.
     */
    public static final class Production implements ProductionExceptionHandler {

        private PipelineMetrics metrics;

        @Override
        public void configure(Map<String, ?> configs) {
            metrics = configs.get(METRICS_CONFIG) instanceof PipelineMetrics m ? m : null;
        }

        @Override
        public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                                         Exception exception) {
            boolean retry = exception instanceof RetriableException;
            log.error("sending a record to {} failed: {}; {}", record.topic(), exception.toString(),
                    retry ? "retrying from the last commit" : "failing the stream thread (an infrastructure fault)");
            if (metrics != null) {
                metrics.productionError(retry);
            }
            return retry ? ProductionExceptionHandlerResponse.RETRY : ProductionExceptionHandlerResponse.FAIL;
        }

        @Override
        public ProductionExceptionHandlerResponse handleSerializationException(ErrorHandlerContext context,
                ProducerRecord record, Exception exception, SerializationExceptionOrigin origin) {
            log.error("serializing a record for {} failed: {}; failing the stream thread", record.topic(), exception.toString());
            if (metrics != null) {
                metrics.productionError(false);
            }
            return ProductionExceptionHandlerResponse.FAIL;
        }
    }

    /** Bytes in and out: source records cannot fail to deserialize. If one ever does, fail loudly. */
    public static final class Deserialization implements DeserializationExceptionHandler {

        @Override
        public void configure(Map<String, ?> configs) {
        }

        @Override
        public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                     Exception exception) {
            log.error("record {}-{}@{} could not be deserialized although the topology reads bytes: {}; failing the"
                    + " stream thread", record.topic(), record.partition(), record.offset(), exception.toString());
            return DeserializationHandlerResponse.FAIL;
        }
    }
}
