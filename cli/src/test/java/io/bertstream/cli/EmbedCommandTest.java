package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bertstream embed` and `fit-pca` end to end on the real MiniLM, through Bertstream.execute. */
class EmbedCommandTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> records(String jsonl) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    static double norm(JsonNode vector) {
        double s = 0;
        for (JsonNode x : vector) {
            s += x.asDouble() * x.asDouble();
        }
        return Math.sqrt(s);
    }

    @Test
    void txtFileToJsonlWithBadLinesReportedAndTheRestEmbedded(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("texts.txt"), "The cat sits on the mat.\n   \nStock markets fell on Monday.\n");
        Path out = dir.resolve("out.jsonl");
        var run = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "-o", out.toString()));
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("embed: line 2: "), run.err());
        assertTrue(run.err().contains("1 of 3 lines failed"), run.err());
        List<JsonNode> records = records(Files.readString(out));
        assertEquals(List.of(1, 3), records.stream().map(r -> r.get("id").asInt()).toList());
        for (JsonNode r : records) {
            assertEquals("minilm", r.at("/model/name").asText());
            assertEquals(64, r.at("/model/sha256").asText().length());
            assertEquals("-1", r.get("layers").asText());
            assertEquals("mean", r.get("pooling").asText());
            assertEquals("l2", r.get("post_processing").asText());
            assertEquals(384, r.get("dims").asInt());
            assertEquals(384, r.get("vector").size());
            assertEquals(1.0, norm(r.get("vector")), 1e-4);
            assertFalse(r.get("truncated").asBoolean());
            assertTrue(r.get("token_count").asInt() > 5);
        }
    }

    @Test
    void stdinJsonlToStdoutChunkedWithDocumentVectorsAndBinaryCodes() throws Exception {
        String longText = String.join(" ", java.util.Collections.nCopies(8, "The quick brown fox jumps over the lazy dog."));
        String stdin = "{\"id\": \"short\", \"text\": \"Hello world.\"}\n{\"id\": 7, \"text\": \"" + longText + "\"}\nnot json\n{\"id\": \"x\"}\n";
        InputStream original = System.in;
        CommandLineTest.Run run;
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            run = CommandLineTest.capture(() -> Bertstream.execute("embed", "--format", "jsonl", "--long", "chunk",
                    "--max-tokens", "32", "--overlap", "8", "--doc-vector", "--quantize", "binary"));
        } finally {
            System.setIn(original);
        }
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("line 3: malformed JSON"), run.err());
        assertTrue(run.err().contains("line 4 (id \"x\"): missing \"text\""), run.err());
        List<JsonNode> records = records(run.out());
        JsonNode shortOne = records.get(0);
        assertEquals("short", shortOne.get("id").asText());
        assertEquals(0, shortOne.at("/chunk/index").asInt());
        assertEquals(1, shortOne.at("/chunk/count").asInt());
        List<JsonNode> chunks = records.stream().filter(r -> r.get("id").asText().equals("7")).toList();
        int count = chunks.get(0).at("/chunk/count").asInt();
        assertTrue(count >= 3, "long text is cut into chunks: " + count);
        assertEquals(count + 1, chunks.size(), "one record per chunk plus the document vector");
        JsonNode doc = chunks.get(count);
        assertTrue(doc.at("/chunk/document").asBoolean());
        assertEquals(longText.length(), doc.at("/chunk/char_end").asInt());
        for (JsonNode r : records) {
            assertEquals("l2,binary", r.get("post_processing").asText());
            assertEquals(48, r.get("dims").asInt());
            assertEquals(48, r.get("vector").size());
            assertEquals("binary", r.at("/quantization/kind").asText());
            for (JsonNode code : r.get("vector")) {
                assertTrue(code.isInt() && code.asInt() >= -128 && code.asInt() <= 127, code.toString());
            }
        }
    }

    @Test
    void wordVectorsForTokenLevelOutput(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "Tokenization is unbelievable.\n");
        Path out = dir.resolve("out.jsonl");
        var run = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "-o", out.toString(),
                "--pooling", "none", "--word-vectors", "--layers=-4..-1", "--combine", "mean"));
        assertEquals(0, run.exitCode(), run.err());
        JsonNode r = records(Files.readString(out)).get(0);
        assertEquals("-4..-1 mean", r.get("layers").asText());
        assertEquals("none", r.get("pooling").asText());
        List<String> words = new ArrayList<>();
        r.get("tokens").forEach(t -> words.add(t.get("token").asText()));
        assertEquals(List.of("Tokenization", "is", "unbelievable."), words);
        assertEquals(384, r.at("/tokens/0/vector").size());
        assertEquals("Tokenization is ".length(), r.at("/tokens/2/start").asInt());
    }

    @Test
    void badRequestsAreUsageErrorsThatSayWhatIsValid(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "hello\n");
        var layer = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--layers", "9"));
        assertEquals(2, layer.exitCode());
        assertTrue(layer.err().contains("valid are 0..6"), layer.err());
        var pooler = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--pooling", "pooler"));
        assertEquals(2, pooler.exitCode());
        assertTrue(pooler.err().contains("valid poolings for it are"), pooler.err());
        var dims = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--truncate-dims", "500"));
        assertEquals(2, dims.exitCode());
        assertTrue(dims.err().contains("valid are 1..384"), dims.err());
        var quantize = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--quantize", "int4"));
        assertEquals(2, quantize.exitCode());
        assertTrue(quantize.err().contains("valid are int8, binary"), quantize.err());
        var precision = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--precision", "int4"));
        assertEquals(2, precision.exitCode());
        // --precision is bertstream.precision (@Setting): refused by the key's own rule, in its words, naming the option
        assertTrue(precision.err().contains("--precision=int4 is refused; allowed: fp32, fp16, bf16, int8"), precision.err());
    }

    @Test
    void fitPcaWritesAFileThatEmbedAppliesOnlyToTheSameExtraction(@TempDir Path dir) throws Exception {
        Path pca = dir.resolve("pca.json");
        var fit = CommandLineTest.capture(() -> Bertstream.execute("fit-pca", "--sample", "--dims", "16", "-o", pca.toString()));
        assertEquals(0, fit.exitCode(), fit.err());
        assertTrue(fit.err().contains("384 -> 16 dims"), fit.err());
        Path in = Files.writeString(dir.resolve("t.txt"), "It will rain tomorrow.\n");
        Path out = dir.resolve("out.jsonl");
        var embed = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--pca", pca.toString(), "-o", out.toString()));
        assertEquals(0, embed.exitCode(), embed.err());
        JsonNode r = records(Files.readString(out)).get(0);
        assertEquals(16, r.get("vector").size());
        assertTrue(r.get("post_processing").asText().startsWith("l2,pca:16#"), r.toString());
        assertEquals(1.0, norm(r.get("vector")), 1e-4);
        var other = CommandLineTest.capture(() -> Bertstream.execute("embed", in.toString(), "--pca", pca.toString(), "--pooling", "cls"));
        assertEquals(2, other.exitCode());
        assertTrue(other.err().contains("fitted for extraction"), other.err());
    }
}
