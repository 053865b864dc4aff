package io.bertstream.demo;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's input: short texts on eight topics (from {@code demo-corpus.txt}) as JSON events
 * {@code {"id": "<topic>-<n>", "text": ...}}, plus a few records that must end in the dead-letter topic.
 */
public record DemoCorpus(List<Event> events, List<BadRecord> badRecords) {

    /** A good event; its topic is what the nearest-neighbour check compares. */
    public record Event(String id, String topic, String text) {
    }

    /** A record the processor must refuse, with what is wrong with it. */
    public record BadRecord(String id, byte[] value, String problem) {
    }

    private static final String RESOURCE = "/io/bertstream/demo/demo-corpus.txt";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static DemoCorpus load() {
        try (InputStream in = DemoCorpus.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("demo corpus " + RESOURCE + " missing from the classpath");
            }
            return new DemoCorpus(parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))),
                    poisonPills());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A "# word" line after a blank line starts a topic; other "#" lines are comments; the rest are texts. */
    static List<Event> parse(BufferedReader reader) throws IOException {
        var events = new ArrayList<Event>();
        String topic = null;
        boolean previousBlank = true;
        int n = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#")) {
                String word = trimmed.substring(1).strip();
                if (previousBlank && !word.isEmpty() && word.chars().allMatch(Character::isLetter)) {
                    topic = word;
                    n = 0;
                }
            } else if (!trimmed.isEmpty()) {
                if (topic == null) {
                    throw new IllegalStateException("demo corpus: text before the first '# topic' header: " + trimmed);
                }
                events.add(new Event("%s-%03d".formatted(topic, ++n), topic, trimmed));
            }
            previousBlank = trimmed.isEmpty();
        }
        return List.copyOf(events);
    }

    private static List<BadRecord> poisonPills() {
        byte[] invalidUtf8 = {'{', '"', 'i', 'd', '"', ':', '"', 'b', 'a', 'd', '-', 'u', 't', 'f', '8', '"', ',',
                '"', 't', 'e', 'x', 't', '"', ':', '"', 'c', 'a', 'f', (byte) 0xC3, (byte) 0x28, '"', '}'};
        return List.of(
                new BadRecord("bad-json", utf8("{\"id\": \"bad-json\", \"text\": \"a quote that never clo"),
                        "invalid JSON"),
                new BadRecord("bad-empty", json(Map.of("id", "bad-empty", "text", "")), "empty text"),
                new BadRecord("bad-blank", json(Map.of("id", "bad-blank", "text", " \t\n ")), "whitespace-only text"),
                new BadRecord("bad-utf8", invalidUtf8, "invalid UTF-8"),
                new BadRecord("bad-missing", json(Map.of("id", "bad-missing", "body", "the text field is missing")),
                        "missing text field"));
    }

    /** The event as the JSON bytes the demo produces. */
    public static byte[] json(Event event) {
        return json(Map.of("id", event.id(), "text", event.text()));
    }

    private static byte[] json(Map<String, String> fields) {
        try {
            return JSON.writeValueAsBytes(fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public List<String> topics() {
        return events.stream().map(Event::topic).distinct().toList();
    }

    public int size() {
        return events.size() + badRecords.size();
    }
}
