package io.bertstream.serde;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.serde.DecodeException.Reason;
import org.apache.kafka.common.header.Headers;

import java.util.Map;

/** JSON documents with JSON Pointers to the text and the id; Connect schema+payload envelopes are unwrapped. */
final class JsonTextDecoder implements TextDecoder {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonPointer textPointer;
    private final JsonPointer idPointer;

    JsonTextDecoder(String textPointer, String idPointer) {
        this.textPointer = JsonPointer.compile(textPointer);
        this.idPointer = idPointer == null ? null : JsonPointer.compile(idPointer);
    }

    @Override
    public DecodedText decode(String topic, int partition, long offset, Headers headers, byte[] key, byte[] value) {
        if (value == null) {
            throw new DecodeException(Reason.NULL_VALUE, "Null value on " + topic);
        }
        JsonNode document = unwrapConnectEnvelope(parse(StrictUtf8.decode(value, "The value")));
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
        JsonNode id = find(document, idPointer, "id");
        // Database keys are often numbers; their JSON text is a fine id.
        if (!id.isTextual() && !id.isIntegralNumber()) {
            throw new DecodeException(Reason.WRONG_TYPE, "The id at " + idPointer + " is a " + id.getNodeType() + ", not a string or integer");
        }
        return id.asText();
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
