package io.bertstream.demo;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.bertstream.cli.Bertstream;

import static io.bertstream.cli.CommandLineTest.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The newcomer's first command, end to end: real embedded KRaft broker, the real processor with MiniLM,
 * read_committed output. Asserts what the demo printed about what it actually read back.
 */
class DemoCommandTest {

    @Test
    void everyTextIsEmbeddedEveryBadRecordDeadLetteredAndSimilarTextsLandTogether() {
        var run = capture(() -> Bertstream.execute("demo"));
        String out = run.out();
        assertEquals(0, run.exitCode(), out + run.err());

        DemoCorpus corpus = DemoCorpus.load();
        assertEquals(256, corpus.events().size(), "the corpus as written");
        assertEquals(corpus.events().size(), number(out, "^\\s+embeddings out\\s+(\\d+)$"));
        assertEquals(corpus.badRecords().size(), number(out, "^\\s+dead-lettered\\s+(\\d+)$"));
        for (DemoCorpus.BadRecord bad : corpus.badRecords()) {
            assertTrue(out.lines().anyMatch(l -> l.strip().startsWith(bad.id() + " ") && l.contains("stage ")),
                    bad.id() + " (" + bad.problem() + ") listed with its dead-letter stage and reason:\n" + out);
        }
        assertTrue(number(out, "throughput\\s+(\\d+)\\.\\d events/s") >= 0, "throughput reported");
        assertTrue(out.contains("batch fill"), "batch fill reported");

        // Each default query is about one corpus topic; its best match must come from that topic
        List<String> expectedTopics = List.of("cooking", "astronomy", "football", "finance", "medicine");
        for (int q = 0; q < DemoCommand.DEFAULT_QUERIES.size(); q++) {
            String query = "\"" + DemoCommand.DEFAULT_QUERIES.get(q) + "\"";
            List<String> lines = out.lines().toList();
            int at = lines.indexOf("  " + query);
            assertTrue(at >= 0, "query " + query + " printed:\n" + out);
            Matcher best = Pattern.compile("^\\s+(\\d\\.\\d{3})\\s+\\[(\\w+)]").matcher(lines.get(at + 1));
            assertTrue(best.find(), lines.get(at + 1));
            assertEquals(expectedTopics.get(q), best.group(2), "top hit of " + query);
        }
        // Eight topics: chance agreement is 12.5%; MiniLM puts the large majority next to their own topic
        assertTrue(number(out, "for (\\d+)% of the texts") >= 80, out);
    }

    private static int number(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "output has /" + regex + "/:\n" + text);
        return Integer.parseInt(m.group(1));
    }
}
