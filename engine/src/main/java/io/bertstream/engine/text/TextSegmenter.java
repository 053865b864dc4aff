package io.bertstream.engine.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import io.bertstream.engine.DjlDefaults;
import io.bertstream.engine.InvalidTextException;
import io.bertstream.engine.model.LoadedModel;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts texts into model inputs ({@link Segment}s) with the model's own Hugging Face tokenizer, under a
 * {@link LengthPolicy}. The tokenizer runs with no padding and no truncation (shipped tokenizer.json files often
 * pin both to 128): the policy alone decides what reaches the model, and never more than the model's position
 * table holds. Thread-safe (the native tokenizer is immutable once built).
 */
public final class TextSegmenter implements AutoCloseable {

    /**
     * Default budget of the memo of counted texts: 32 MiB holds ~1,500 texts of 300 tokens, several full
     * micro-batches; a text that falls out is only tokenised again.
     */
    public static final long DEFAULT_MEMO_BYTES = 32L << 20;

    private final HuggingFaceTokenizer tokenizer;
    private final int modelMaxTokens;
    private final long memoBudget;
    /**
     * A stream processor counts each text's tokens when the event arrives (for its batch budget) and segments the
     * same text when the batch closes: keeping the counted encoding until then saves tokenising every text twice,
     * which cost ~7 % of the pipeline's model time (docs/performance.md). Tokenising is a pure function, so a
     * hit returns exactly what tokenising again would. Bounded in bytes, oldest out first, for callers that count
     * and never segment; guarded by itself.
     */
    private final LinkedHashMap<String, Tokens> counted = new LinkedHashMap<>();
    private long memoBytes;

    public TextSegmenter(String tokenizerJson, int modelMaxTokens) {
        this(tokenizerJson, modelMaxTokens, DEFAULT_MEMO_BYTES);
    }

    /** @param memoBytes most bytes the memo of counted texts may hold (estimated from their arrays); 0 = none */
    public TextSegmenter(String tokenizerJson, int modelMaxTokens, long memoBytes) {
        DjlDefaults.apply();
        this.modelMaxTokens = modelMaxTokens;
        this.memoBudget = memoBytes;
        Map<String, String> options = Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true");
        try {
            this.tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8)), options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the tokenizer from tokenizer.json", e);
        }
    }

    public static TextSegmenter forModel(LoadedModel model) {
        return new TextSegmenter(model.tokenizerJson(), model.maxTokens());
    }

    /** Tokens of the text including special tokens, before any truncation. */
    public int countTokens(String text) {
        Tokens tokens = tokenize(text);
        if (tokens.ids.length <= 4 * modelMaxTokens) { // a huge text is not worth holding on to
            remember(text, tokens);
        }
        return tokens.ids.length;
    }

    private void remember(String text, Tokens tokens) {
        long bytes = tokens.bytes();
        if (bytes > memoBudget) {
            return;
        }
        synchronized (counted) {
            Tokens previous = counted.remove(text);
            if (previous != null) {
                memoBytes -= previous.bytes();
            }
            counted.put(text, tokens);
            memoBytes += bytes;
            var eldest = counted.values().iterator();
            while (memoBytes > memoBudget) {
                memoBytes -= eldest.next().bytes();
                eldest.remove();
            }
        }
    }

    private Tokens recall(String text) {
        synchronized (counted) {
            Tokens tokens = counted.remove(text);
            if (tokens != null) {
                memoBytes -= tokens.bytes();
            }
            return tokens;
        }
    }

    /** Bytes the memo of counted texts holds now (estimated), never more than its budget. */
    public long memoBytes() {
        synchronized (counted) {
            return memoBytes;
        }
    }

    /**
     * The model inputs for one text: one segment (possibly truncated) or, for {@link LengthPolicy.Mode#CHUNK},
     * one per window.
     *
     * @throws InvalidTextException for null, empty or whitespace-only text, or text that yields no tokens
     */
    public List<Segment> segment(String text, LengthPolicy policy) {
        Tokens all = text == null ? null : recall(text);
        if (all == null) {
            all = tokenize(text);
        }
        int limit = policy.maxTokens() <= 0 ? modelMaxTokens : Math.min(policy.maxTokens(), modelMaxTokens);
        int budget = limit - all.prefix - all.suffix;
        if (budget < 1) {
            throw new IllegalArgumentException("maxTokens " + limit + " leaves no room for text between the "
                    + (all.prefix + all.suffix) + " special tokens");
        }
        int inner = all.innerCount();
        if (inner <= budget) {
            return List.of(all.slice(new int[][] {{0, inner}}, 0, 1, false));
        }
        return switch (policy.mode()) {
            case HEAD -> List.of(all.slice(new int[][] {{0, budget}}, 0, 1, true));
            case TAIL -> List.of(all.slice(new int[][] {{inner - budget, inner}}, 0, 1, true));
            case HEAD_TAIL -> {
                int tail = budget / 2;
                yield List.of(all.slice(new int[][] {{0, budget - tail}, {inner - tail, inner}}, 0, 1, true));
            }
            case CHUNK -> chunks(all, budget, policy.overlap());
        };
    }

    /** Windows of {@code budget} text tokens, each overlapping the previous one by {@code overlap} tokens. */
    private static List<Segment> chunks(Tokens all, int budget, int overlap) {
        if (overlap < 0 || overlap >= budget) {
            throw new IllegalArgumentException("chunk overlap must be in [0, " + budget + "), was " + overlap);
        }
        int inner = all.innerCount();
        int stride = budget - overlap;
        int count = 1 + (int) Math.ceil((double) (inner - budget) / stride);
        List<Segment> segments = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int start = i * stride;
            segments.add(all.slice(new int[][] {{start, Math.min(start + budget, inner)}}, i, count, false));
        }
        return segments;
    }

    private Tokens tokenize(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidTextException(text == null ? "text is null" : text.isEmpty()
                    ? "text is empty" : "text is whitespace only (" + text.length() + " chars)");
        }
        Encoding encoding = tokenizer.encode(text);
        Tokens tokens = new Tokens(text, encoding);
        if (tokens.innerCount() == 0) {
            throw new InvalidTextException("text yields no tokens (" + text.length()
                    + " chars of control or unsupported characters only)");
        }
        return tokens;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** A whole encoding: leading special tokens, the text's tokens ("inner"), trailing special tokens. */
    private static final class Tokens {
        final String text;
        final long[] ids;
        final long[] typeIds;
        final String[] strings;
        final int[] start;
        final int[] end;
        final int prefix;
        final int suffix;

        Tokens(String text, Encoding encoding) {
            this.text = text;
            ids = encoding.getIds();
            typeIds = encoding.getTypeIds();
            strings = encoding.getTokens();
            long[] special = encoding.getSpecialTokenMask();
            CharSpan[] spans = encoding.getCharTokenSpans();
            int n = ids.length;
            int p = 0;
            while (p < n && special[p] == 1) {
                p++;
            }
            int s = 0;
            while (s < n - p && special[n - 1 - s] == 1) {
                s++;
            }
            prefix = p;
            suffix = s;
            // The tokenizer reports offsets in code points; Java strings index UTF-16 units (emoji take two).
            CodePointIndex index = new CodePointIndex(text);
            start = new int[n];
            end = new int[n];
            for (int i = 0; i < n; i++) {
                if (spans[i] != null && special[i] == 0) {
                    start[i] = index.toCharIndex(spans[i].getStart());
                    end[i] = index.toCharIndex(spans[i].getEnd());
                }
            }
        }

        int innerCount() {
            return ids.length - prefix - suffix;
        }

        /**
         * What this encoding and its text cost on the heap, estimated: the text (two bytes a char at most), per
         * token its id, type id, two offsets and the token string (~48 bytes with its header), plus headers.
         */
        long bytes() {
            return 128 + 2L * text.length() + (long) ids.length * (8 + 8 + 4 + 4 + 8 + 48);
        }

        /** Special tokens around the given [from, to) ranges of inner tokens. */
        Segment slice(int[][] innerRanges, int chunkIndex, int chunkCount, boolean truncated) {
            int length = prefix + suffix;
            for (int[] r : innerRanges) {
                length += r[1] - r[0];
            }
            int[] picks = new int[length];
            int k = 0;
            for (int i = 0; i < prefix; i++) {
                picks[k++] = i;
            }
            for (int[] r : innerRanges) {
                for (int i = r[0]; i < r[1]; i++) {
                    picks[k++] = prefix + i;
                }
            }
            for (int i = ids.length - suffix; i < ids.length; i++) {
                picks[k++] = i;
            }
            long[] segIds = new long[length];
            long[] segTypes = new long[length];
            String[] segStrings = new String[length];
            int[] segStart = new int[length];
            int[] segEnd = new int[length];
            for (int i = 0; i < length; i++) {
                int j = picks[i];
                segIds[i] = ids[j];
                segTypes[i] = typeIds[j];
                segStrings[i] = strings[j];
                segStart[i] = start[j];
                segEnd[i] = end[j];
            }
            int spanStart = start[prefix + innerRanges[0][0]];
            int spanEnd = end[prefix + innerRanges[innerRanges.length - 1][1] - 1];
            return new Segment(chunkIndex, chunkCount, segIds, segTypes, segStrings, segStart, segEnd,
                    spanStart, spanEnd, truncated, innerCount());
        }
    }

    /** Maps code-point offsets to UTF-16 char offsets; the identity when the text has no surrogate pairs. */
    private static final class CodePointIndex {
        private final int[] charIndex;

        CodePointIndex(String text) {
            int codePoints = text.codePointCount(0, text.length());
            if (codePoints == text.length()) {
                charIndex = null;
                return;
            }
            charIndex = new int[codePoints + 1];
            int c = 0;
            for (int cp = 0; cp < codePoints; cp++) {
                charIndex[cp] = c;
                c += Character.charCount(text.codePointAt(c));
            }
            charIndex[codePoints] = c;
        }

        int toCharIndex(int codePointOffset) {
            return charIndex == null ? codePointOffset : charIndex[codePointOffset];
        }
    }
}
