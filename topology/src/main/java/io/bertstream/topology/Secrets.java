package io.bertstream.topology;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.streams.StreamsConfig;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which configuration values never reach a log line:
 * <ul>
 *   <li>every key Kafka's own client definitions type PASSWORD (Streams, producer, consumer, admin: asked of
 *       Kafka rather than listed here, so the secrets of a newer Kafka are covered too), bare or behind a Streams
 *       client prefix ({@code producer.}, {@code main.consumer.}, ...);</li>
 *   <li>bertstream's own PASSWORD keys (the registry's basic auth);</li>
 *   <li>as a net for keys no definition knows (a plugin's callback handler settings, say), any key whose name
 *       says it holds a secret (password, secret, credentials, ...).</li>
 * </ul>
 * In every other value, credentials in URLs ({@code https://user:password@host}) are masked.
 */
final class Secrets {

    static final String HIDDEN = "[hidden]";

    /** Streams hands keys with these prefixes to one kind of client; longest first, so main.consumer. wins. */
    private static final List<String> CLIENT_PREFIXES = List.of(StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX, StreamsConfig.CONSUMER_PREFIX,
            StreamsConfig.PRODUCER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX);

    private static final Set<String> PASSWORD_KEYS = Stream.of(StreamsConfig.configDef(), ProducerConfig.configDef(),
                    ConsumerConfig.configDef(), AdminClientConfig.configDef(), BertstreamConfig.KEYS)
            .flatMap(definition -> definition.configKeys().values().stream())
            .filter(key -> key.type == ConfigDef.Type.PASSWORD)
            .map(key -> key.name)
            .collect(Collectors.toUnmodifiableSet());

    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|passphrase|secret|jaas\\.config|user\\.info"
            + "|credentials|api\\.key|access\\.token|bearer\\.token|private\\.key).*");

    private static final Pattern URL_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

    private Secrets() {
    }

    static boolean isSecret(String key) {
        if (PASSWORD_KEYS.contains(key) || SECRET_NAME.matcher(key).matches()) {
            return true;
        }
        for (String prefix : CLIENT_PREFIXES) {
            if (key.startsWith(prefix)) {
                return PASSWORD_KEYS.contains(key.substring(prefix.length()));
            }
        }
        return false;
    }

    /** The value as it may be logged. */
    static String mask(String key, String value) {
        if (value == null || value.isEmpty()) {
            return value;
        }
        return isSecret(key) ? HIDDEN : URL_USER_INFO.matcher(value).replaceAll(HIDDEN + "@");
    }

    /** Every key Kafka or bertstream types PASSWORD, bare (for tests: the masking covers each, prefixed too). */
    static Set<String> passwordKeys() {
        return PASSWORD_KEYS;
    }

    static List<String> clientPrefixes() {
        return CLIENT_PREFIXES;
    }
}
