package io.bertstream.serde;

import io.bertstream.avro.TextEvent;
import org.apache.kafka.common.header.Headers;

import java.util.Locale;
import java.util.Map;

/**
 * Turns an input record (key, value, headers, where it was read) into a {@link DecodedText}, or throws a
 * {@link DecodeException} saying why not. Three input formats:
 * <ul>
 *   <li>{@code avro}: a {@link TextEvent} in either Avro framing (registry or single-object, detected by the
 *       first bytes); the id is the event's id;</li>
 *   <li>{@code json}: a JSON document, with JSON Pointers to the text and (optionally) the id; a Kafka Connect
 *       {@code {"schema":…,"payload":…}} envelope is unwrapped first, so Debezium change events work with
 *       e.g. {@code /after/description} and {@code /after/id};</li>
 *   <li>{@code string}: the value is the text, as strict UTF-8.</li>
 * </ul>
 * When the format gives no id (json without an id pointer, string), the record key (strict UTF-8) is the
 * id; without a key either, the id is {@code <topic>-<partition>-<offset>}, which is stable across replays.
 * Headers are not used today. Implementations are thread-safe.
 */
public interface TextDecoder {

    /** Config key: {@code avro}, {@code json} or {@code string} (default). */
    String FORMAT_CONFIG = "input.format";
    /** Config key: JSON Pointer to the text in json input (default {@code /text}). */
    String JSON_TEXT_POINTER_CONFIG = "input.json.text.pointer";
    /** Config key: JSON Pointer to the id in json input (default: none, the key is the id). */
    String JSON_ID_POINTER_CONFIG = "input.json.id.pointer";

    DecodedText decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value);

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

    /** The decoder the {@code input.*} configs (and, for avro, {@code schema.registry.*}) describe. */
    static TextDecoder fromConfigs(Map<String, ?> configs) {
        String format = configs.containsKey(FORMAT_CONFIG) ? String.valueOf(configs.get(FORMAT_CONFIG)).trim().toLowerCase(Locale.ROOT) : "string";
        return switch (format) {
            case "avro" -> avro(configs.containsKey(RegistryClient.URL_CONFIG)
                    ? new RegistryClient(RegistryClient.Settings.fromConfigs(configs)) : null);
            case "json" -> json(configs.containsKey(JSON_TEXT_POINTER_CONFIG) ? String.valueOf(configs.get(JSON_TEXT_POINTER_CONFIG)) : "/text",
                    configs.containsKey(JSON_ID_POINTER_CONFIG) ? String.valueOf(configs.get(JSON_ID_POINTER_CONFIG)) : null);
            case "string" -> string();
            default -> throw new IllegalArgumentException(FORMAT_CONFIG + " must be avro, json or string, not " + format);
        };
    }
}
