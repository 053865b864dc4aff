package io.bertstream.serde;

import io.bertstream.avro.TextEvent;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;

import java.util.Map;

/**
 * Turns an input record (key, value, headers, where it was read) into what it says — a {@link DecodedText} to embed,
 * or a {@link DecodedDelete} — or throws a {@link DecodeException} saying why not. Three input formats:
 * <ul>
 *   <li>{@code avro}: a {@link TextEvent} in either Avro framing (registry or single-object, detected by the
 *       first bytes); the id is the event's id;</li>
 *   <li>{@code json}: a JSON document, with JSON Pointers to the text and (optionally) the id; a Kafka Connect
 *       {@code {"schema":…,"payload":…}} envelope is unwrapped first, so Debezium change events work with
 *       e.g. {@code /after/description} and {@code /after/id};</li>
 *   <li>{@code string}: the value is the text, as strict UTF-8.</li>
 * </ul>
 * When the format gives no id (json without an id pointer, string, a TextEvent with an empty id), the record key
 * (strict UTF-8) is the id; without a key (null or empty) the id is {@code <topic>-<partition>-<offset>}, which is
 * stable across replays.
 *
 * <p>Deletes. A tombstone (null value) deletes the id its key names: the key itself, in every format, except json
 * with an id pointer, where the value that held the id is gone — there a JSON object key (a Connect or Debezium key,
 * its envelope unwrapped) holds the id at the id pointer (a pointer into a Debezium envelope, {@code /after/id},
 * at {@code /id}: Debezium's key is the row's primary key), a JSON string key is the id, and any other key is the id
 * as text. A Debezium delete event ({@code "op": "d"}, {@code "after": null}) deletes the id of the row as it was:
 * the id pointer under {@code before}, else its key as a tombstone's. A delete without a key, or whose key holds no
 * id, is refused ({@link DecodeException.Reason#NO_ID}): the coordinates of a delete name nothing ever embedded.
 * Headers are not used today. Implementations are thread-safe.
 */
public interface TextDecoder {

    /** Config key: {@code avro}, {@code json} (default) or {@code string}. */
    String FORMAT_CONFIG = "input.format";
    /** Config key: JSON Pointer to the text in json input (default {@code /text}). */
    String JSON_TEXT_POINTER_CONFIG = "input.json.text-pointer";
    /** Config key: JSON Pointer to the id in json input (default: none, the key is the id). */
    String JSON_ID_POINTER_CONFIG = "input.json.id-pointer";

    /**
     * The decoder's keys, defaults and allowed values: their one home. The service reads them as
     * {@code bertstream.input.*} (its table takes them from here).
     */
    ConfigDef CONFIG_DEF = new ConfigDef()
            .define(FORMAT_CONFIG, ConfigDef.Type.STRING, "json", ConfigValidators.oneOf("avro", "json", "string"),
                    ConfigDef.Importance.HIGH,
                    "json (fields found by JSON Pointer; Connect / Debezium envelopes unwrapped), avro (TextEvent), string (the value is the text)")
            .define(JSON_TEXT_POINTER_CONFIG, ConfigDef.Type.STRING, "/text", ConfigValidators.JSON_POINTER,
                    ConfigDef.Importance.MEDIUM, "json input: where the text is")
            .define(JSON_ID_POINTER_CONFIG, ConfigDef.Type.STRING, null, ConfigValidators.JSON_POINTER, ConfigDef.Importance.MEDIUM,
                    "json input: where the id is; unset: the record key, without a key topic-partition-offset");

    Decoded decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value);

    /** Avro {@link TextEvent}s; {@code registry} may be null when no input is registry-framed. */
    static TextDecoder avro(RegistryClient registry) {
        return new AvroTextDecoder(registry);
    }

    /** JSON documents; {@code idPointer} may be null to take the id from the key. */
    static TextDecoder json(String textPointer, String idPointer) {
        return new JsonTextDecoder(textPointer, idPointer);
    }

    /** Plain UTF-8 values. */
    static TextDecoder string() {
        return new StringTextDecoder();
    }

    /**
     * The decoder the {@code input.*} configs (defaults: {@link #CONFIG_DEF}) and, for avro, {@code schema.registry.*}
     * describe.
     *
     * @throws IllegalArgumentException when a value is not allowed
     */
    static TextDecoder fromConfigs(Map<String, ?> configs) {
        Map<String, Object> values;
        try {
            values = CONFIG_DEF.parse(configs);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return switch (values.get(FORMAT_CONFIG).toString().toLowerCase(java.util.Locale.ROOT)) {
            case "avro" -> avro(configs.containsKey(RegistryClient.URL_CONFIG)
                    ? new RegistryClient(RegistryClient.Settings.fromConfigs(configs)) : null);
            case "json" -> json((String) values.get(JSON_TEXT_POINTER_CONFIG), (String) values.get(JSON_ID_POINTER_CONFIG));
            default -> string();
        };
    }
}
