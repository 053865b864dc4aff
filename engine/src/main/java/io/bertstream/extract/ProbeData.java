package io.bertstream.extract;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import java.util.function.Function;

/**
 * Labelled data for {@code probe-layers}: sentence pairs with a similarity score, or texts with a class label,
 * as TSV ({@code text_a<TAB>text_b<TAB>score}, {@code text<TAB>label}; an optional header line with those names; lines
 * starting with # are comments) or JSONL
 * ({@code {"text_a", "text_b", "score"}}, {@code {"text", "label"}}). Bad lines are reported with their number and
 * skipped. Two small samples written by the team ship with bertstream.
 */
public final class ProbeData {

    public record ScoredPair(String textA, String textB, double score) {
    }

    public record LabelledText(String text, String label) {
    }

    /** What a file held: the good lines, and a message per bad line. */
    public record Loaded<T>(List<T> items, List<String> errors) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProbeData() {
    }

    public static Loaded<ScoredPair> pairs(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, isJsonl(file), 3, ProbeData::pair);
        }
    }

    public static Loaded<LabelledText> labels(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, isJsonl(file), 2, ProbeData::labelled);
        }
    }

    /** The shipped sample: 66 scored pairs. */
    public static List<ScoredPair> samplePairs() {
        return sample("probe-pairs.tsv", 3, ProbeData::pair);
    }

    /** The shipped sample: 60 texts in 5 topics (sports, cooking, technology, weather, finance). */
    public static List<LabelledText> sampleLabels() {
        return sample("probe-labels.tsv", 2, ProbeData::labelled);
    }

    private static <T> List<T> sample(String name, int columns, Function<Fields, T> parse) {
        try (InputStream in = ProbeData.class.getResourceAsStream(name)) {
            Loaded<T> loaded = read(in, false, columns, parse);
            if (!loaded.errors().isEmpty()) {
                throw new IllegalStateException("shipped sample " + name + " is broken: " + loaded.errors());
            }
            return loaded.items();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isJsonl(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".jsonl") || name.endsWith(".json");
    }

    /** The fields of one line by name: TSV columns are named by position. */
    private record Fields(JsonNode json, String[] columns) {
        String text(String name, int column) {
            String value = json != null ? (json.hasNonNull(name) ? json.get(name).asText() : null)
                    : column < columns.length ? columns[column] : null;
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("missing or empty '" + name + "'");
            }
            return value.strip();
        }
    }

    private static ScoredPair pair(Fields f) {
        String score = f.text("score", 2);
        try {
            return new ScoredPair(f.text("text_a", 0), f.text("text_b", 1), Double.parseDouble(score));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("score '" + score + "' is not a number");
        }
    }

    private static LabelledText labelled(Fields f) {
        return new LabelledText(f.text("text", 0), f.text("label", 1));
    }

    private static <T> Loaded<T> read(InputStream in, boolean jsonl, int columns, Function<Fields, T> parse) throws IOException {
        List<T> items = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            boolean header = !jsonl && items.isEmpty() && errors.isEmpty() && line.matches("text(_a)?\t.*");
            if (line.isBlank() || line.startsWith("#") || header) {
                continue;
            }
            try {
                Fields fields = jsonl ? new Fields(JSON.readTree(line), null) : new Fields(null, line.split("\t", -1));
                if (!jsonl && fields.columns().length != columns) {
                    throw new IllegalArgumentException("expected " + columns + " tab-separated columns, found " + fields.columns().length);
                }
                items.add(parse.apply(fields));
            } catch (JsonProcessingException e) {
                errors.add("line " + number + ": malformed JSON: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                errors.add("line " + number + ": " + e.getMessage());
            }
        }
        return new Loaded<>(items, errors);
    }
}
