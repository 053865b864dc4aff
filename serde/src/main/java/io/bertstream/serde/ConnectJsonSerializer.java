package io.bertstream.serde;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.time.Instant;
import java.util.Map;

/**
 * Writes records as Kafka Connect JSON with schema ({@code {"schema": …, "payload": …}}), the format
 * {@code JsonConverter} with {@code schemas.enable=true} reads: sinks get a Struct typed after the Avro
 * schema (float arrays become ARRAY of FLOAT32, {@code timestamp-millis} a Connect Timestamp, nullable
 * unions optional fields). The Connect schema is derived once from the Avro schema.
 */
public final class ConnectJsonSerializer<T extends SpecificRecord> implements Serializer<T> {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String CONNECT_TIMESTAMP = "org.apache.kafka.connect.data.Timestamp";

    private final Schema avroSchema;
    private final ObjectNode connectSchema;

    public ConnectJsonSerializer(Class<T> type) {
        this.avroSchema = SpecificData.getForClass(type).getSchema(type);
        this.connectSchema = connectSchemaOf(avroSchema, false);
    }

    /** The Connect schema (JSON form) that every message carries. */
    public JsonNode connectSchema() {
        return connectSchema.deepCopy();
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        ObjectNode envelope = NODES.objectNode();
        envelope.set("schema", connectSchema);
        envelope.set("payload", payloadOf(avroSchema, record));
        try {
            return JSON.writeValueAsBytes(envelope);
        } catch (JsonProcessingException e) {
            throw new SerializationException("Could not write " + avroSchema.getFullName() + " as JSON", e);
        }
    }

    private static ObjectNode connectSchemaOf(Schema schema, boolean optional) {
        ObjectNode node = NODES.objectNode();
        switch (schema.getType()) {
            case RECORD -> {
                node.put("type", "struct");
                ArrayNode fields = node.putArray("fields");
                for (Schema.Field field : schema.getFields()) {
                    boolean nullable = isNullableUnion(field.schema());
                    ObjectNode fieldSchema = connectSchemaOf(nullable ? nonNullBranch(field.schema()) : field.schema(), nullable);
                    fieldSchema.put("field", field.name());
                    fields.add(fieldSchema);
                }
                node.put("name", schema.getFullName());
            }
            case ARRAY -> {
                node.put("type", "array");
                node.set("items", connectSchemaOf(schema.getElementType(), false));
            }
            case MAP -> {
                node.put("type", "map");
                node.set("keys", NODES.objectNode().put("type", "string").put("optional", false));
                node.set("values", connectSchemaOf(schema.getValueType(), false));
            }
            case STRING -> node.put("type", "string");
            case INT -> node.put("type", "int32");
            case LONG -> {
                node.put("type", "int64");
                if (schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                    node.put("name", CONNECT_TIMESTAMP).put("version", 1);
                }
            }
            case FLOAT -> node.put("type", "float");
            case DOUBLE -> node.put("type", "double");
            case BOOLEAN -> node.put("type", "boolean");
            default -> throw new IllegalArgumentException("No Connect JSON mapping for Avro " + schema);
        }
        node.put("optional", optional);
        return node;
    }

    private static JsonNode payloadOf(Schema schema, Object value) {
        if (value == null) {
            return NODES.nullNode();
        }
        if (isNullableUnion(schema)) {
            return payloadOf(nonNullBranch(schema), value);
        }
        return switch (schema.getType()) {
            case RECORD -> {
                IndexedRecord record = (IndexedRecord) value;
                ObjectNode node = NODES.objectNode();
                for (Schema.Field field : schema.getFields()) {
                    node.set(field.name(), payloadOf(field.schema(), record.get(field.pos())));
                }
                yield node;
            }
            case ARRAY -> {
                ArrayNode node = NODES.arrayNode();
                for (Object element : (Iterable<?>) value) {
                    node.add(payloadOf(schema.getElementType(), element));
                }
                yield node;
            }
            case MAP -> {
                ObjectNode node = NODES.objectNode();
                ((Map<?, ?>) value).forEach((key, element) -> node.set(key.toString(), payloadOf(schema.getValueType(), element)));
                yield node;
            }
            case STRING -> NODES.textNode(value.toString());
            case INT -> NODES.numberNode((Integer) value);
            // timestamp-millis arrives as an Instant from generated classes, as a long from generic ones
            case LONG -> NODES.numberNode(value instanceof Instant instant ? instant.toEpochMilli() : (long) (Long) value);
            case FLOAT -> NODES.numberNode((float) finite(((Float) value).doubleValue()));
            case DOUBLE -> NODES.numberNode(finite((Double) value));
            case BOOLEAN -> NODES.booleanNode((Boolean) value);
            default -> throw new IllegalArgumentException("No Connect JSON mapping for Avro " + schema);
        };
    }

    /** JSON has no NaN or infinity; Jackson would write a bare NaN token that JsonConverter cannot parse. */
    private static double finite(double value) {
        if (!Double.isFinite(value)) {
            throw new SerializationException("JSON cannot carry the non-finite number " + value);
        }
        return value;
    }

    private static boolean isNullableUnion(Schema schema) {
        return schema.isUnion() && schema.getTypes().size() == 2 && schema.isNullable();
    }

    private static Schema nonNullBranch(Schema union) {
        return union.getTypes().stream().filter(branch -> branch.getType() != Schema.Type.NULL).findFirst().orElseThrow();
    }
}
