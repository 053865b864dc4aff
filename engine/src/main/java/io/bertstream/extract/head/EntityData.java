package io.bertstream.extract.head;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts with entity spans for {@code fit-head --entities}: JSONL {@code {"text": "...", "entities": [{"start": 0,
 * "end": 5, "type": "PER"}]}}, char offsets (UTF-16 units, end exclusive) into the text. Bad lines are reported
 * with their number and skipped: malformed JSON, no text, a span outside the text, empty or overlapping spans.
 */
public final class EntityData {

    /** One gold entity. */
    public record Span(int start, int end, String type) {
    }

    /** One text with its entities, in text order. */
    public record EntityText(String text, List<Span> entities) {
    }

    /** The good lines, and a message per bad line. */
    public record Loaded(List<EntityText> items, List<String> errors) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private EntityData() {
    }

    public static Loaded read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in);
        }
    }

    /** The shipped sample: short news-style sentences tagged PER, ORG and LOC. */
    public static List<EntityText> sample() {
        try (InputStream in = EntityData.class.getResourceAsStream("entities-sample.jsonl")) {
            Loaded loaded = read(in);
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException("shipped sample entities-sample.jsonl is broken: " + loaded.errors());
            }
            return loaded.items();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Loaded read(InputStream in) throws IOException {
        List<EntityText> items = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            try {
                items.add(parse(JSON.readTree(line)));
            } catch (IOException e) {
                errors.add("line " + number + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
            } catch (IllegalArgumentException e) {
                errors.add("line " + number + ": " + e.getMessage());
            }
        }
        return new Loaded(items, errors);
    }

    private static EntityText parse(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("text").isTextual() || node.get("text").asText().isBlank()) {
            throw new IllegalArgumentException("expected {\"text\": \"...\", \"entities\": [{\"start\", \"end\", \"type\"}]}");
        }
        String text = node.get("text").asText();
        List<Span> spans = new ArrayList<>();
        for (JsonNode e : node.path("entities")) {
            if (!e.path("start").canConvertToInt() || !e.path("end").canConvertToInt() || !e.path("type").isTextual()
                    || e.get("type").asText().isBlank()) {
                throw new IllegalArgumentException("an entity needs integer start and end and a type: " + e);
            }
            Span span = new Span(e.get("start").asInt(), e.get("end").asInt(), e.get("type").asText().strip());
            if (span.start() < 0 || span.end() > text.length() || span.start() >= span.end()) {
                throw new IllegalArgumentException("entity " + span + " is not a span of the " + text.length() + "-char text");
            }
            spans.add(span);
        }
        spans.sort(java.util.Comparator.comparingInt(Span::start));
        for (int i = 1; i < spans.size(); i++) {
            if (spans.get(i).start() < spans.get(i - 1).end()) {
                throw new IllegalArgumentException("entities " + spans.get(i - 1) + " and " + spans.get(i) + " overlap");
            }
        }
        return new EntityText(text, List.copyOf(spans));
    }
}
