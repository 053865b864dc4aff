package io.bertstream.extract;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProbeDataTest {

    @Test
    void tsvPairsSkipHeaderAndCommentsAndReportBadLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("pairs.tsv");
        Files.writeString(file, "text_a\ttext_b\tscore\n# a comment\nA cat.\tA kitten.\t4.5\nonly two\tcolumns\n"
                + "x\ty\tmuch\nA dog.\tA car.\t0\n");
        ProbeData.Loaded<ProbeData.ScoredPair> loaded = ProbeData.pairs(file);
        assertEquals(List.of(new ProbeData.ScoredPair("A cat.", "A kitten.", 4.5), new ProbeData.ScoredPair("A dog.", "A car.", 0)),
                loaded.items());
        assertEquals(2, loaded.errors().size());
        assertTrue(loaded.errors().get(0).startsWith("line 4: expected 3"), loaded.errors().get(0));
        assertTrue(loaded.errors().get(1).startsWith("line 5: score 'much'"), loaded.errors().get(1));
    }

    @Test
    void jsonlLabelsReportMalformedJsonAndEmptyText(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("labels.jsonl");
        Files.writeString(file, "{\"text\": \"Rain today.\", \"label\": \"weather\"}\n{\"text\": \"oops\"\n"
                + "{\"text\": \"  \", \"label\": \"x\"}\n{\"text\": \"Goal!\", \"label\": \"sports\"}\n");
        ProbeData.Loaded<ProbeData.LabelledText> loaded = ProbeData.labels(file);
        assertEquals(List.of(new ProbeData.LabelledText("Rain today.", "weather"), new ProbeData.LabelledText("Goal!", "sports")),
                loaded.items());
        assertTrue(loaded.errors().get(0).startsWith("line 2: malformed JSON"), loaded.errors().get(0));
        assertEquals("line 3: missing or empty 'text'", loaded.errors().get(1));
    }
}
