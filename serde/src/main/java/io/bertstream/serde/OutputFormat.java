package io.bertstream.serde;

import io.bertstream.avro.EmbeddingRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.util.Locale;
import java.util.Map;

/** The wire formats of the output topic; one place that turns a choice and its configs into a serializer. */
public enum OutputFormat {
    /** Confluent Schema Registry framing; needs {@value RegistryClient#URL_CONFIG}. */
    REGISTRY,
    /** Registry-less Avro single-object encoding; the default. */
    SINGLE_OBJECT,
    /** Kafka Connect JSON with schema, for sinks with {@code JsonConverter(schemas.enable=true)}. */
    CONNECT_JSON;

    /** The serializer for output values ({@link EmbeddingRecord}s). */
    public Serializer<EmbeddingRecord> serializer(Map<String, ?> configs) {
        return serializer(EmbeddingRecord.class, configs);
    }

    /** A value serializer for any generated record class (e.g. TextEvent, for producers of input). */
    public <T extends SpecificRecord> Serializer<T> serializer(Class<T> type, Map<String, ?> configs) {
        Serializer<T> serializer = switch (this) {
            case REGISTRY -> new RegistryAvroSerializer<>(type, new RegistryClient(RegistryClient.Settings.fromConfigs(configs)));
            case SINGLE_OBJECT -> new SingleObjectSerializer<>(type);
            case CONNECT_JSON -> new ConnectJsonSerializer<>(type);
        };
        serializer.configure(configs, false);
        return serializer;
    }

    /**
     * A deserializer for the Avro formats (it reads both framings, whichever this format is). CONNECT_JSON has
     * none: it is meant for Kafka Connect's JsonConverter.
     */
    public <T extends SpecificRecord> Deserializer<T> deserializer(Class<T> type, Map<String, ?> configs) {
        return switch (this) {
            case REGISTRY -> new AvroDeserializer<>(type, new RegistryClient(RegistryClient.Settings.fromConfigs(configs)));
            case SINGLE_OBJECT -> new AvroDeserializer<>(type, configs.containsKey(RegistryClient.URL_CONFIG)
                    ? new RegistryClient(RegistryClient.Settings.fromConfigs(configs)) : null);
            case CONNECT_JSON -> throw new UnsupportedOperationException("CONNECT_JSON is read by Kafka Connect's JsonConverter");
        };
    }

    /** Serializer and deserializer together, for the Avro formats (see {@link #deserializer}). */
    public <T extends SpecificRecord> Serde<T> serde(Class<T> type, Map<String, ?> configs) {
        return Serdes.serdeFrom(serializer(type, configs), deserializer(type, configs));
    }

    /** Parses {@code registry}, {@code single-object}, {@code connect-json} (any case, '-' or '_'). */
    public static OutputFormat parse(String name) {
        return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
