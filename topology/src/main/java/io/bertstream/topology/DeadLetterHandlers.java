package io.bertstream.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Kafka Streams' last-resort handlers. The processor dead-letters bad data itself; these catch what fails
 * outside it (a record the producer refuses, bytes the source cannot deserialize). Each writes a dead-letter
 * record through a short-lived producer of its own and continues only once that record is written; if it cannot
 * be written the stream fails, so nothing is ever skipped without a trace.
 */
public final class DeadLetterHandlers {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    /** Shared by both handlers: producer settings and the dead-letter topic from the Streams config. */
    abstract static class Base {
        private Map<String, Object> producerConfig;
        private String topic;

        public void configure(Map<String, ?> configs) {
            producerConfig = new HashMap<>();
            configs.forEach((key, value) -> {
                if (ProducerConfig.configNames().contains(key)) {
                    producerConfig.put(key, value);
                }
            });
            producerConfig.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
            producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
            topic = (String) configs.get(BertstreamConfig.DLQ_TOPIC);
            if (topic == null) {
                throw new IllegalArgumentException("the dead-letter handlers need " + BertstreamConfig.DLQ_TOPIC);
            }
        }

        /** True when the dead-letter record was written. */
        boolean publish(byte[] key, byte[] value, Headers headers) {
            try (var producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topic, null, key, value, headers)).get();
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                log.error("cannot write a dead-letter record to {}: {}", topic, e.toString());
                return false;
            }
        }
    }

    /** For records the producer refuses; the raw source bytes are those of the record being processed, if any. */
    public static final class Production extends Base implements ProductionExceptionHandler {

        @Override
        public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context,
                                                         ProducerRecord<byte[], byte[]> record, Exception exception) {
            var source = new PendingEvent.Lineage(context.topic(), context.partition(), context.offset(),
                    context.timestamp());
            Headers headers = DeadLetter.headers(DeadLetter.Stage.PRODUCE, exception.getClass().getName(),
                    exception.getMessage() + " (writing to " + record.topic() + ")", source);
            byte[] key = context.sourceRawKey() != null ? context.sourceRawKey() : record.key();
            byte[] value = context.sourceRawValue() != null ? context.sourceRawValue() : record.value();
            log.warn("producing to {} failed: {}; dead-lettering", record.topic(), exception.toString());
            return publish(key, value, headers) ? ProductionExceptionHandlerResponse.CONTINUE
                    : ProductionExceptionHandlerResponse.FAIL;
        }
    }

    /** For source records that cannot be deserialized (bytes in means this should not happen; kept as a net). */
    public static final class Deserialization extends Base implements DeserializationExceptionHandler {

        @Override
        public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                                     Exception exception) {
            var source = new PendingEvent.Lineage(record.topic(), record.partition(), record.offset(), record.timestamp());
            Headers headers = DeadLetter.headers(DeadLetter.Stage.DECODE, exception.getClass().getName(),
                    exception.getMessage(), source);
            return publish(record.key(), record.value(), headers) ? DeserializationHandlerResponse.CONTINUE
                    : DeserializationHandlerResponse.FAIL;
        }
    }

}
