package io.bertstream.topology;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The headers of a dead-letter record: why it failed, at which stage, and where the original came from.
 * The record itself keeps the original key and value bytes, so it can be replayed once the cause is fixed — cut,
 * with a header saying so, only where the whole record would not fit the dead-letter topic.
 */
public final class DeadLetter {

    public static final String ERROR_CLASS = "bertstream.error.class";
    public static final String ERROR_MESSAGE = "bertstream.error.message";
    public static final String STAGE = "bertstream.error.stage";
    public static final String SOURCE_TOPIC = "bertstream.source.topic";
    public static final String SOURCE_PARTITION = "bertstream.source.partition";
    public static final String SOURCE_OFFSET = "bertstream.source.offset";
    public static final String SOURCE_TIMESTAMP = "bertstream.source.timestamp";
    /** Present when the original value did not fit the dead-letter topic: its full size in bytes. */
    public static final String VALUE_TRUNCATED_FROM = "bertstream.value.truncated-from";
    /** Present when even the original key did not fit the dead-letter topic: its full size in bytes. */
    public static final String KEY_TRUNCATED_FROM = "bertstream.key.truncated-from";
    /** Longest value of an error header (class, message), in UTF-8 bytes; longer ones are cut, ending in "…". */
    static final int MAX_HEADER_VALUE_BYTES = 2048;

    /** Where in the pipeline a record failed. */
    public enum Stage {
        /** not valid input, over the input limit, or too large to be held pending */
        DECODE,
        /** the model refused the text (empty, over the token or chunk cap, failing alone while a canary passed) */
        EMBED,
        /** the output could not be written (e.g. over the output record limit) */
        SERIALIZE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A dead letter that fits its topic. */
    record Fitted(byte[] key, byte[] value, Headers headers) {
    }

    private DeadLetter() {
    }

    /** Lineage headers; also put on every output record so consumers can trace it to its input. */
    public static Headers lineageHeaders(Lineage source) {
        Headers headers = new RecordHeaders();
        add(headers, SOURCE_TOPIC, source.topic());
        add(headers, SOURCE_PARTITION, Integer.toString(source.partition()));
        add(headers, SOURCE_OFFSET, Long.toString(source.offset()));
        add(headers, SOURCE_TIMESTAMP, Long.toString(source.timestamp()));
        return headers;
    }

    public static Headers headers(Stage stage, String errorClass, String message, Lineage source) {
        Headers headers = lineageHeaders(source);
        add(headers, STAGE, stage.label());
        add(headers, ERROR_CLASS, bounded(errorClass == null ? "" : errorClass));
        add(headers, ERROR_MESSAGE, bounded(message == null ? "" : message));
        return headers;
    }

    /**
     * The dead letter as it can be sent: the original key and value, or, when the whole record would be over the
     * dead-letter limit, the value cut (then the key, should that still not do) with headers giving the full sizes.
     */
    static Fitted fit(byte[] key, byte[] value, Headers headers, SizeLimits limits) {
        Headers fitted = new RecordHeaders(headers.toArray());
        if (limits.fits(SizeLimits.Kind.DEAD_LETTER, key, value, fitted)) {
            return new Fitted(key, value, fitted);
        }
        if (value != null && value.length > 0) {
            add(fitted, VALUE_TRUNCATED_FROM, Integer.toString(value.length));
            value = cut(value, over(limits, key, value, fitted));
        }
        if (!limits.fits(SizeLimits.Kind.DEAD_LETTER, key, value, fitted) && key != null && key.length > 0) {
            add(fitted, KEY_TRUNCATED_FROM, Integer.toString(key.length));
            key = cut(key, over(limits, key, value, fitted));
        }
        if (!limits.fits(SizeLimits.Kind.DEAD_LETTER, key, value, fitted)) {
            throw new IllegalStateException("a dead letter does not fit " + limits.describe(SizeLimits.Kind.DEAD_LETTER)
                    + " even without its key and value");
        }
        return new Fitted(key, value, fitted);
    }

    /** Bytes over the limit, with a few to spare for the shorter length prefixes of the cut record. */
    private static int over(SizeLimits limits, byte[] key, byte[] value, Headers headers) {
        return Math.max(0, limits.recordBytes(key, value, headers) - limits.limit(SizeLimits.Kind.DEAD_LETTER));
    }

    private static byte[] cut(byte[] bytes, int over) {
        return Arrays.copyOf(bytes, Math.max(0, bytes.length - over));
    }

    /** The largest headers a dead letter can carry: what its topic must have room for besides key and value. */
    static Headers largestHeaders() {
        Headers headers = headers(Stage.SERIALIZE, "x".repeat(MAX_HEADER_VALUE_BYTES), "x".repeat(MAX_HEADER_VALUE_BYTES),
                new Lineage("t".repeat(249), Integer.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE));
        add(headers, VALUE_TRUNCATED_FROM, Integer.toString(Integer.MAX_VALUE));
        add(headers, KEY_TRUNCATED_FROM, Integer.toString(Integer.MAX_VALUE));
        return headers;
    }

    public static String header(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** Cut to {@link #MAX_HEADER_VALUE_BYTES} UTF-8 bytes at a character boundary, marked with "…". */
    static String bounded(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_HEADER_VALUE_BYTES) {
            return value;
        }
        int keep = MAX_HEADER_VALUE_BYTES - 3; // "…" is 3 bytes
        while (keep > 0 && (bytes[keep] & 0xC0) == 0x80) {
            keep--; // never split a multi-byte character
        }
        return new String(bytes, 0, keep, StandardCharsets.UTF_8) + "…";
    }

    private static void add(Headers headers, String name, String value) {
        headers.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
