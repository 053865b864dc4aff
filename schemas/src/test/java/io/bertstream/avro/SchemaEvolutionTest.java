package io.bertstream.avro;

import io.bertstream.avro.state.CachedVectors;
import io.bertstream.avro.state.ChunkCount;
import io.bertstream.avro.state.PendingRecord;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class SchemaEvolutionTest {

    static Stream<Schema> currentSchemas() {
        // The public contract, and the changelogged state whose fingerprints are its format versions.
        return Stream.of(EmbeddingRecord.getClassSchema(), TextEvent.getClassSchema(),
                PendingRecord.getClassSchema(), CachedVectors.getClassSchema(),
                ChunkCount.getClassSchema());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void currentSchemaReadsEveryReleasedVersion(Schema current) {
        List<Schema> released = SchemaHistory.released(current.getName());
        assertFalse(released.isEmpty(), "no released version of " + current.getName() + " is kept");
        for (int i = 0; i < released.size(); i++) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, released.get(i)).getResult();
            assertEquals(SchemaCompatibilityType.COMPATIBLE, result.getCompatibility(),
                    current.getName() + " cannot read v" + (i + 1) + ": " + result.getIncompatibilities());
        }
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void latestReleaseIsTheCurrentSchemaUntilANewVersionIsKept(Schema current) {
        // A change to the .avsc must come with a new history/vN copy, or the released contract drifts unnoticed.
        List<Schema> released = SchemaHistory.released(current.getName());
        Schema latest = released.get(released.size() - 1);
        assertEquals(SchemaNormalization.parsingFingerprint64(latest), SchemaNormalization.parsingFingerprint64(current),
                current.getName() + " differs from its latest released version: add history/v" + (released.size() + 1));
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void theCheckAcceptsAFieldAddedWithADefault(Schema current) {
        // Rule 1 of docs/schemas.md, shown to hold: an added nullable field with default null reads old data.
        Schema evolved = withFirstField(current, "{\"name\":\"added\",\"type\":[\"null\",\"string\"],\"default\":null}");
        Schema v1 = SchemaHistory.released(current.getName()).get(0);
        assertEquals(SchemaCompatibilityType.COMPATIBLE, SchemaCompatibility.checkReaderWriterCompatibility(evolved, v1).getType());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void theCheckRejectsAnIncompatibleChange(Schema current) {
        // Guards the guard: a new field without a default cannot read old data, and the check must say so.
        Schema incompatible = withFirstField(current, "{\"name\":\"added_without_default\",\"type\":\"string\"}");
        Schema v1 = SchemaHistory.released(current.getName()).get(0);
        assertNotEquals(SchemaCompatibilityType.COMPATIBLE,
                SchemaCompatibility.checkReaderWriterCompatibility(incompatible, v1).getType());
    }

    private static Schema withFirstField(Schema schema, String fieldJson) {
        return new Schema.Parser().parse(schema.toString().replaceFirst("\"fields\":\\[", "\"fields\":[" + fieldJson + ","));
    }
}
