package io.bertstream.serde;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What a setting may hold, for the Kafka {@link ConfigDef}s that declare settings (bertstream's table, the
 * decoder's and the registry client's keys). Each validator's {@code toString()} says what is allowed in words:
 * it ends every refusal message and fills the "allowed" column of the README's table. An unset optional value
 * ({@code null}) is always valid here; whether a value is required is the table's business (its default).
 */
public final class ConfigValidators {

    private ConfigValidators() {
    }

    private static final Pattern URL_CREDENTIALS = Pattern.compile("(?<=://)[^/@\\s]+@");

    /** A refusal that says why, beyond what is allowed (e.g. a parser's complaint); credentials in URLs masked. */
    public static final class Refused extends ConfigException {

        private final String reason;

        Refused(String name, Object value, String reason) {
            super(name, value instanceof String text ? URL_CREDENTIALS.matcher(text).replaceAll("[hidden]@") : value, reason);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    /** A validator whose refusals carry their own reason (a parser's message), shown before what is allowed. */
    public record Check(String allowed, Consumer<String> check) implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            if (value == null) {
                return;
            }
            try {
                check.accept(value.toString());
            } catch (IllegalArgumentException e) {
                // Parsers' messages can run over several lines (a regex's points at the error): keep the first.
                throw new Refused(name, value, String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }

        @Override
        public String toString() {
            return allowed;
        }
    }

    /** Whole numbers from {@code min} to {@code max}, both included. */
    public record Range(long min, long max) implements ConfigDef.Validator {

        @Override
        public void ensureValid(String name, Object value) {
            if (value != null && (((Number) value).longValue() < min || ((Number) value).longValue() > max)) {
                throw new ConfigException(name, value, "out of range");
            }
        }

        @Override
        public String toString() {
            return max == Integer.MAX_VALUE || max == Long.MAX_VALUE ? min + " or more" : min + " to " + max;
        }
    }

    public static Range atLeast(long min) {
        return new Range(min, Integer.MAX_VALUE);
    }

    public static Range between(long min, long max) {
        return new Range(min, max);
    }

    /** One of the given spellings, in any letter case. */
    public static ConfigDef.Validator oneOf(String... allowed) {
        List<String> values = List.of(allowed);
        return new ConfigDef.Validator() {
            @Override
            public void ensureValid(String name, Object value) {
                if (value != null && !values.contains(value.toString().toLowerCase(Locale.ROOT))) {
                    throw new ConfigException(name, value, "not one of " + values);
                }
            }

            @Override
            public String toString() {
                return String.join(", ", values);
            }
        };
    }

    /** The constants of an enum as one writes them: lower case, '-' for '_' (head-tail, onnxruntime). */
    public static ConfigDef.Validator oneOf(Class<? extends Enum<?>> type) {
        return oneOf(Arrays.stream(type.getEnumConstants()).map(ConfigValidators::spelling).toArray(String[]::new));
    }

    public static String spelling(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Kafka's rule for topic names: 1 to 249 of a-z A-Z 0-9 . _ -, and not "." or "..". */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public static void topicName(String topic) {
        if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new IllegalArgumentException("'" + topic + "' is not a legal topic name");
        }
    }

    public static final ConfigDef.Validator TOPIC_NAME = new Check("a topic name (a-z A-Z 0-9 . _ -, at most 249)",
            ConfigValidators::topicName);

    /** For LIST keys: every item a legal topic name (Kafka's LIST type has already split on commas). */
    public static final ConfigDef.Validator TOPIC_NAMES = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            if (value == null) {
                return;
            }
            for (Object topic : (List<?>) value) {
                try {
                    topicName(topic.toString());
                } catch (IllegalArgumentException e) {
                    throw new Refused(name, value, e.getMessage());
                }
            }
        }

        @Override
        public String toString() {
            return "topic names, comma-separated";
        }
    };

    public static final ConfigDef.Validator REGEX = new Check("a Java regular expression", Pattern::compile);

    /** Free text, described for the docs (blank values mean "the default" and never reach a validator). */
    public static ConfigDef.Validator described(String allowed) {
        return new Check(allowed, value -> {
        });
    }

    private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    public static final ConfigDef.Validator SHA256_HEX = new Check("64 hex digits (bertstream inspect prints them)", value -> {
        if (!SHA256.matcher(value).matches()) {
            throw new IllegalArgumentException("not a sha256 (64 hex digits)");
        }
    });

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    /** An IPv4 or IPv6 address, or a host name; checked by shape only (no DNS lookup at start). */
    public static final ConfigDef.Validator BIND_ADDRESS = new Check("an IP address (127.0.0.1, 0.0.0.0, ::) or a host name",
            value -> {
                boolean digitsAndDots = value.chars().allMatch(c -> Character.isDigit(c) || c == '.');
                boolean ok = digitsAndDots ? IPV4.matcher(value).matches()
                        : IPV6.matcher(value).matches() || HOST_NAME.matcher(value).matches();
                if (!ok) {
                    throw new IllegalArgumentException("'" + value + "' is neither an IP address nor a host name");
                }
            });

    /** Valid when {@code parser} (the one home of that syntax, e.g. the engine's) accepts the value. */
    public static ConfigDef.Validator parsedBy(String allowed, Consumer<String> parser) {
        return new Check(allowed, parser);
    }

    /** An http:// or https:// URL with a host (one registry: the client takes no list). No reason repeats the URL. */
    public static final ConfigDef.Validator HTTP_URL = new Check("an http:// or https:// URL", value -> {
        URI url;
        try {
            url = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getReason() + " at index " + e.getIndex());
        }
        if (url.getScheme() == null || !List.of("http", "https").contains(url.getScheme().toLowerCase(Locale.ROOT))
                || url.getHost() == null) {
            throw new IllegalArgumentException("not an http:// or https:// URL with a host");
        }
    });

    /** {@code user:password}. The value is a secret: no refusal repeats it. */
    public static final ConfigDef.Validator USER_INFO = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            String text = value instanceof Password password ? password.value()
                    : value == null ? null : value.toString();
            if (text != null && (text.indexOf(':') < 1)) {
                throw new Refused(name, "[hidden]", "not in the form user:password");
            }
        }

        @Override
        public String toString() {
            return "user:password";
        }
    };

    /** A JSON Pointer (RFC 6901) as Jackson reads it: empty (the whole document) or starting with '/'. */
    public static final ConfigDef.Validator JSON_POINTER = new Check("a JSON Pointer, e.g. /text or /after/id",
            com.fasterxml.jackson.core.JsonPointer::compile);
}
