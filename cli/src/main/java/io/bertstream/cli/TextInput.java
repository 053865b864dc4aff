package io.bertstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Texts from a .txt file (one per line; id = line number), a .jsonl file ({"id", "text"}) or stdin: embed's and fit-pca's input. */
final class TextInput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TextInput() {
    }

    /** One input line: its text and id, or why it cannot be embedded. */
    record Line(int number, JsonNode id, String text, String error) {
        String where() {
            return "line " + number + (id.isNumber() && id.asInt() == number ? "" : " (id " + id + ")");
        }
    }

    static boolean isJsonl(String format, String input) {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "jsonl" -> true;
            case "txt" -> false;
            case "auto" -> input != null && (input.endsWith(".jsonl") || input.endsWith(".json"));
            default -> throw new IllegalArgumentException("unknown --format '" + format + "': valid are auto, txt, jsonl");
        };
    }

    static BufferedReader open(String input) throws IOException {
        return input == null || input.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }

    /** Reads lines in micro-batches of a given size. */
    static final class Lines {
        private final BufferedReader reader;
        private final boolean jsonl;
        private int number;

        Lines(BufferedReader reader, boolean jsonl) {
            this.reader = reader;
            this.jsonl = jsonl;
        }

        int count() {
            return number;
        }

        List<Line> next(int max) {
            List<Line> batch = new ArrayList<>();
            try {
                String line;
                while (batch.size() < max && (line = reader.readLine()) != null) {
                    number++;
                    batch.add(jsonl ? parseJson(number, line) : new Line(number, JSON.getNodeFactory().numberNode(number), line, null));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return batch;
        }

        private static Line parseJson(int number, String line) {
            JsonNode lineNumber = JSON.getNodeFactory().numberNode(number);
            try {
                JsonNode node = JSON.readTree(line);
                if (node == null || !node.isObject()) {
                    return new Line(number, lineNumber, null, "not a JSON object: expected {\"id\": ..., \"text\": \"...\"}");
                }
                JsonNode id = node.hasNonNull("id") ? node.get("id") : lineNumber;
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) {
                    return new Line(number, id, null, "missing \"text\" string: expected {\"id\": ..., \"text\": \"...\"}");
                }
                return new Line(number, id, text.asText(), null);
            } catch (JsonProcessingException e) {
                return new Line(number, lineNumber, null, "malformed JSON: " + e.getOriginalMessage());
            }
        }
    }
}
