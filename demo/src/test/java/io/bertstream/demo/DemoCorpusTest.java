package io.bertstream.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DemoCorpusTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DemoCorpus corpus = DemoCorpus.load();

    @Test
    void eightTopicsOfThirtyTwoDistinctTextsWithUniqueIds() throws Exception {
        Map<String, Long> perTopic = corpus.events().stream()
                .collect(Collectors.groupingBy(DemoCorpus.Event::topic, Collectors.counting()));
        assertEquals(List.of("cooking", "astronomy", "football", "finance", "medicine", "programming", "music", "travel"),
                corpus.topics());
        perTopic.forEach((topic, n) -> assertEquals(32L, n, topic));
        assertEquals(corpus.events().size(), new HashSet<>(corpus.events().stream().map(DemoCorpus.Event::id).toList()).size());
        assertEquals(corpus.events().size(), new HashSet<>(corpus.events().stream().map(DemoCorpus.Event::text).toList()).size());
        for (DemoCorpus.Event event : corpus.events()) {
            JsonNode json = JSON.readTree(DemoCorpus.json(event));
            assertEquals(event.id(), json.get("id").asText());
            assertEquals(event.text(), json.get("text").asText());
            assertTrue(event.id().startsWith(event.topic() + "-"), event.id());
        }
    }

    @Test
    void eachBadRecordIsBrokenTheWayItSays() {
        Map<String, byte[]> bad = corpus.badRecords().stream()
                .collect(Collectors.toMap(DemoCorpus.BadRecord::id, DemoCorpus.BadRecord::value));
        assertThrows(JsonProcessingException.class, () -> JSON.readTree(bad.get("bad-json")));
        assertThrows(CharacterCodingException.class,
                () -> StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bad.get("bad-utf8"))));
        assertEquals("", field(bad.get("bad-empty"), "text"));
        assertTrue(field(bad.get("bad-blank"), "text").isBlank());
        assertFalse(field(bad.get("bad-blank"), "text").isEmpty());
        assertEquals(null, field(bad.get("bad-missing"), "text"));
    }

    private static String field(byte[] json, String name) {
        try {
            JsonNode node = JSON.readTree(json).get(name);
            return node == null ? null : node.asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
