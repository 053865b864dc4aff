package io.bertstream.topology;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.util.Properties;

/** The producer settings Kafka Streams will use: producer.-prefixed or plain keys, its own overrides, the client defaults. */
final class ProducerSettings {

    private ProducerSettings() {
    }

    static String value(Properties streamsProps, String key) {
        // Without logging: KafkaStreams logs the whole config once already.
        Object value = new StreamsConfig(streamsProps, false) { }.getProducerConfigs("settings").get(key);
        if (value == null) {
            value = ProducerConfig.configDef().defaultValues().get(key);
        }
        return String.valueOf(value);
    }

    static int intValue(Properties streamsProps, String key) {
        return Integer.parseInt(value(streamsProps, key));
    }
}
