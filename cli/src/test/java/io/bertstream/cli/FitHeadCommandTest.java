package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bertstream fit-head` → `embed --head` (and `--prefix`) end to end on the real MiniLM, through Bertstream.execute. */
class FitHeadCommandTest {

    static final String TEXTS = """
            The goalkeeper saved a penalty in the final minute of the derby.
            Simmer the onions in butter until golden, then add the stock.
            Jürgen Klopp met officials of Borussia Dortmund in Düsseldorf.
            """;

    private static double figure(String out, String name) {
        Matcher m = Pattern.compile(name + " (\\d\\.\\d{4})").matcher(out);
        assertTrue(m.find(), name + " in:\n" + out);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aTopicHeadFitOnTheSampleLabelsWhatEmbedWrites(@TempDir Path dir) throws Exception {
        Path head = dir.resolve("topics.head.json");
        var fit = CommandLineTest.capture(() -> Bertstream.execute("fit-head", "--sample", "labels", "--layers", "3",
                "--pooling", "mean", "-o", head.toString()));
        assertEquals(0, fit.exitCode(), fit.err());
        assertTrue(fit.out().startsWith("5-fold cross-validation on 60 texts: accuracy "), fit.out());
        assertTrue(figure(fit.out(), "accuracy") >= 0.9, fit.out());
        assertTrue(figure(fit.out(), "macro_f1") >= 0.85, fit.out());
        for (String topic : List.of("sports", "cooking", "technology", "weather", "finance")) {
            assertTrue(fit.out().lines().anyMatch(l -> l.startsWith(topic + " ") && l.contains(" 12 ")), fit.out());
        }
        assertTrue(fit.err().contains("fit-head: classes head of 5 classes on minilm (layers 3; pooling mean; post-processing l2); wrote"),
                fit.err());
        assertTrue(Files.readString(head).contains("\"format\" : \"bertstream-head\""));

        Path texts = Files.writeString(dir.resolve("texts.txt"), TEXTS);
        var embed = CommandLineTest.capture(() -> Bertstream.execute("embed", "--head", head.toString(), texts.toString()));
        assertEquals(0, embed.exitCode(), embed.err());
        List<JsonNode> records = EmbedCommandTest.records(embed.out());
        assertEquals(3, records.size());
        for (JsonNode r : records) {
            assertEquals(384, r.get("vector").size(), "the model's own vector, besides the head's labels");
            assertEquals(5, r.get("labels").size());
            double sum = 0;
            for (JsonNode l : r.get("labels")) {
                sum += l.get("score").asDouble();
            }
            assertEquals(1.0, sum, 1e-4);
            assertTrue(r.at("/model/head").asText().startsWith("classes#"), r.toString());
        }
        assertEquals("sports", records.get(0).at("/labels/0/label").asText());
        assertEquals("cooking", records.get(1).at("/labels/0/label").asText());

        var other = CommandLineTest.capture(() -> Bertstream.execute("embed", "--model", "bge-small", "--head", head.toString(),
                texts.toString()));
        assertEquals(2, other.exitCode(), other.err());
        assertTrue(other.err().contains("head file was fitted for model minilm"), other.err());
    }

    @Test
    void anEntityHeadTagsWithOffsetsIntoTheTextAndCanDropTheVector(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("news.jsonl");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(Path.of("..", "engine", "src", "main", "resources",
                "io", "bertstream", "extract", "head", "entities-sample.jsonl")));
        lines.add(3, "{\"text\": \"an entity out of range\", \"entities\": [{\"start\": 3, \"end\": 99, \"type\": \"PER\"}]}");
        Files.write(dir.resolve("news.jsonl"), lines);
        Path head = dir.resolve("entities.head.json");
        var fit = CommandLineTest.capture(() -> Bertstream.execute("fit-head", "--entities", data.toString(), "--layers", "3",
                "--folds", "3", "-o", head.toString()));
        assertEquals(1, fit.exitCode(), "a bad line is reported and the rest is used: " + fit.err());
        assertTrue(fit.err().contains("line 4: entity Span[start=3, end=99, type=PER] is not a span"), fit.err());
        assertTrue(fit.out().startsWith("3-fold cross-validation on 95 texts: precision "), fit.out());
        assertTrue(figure(fit.out(), "f1") >= 0.65, fit.out());

        Path texts = Files.writeString(dir.resolve("texts.txt"), TEXTS);
        var embed = CommandLineTest.capture(() -> Bertstream.execute("embed", "--head", head.toString(), "--no-vector",
                texts.toString()));
        assertEquals(0, embed.exitCode(), embed.err());
        List<JsonNode> records = EmbedCommandTest.records(embed.out());
        String text = TEXTS.lines().toList().get(2);
        JsonNode klopp = records.get(2);
        assertEquals(0, klopp.get("dims").asInt());
        assertEquals(0, klopp.get("vector").size());
        assertFalse(klopp.get("entities").isEmpty(), klopp.toString());
        for (JsonNode e : klopp.get("entities")) {
            assertEquals(text.substring(e.get("start").asInt(), e.get("end").asInt()), e.get("text").asText());
        }
        assertTrue(klopp.get("entities").toString().contains("\"text\":\"Düsseldorf\""), klopp.toString());
    }

    @Test
    void aPrefixIsRecordedAndChangesTheVector(@TempDir Path dir) throws Exception {
        Path texts = Files.writeString(dir.resolve("texts.txt"), "What is the capital of France?\n");
        var plain = CommandLineTest.capture(() -> Bertstream.execute("embed", texts.toString()));
        var query = CommandLineTest.capture(() -> Bertstream.execute("embed", "--prefix", "query: ", texts.toString()));
        assertEquals(0, query.exitCode(), query.err());
        JsonNode a = EmbedCommandTest.records(plain.out()).get(0);
        JsonNode b = EmbedCommandTest.records(query.out()).get(0);
        assertFalse(a.at("/model").has("prefix"));
        assertEquals("query:", b.at("/model/prefix").asText());
        assertNotEquals(a.get("vector"), b.get("vector"));

        var nothing = CommandLineTest.capture(() -> Bertstream.execute("embed", "--no-vector", texts.toString()));
        assertEquals(2, nothing.exitCode(), nothing.err());
        assertTrue(nothing.err().contains("embed: --no-vector needs --head"), nothing.err());
    }
}
