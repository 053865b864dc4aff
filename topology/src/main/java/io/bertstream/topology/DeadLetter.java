package io.bertstream.topology;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The headers of a dead-letter record: why it failed, at which stage, and where the original came from.
 * The record itself keeps the original key and value bytes, so it can be replayed once the cause is fixed.
 */
public final class DeadLetter {

    public static final String ERROR_CLASS = "bertstream.error.class";
    public static final String ERROR_MESSAGE = "bertstream.error.message";
    public static final String STAGE = "bertstream.error.stage";
    public static final String SOURCE_TOPIC = "bertstream.source.topic";
    public static final String SOURCE_PARTITION = "bertstream.source.partition";
    public static final String SOURCE_OFFSET = "bertstream.source.offset";
    public static final String SOURCE_TIMESTAMP = "bertstream.source.timestamp";
    /** Present when the original value was larger than the dead-letter limit: its full size in bytes. */
    public static final String VALUE_TRUNCATED_FROM = "bertstream.value.truncated-from";

    /** Where in the pipeline a record failed. */
    public enum Stage {
        DECODE, EMBED, SERIALIZE, PRODUCE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private DeadLetter() {
    }

    /** Lineage headers; also put on every output record so consumers can trace it to its input. */
    public static Headers lineageHeaders(PendingEvent.Lineage source) {
        Headers headers = new RecordHeaders();
        add(headers, SOURCE_TOPIC, source.topic());
        add(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
        add(headers, SOURCE_OFFSET, Long.toString(source.offset()));
        add(headers, SOURCE_TIMESTAMP, Long.toString(source.timestamp()));
        return headers;
    }

    public static Headers headers(Stage stage, String errorClass, String message, PendingEvent.Lineage source) {
        Headers headers = lineageHeaders(source);
        add(headers, STAGE, stage.label());
        add(headers, ERROR_CLASS, errorClass);
        add(headers, ERROR_MESSAGE, message == null ? "" : message);
        return headers;
    }

    /**
     * The value to dead-letter: the original bytes, cut to {@code maxBytes} (with a header saying so) when the
     * full value could not be produced at all.
     */
    public static byte[] limitValue(byte[] value, int maxBytes, Headers headers) {
        if (value == null || value.length <= maxBytes) {
            return value;
        }
        add(headers, VALUE_TRUNCATED_FROM, Integer.toString(value.length));
        return Arrays.copyOf(value, maxBytes);
    }

    public static String header(Headers headers, String name) {
        var header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
