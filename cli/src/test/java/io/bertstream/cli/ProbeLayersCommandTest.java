package io.bertstream.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `bertstream probe-layers` end to end on the real MiniLM. */
class ProbeLayersCommandTest {

    @Test
    void rankingOnTheShippedPairsPutsTheTrainedLastLayerFirst() {
        var run = CommandLineTest.capture(() -> Bertstream.execute("probe-layers", "--sample", "pairs"));
        assertEquals(0, run.exitCode(), run.err());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].contains("66 pairs"), lines[0]);
        // title, table header, separator, then 7 hidden states x 5 poolings (MiniLM's ONNX export has no pooler)
        assertEquals(1 + 2 + 35, lines.length, run.out());
        // all-MiniLM-L6-v2 was trained for sentence similarity on its last layer
        assertTrue(lines[3].startsWith("| 1 | 6 (-1) |"), lines[3]);
        double best = Double.parseDouble(lines[3].replaceAll(".*\\| ([0-9.]+) \\|$", "$1"));
        assertTrue(best > 0.7, "best Spearman " + best);
    }

    @Test
    void labelledFileWithABadLineIsStillRankedAndReportsTheLine(@TempDir Path dir) throws Exception {
        StringBuilder tsv = new StringBuilder("text\tlabel\n");
        String[][] data = {
            {"The striker scored a late goal.", "sports"}, {"The team won the cup final.", "sports"},
            {"She ran the marathon in record time.", "sports"}, {"Add salt to the boiling pasta water.", "cooking"},
            {"Bake the bread for forty minutes.", "cooking"}, {"Chop the onions and fry them in butter.", "cooking"},
        };
        for (String[] row : data) {
            tsv.append(row[0]).append('\t').append(row[1]).append('\n');
        }
        tsv.append("a line without a label\n");
        Path file = Files.writeString(dir.resolve("labels.tsv"), tsv);
        var run = CommandLineTest.capture(() -> Bertstream.execute("probe-layers", "--labels", file.toString(),
                "--folds", "3", "--k", "1", "--top", "3"));
        assertEquals(1, run.exitCode(), run.err());
        assertTrue(run.err().contains("line 8: expected 2 tab-separated columns"), run.err());
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].contains("6 texts") && lines[0].contains("3-fold"), lines[0]);
        assertEquals(1 + 2 + 3, lines.length, run.out());
    }

    @Test
    void withoutDataItIsAUsageError() {
        assertEquals(2, CommandLineTest.capture(() -> Bertstream.execute("probe-layers")).exitCode());
        var bad = CommandLineTest.capture(() -> Bertstream.execute("probe-layers", "--sample", "triples"));
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("valid are pairs, labels"), bad.err());
    }
}
