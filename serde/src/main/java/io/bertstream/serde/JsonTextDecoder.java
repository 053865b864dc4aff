package io.bertstream.serde;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.kafka.common.header.Headers;

import java.util.Map;

/**
 * JSON documents with JSON Pointers to the text and the id; Connect schema+payload envelopes are unwrapped. A
 * tombstone, or a Debezium delete event, is a {@link DecodedDelete}; where its id comes from is in
 * {@link TextDecoder}.
 */
final class JsonTextDecoder implements TextDecoder {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Debezium's change event: the row after the change, and before it. */
    private static final String AFTER = "after";
    private static final String BEFORE = "before";

    private final JsonPointer textPointer;
    private final JsonPointer idPointer;
    /** The id pointer without a leading /after or /before, as it applies to a Debezium key (the row's primary key). */
    private final JsonPointer idPointerInRow;
    /** The id pointer with a leading /after as /before: where a Debezium delete event holds the id. */
    private final JsonPointer idPointerBefore;

    JsonTextDecoder(String textPointer, String idPointer) {
        this.textPointer = JsonPointer.compile(textPointer);
        this.idPointer = idPointer == null ? null : JsonPointer.compile(idPointer);
        boolean inEnvelope = this.idPointer != null && !this.idPointer.tail().matches()
                && (AFTER.equals(this.idPointer.getMatchingProperty()) || BEFORE.equals(this.idPointer.getMatchingProperty()));
        this.idPointerInRow = inEnvelope ? this.idPointer.tail() : null;
        this.idPointerBefore = inEnvelope ? JsonPointer.compile("/" + BEFORE + this.idPointer.tail()) : null;
    }

    @Override
    public Decoded decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            return new DecodedDelete(idOfTombstone(key), DecodedDelete.Kind.TOMBSTONE);
        }
        JsonNode document = unwrapConnectEnvelope(parse(StrictUtf8.decode(value, "The value")));
        if (isDeleteEvent(document)) {
            return new DecodedDelete(idOfDeleteEvent(document, key), DecodedDelete.Kind.DELETE_EVENT);
        }
        JsonNode text = find(document, textPointer, "text");
        if (!text.isTextual()) {
            throw new DecodeException(Reason.WRONG_TYPE, "The text at " + textPointer + " is a " + text.getNodeType() + ", not a string");
        }
        return new DecodedText(idOf(document, key, topic, partition, offset), text.asText(), Map.of(), null);
    }

    private String idOf(JsonNode document, byte[] key, String topic, int partition, long offset) {
        if (idPointer == null) {
            return StrictUtf8.idFromKeyOr(key, topic, partition, offset);
        }
        return idText(find(document, idPointer, "id"), idPointer);
    }

    /** Database keys are often numbers; their JSON text is a fine id. */
    private static String idText(JsonNode id, JsonPointer where) {
        if (!id.isTextual() && !id.isIntegralNumber()) {
            throw new DecodeException(Reason.WRONG_TYPE, "The id at " + where + " is a " + id.getNodeType() + ", not a string or integer");
        }
        return id.asText();
    }

    /** Debezium's delete event: {"op": "d", "after": null, "before": the row as it was, ...}. */
    private static boolean isDeleteEvent(JsonNode document) {
        return document.isObject() && "d".equals(document.path("op").textValue())
                && document.has(AFTER) && document.get(AFTER).isNull();
    }

    /** The id in the row as it was (the id pointer under before instead of after), else from the key as a tombstone's. */
    private String idOfDeleteEvent(JsonNode event, byte[] key) {
        if (idPointer == null) {
            return StrictUtf8.idFromKeyOfDelete(key, "A delete event");
        }
        if (idPointerBefore != null) {
            JsonNode id = event.at(idPointerBefore);
            if (!id.isMissingNode() && !id.isNull()) {
                return idText(id, idPointerBefore);
            }
        }
        return idOfTombstone(key);
    }

    /**
     * A tombstone has no value to point into, so its key says which id it deletes: without an id pointer, the key
     * (as for every record); with one, a JSON object key (a Connect or Debezium key, its envelope unwrapped) holds
     * the id at the id pointer — for a pointer into a Debezium envelope, /after/id, at /id, since the key is the
     * row's primary key — a JSON string key is the id, and any other key is the id as text.
     */
    private String idOfTombstone(byte[] key) {
        String text = StrictUtf8.idFromKeyOfDelete(key, "A tombstone");
        if (idPointer == null) {
            return text;
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return text; // a plain key: the id itself
        }
        if (parsed == null || parsed.isMissingNode()) {
            return text;
        }
        if (parsed.isTextual()) {
            return parsed.textValue();
        }
        if (!parsed.isObject()) {
            return text;
        }
        JsonNode row = unwrapConnectEnvelope(parsed);
        JsonNode id = row.at(idPointer);
        JsonPointer where = idPointer;
        if ((id.isMissingNode() || id.isNull()) && idPointerInRow != null) {
            id = row.at(idPointerInRow);
            where = idPointerInRow;
        }
        if (id.isMissingNode() || id.isNull()) {
            throw new DecodeException(Reason.NO_ID, "The key " + text + " holds no id at " + idPointer
                    + (idPointerInRow == null ? "" : " or " + idPointerInRow) + ": nothing says which id the delete removes");
        }
        return idText(id, where);
    }

    private static JsonNode parse(String json) {
        try {
            JsonNode document = JSON.readTree(json);
            if (document == null || document.isMissingNode()) {
                throw new DecodeException(Reason.MALFORMED_JSON, "Empty JSON value");
            }
            return document;
        } catch (JsonProcessingException e) {
            throw new DecodeException(Reason.MALFORMED_JSON, "Malformed JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode find(JsonNode document, JsonPointer pointer, String what) {
        JsonNode node = document.at(pointer);
        if (node.isMissingNode() || node.isNull()) {
            throw new DecodeException(Reason.POINTER_NOT_FOUND,
                    "No " + what + " at " + pointer + (node.isNull() ? " (it is null)" : ""));
        }
        return node;
    }

    /** Kafka Connect's JsonConverter (schemas.enable=true) wraps the data as {"schema":…,"payload":…}. */
    private static JsonNode unwrapConnectEnvelope(JsonNode document) {
        boolean envelope = document.isObject() && document.size() == 2 && document.has("schema") && document.has("payload");
        return envelope ? document.get("payload") : document;
    }
}
