package io.bertstream.engine.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Token ids of varied texts under a tokenizer.json, to compare tokenizers built from different sources. */
public final class TokenizerIds {

    /** Scripts, accents, emoji, code, URLs, whitespace runs, a 1-character text, and a long text. */
    public static final List<String> TEXTS = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "Crème brûlée, naïve façade, Ångström — déjà vu!",
            "日本語の文章と中文句子混在。",
            "مرحبا بالعالم، هذا نص عربي",
            "emoji 😀👍🏽 and flags 🇫🇷",
            "for (int i = 0; i < n; i++) { sum += a[i] * 2; } // C-style",
            "see https://example.com/path?query=1&x=y#frag or mail@example.org",
            "a",
            "  many   spaces\t\ttabs\n\nnewlines  ",
            "UPPER Case MiXeD",
            "word ".repeat(600));

    private TokenizerIds() {
    }

    public static List<long[]> of(String tokenizerJson) {
        return of(tokenizerJson, TEXTS);
    }

    public static List<long[]> of(String tokenizerJson, List<String> texts) {
        Map<String, String> options = Map.of("padding", "false", "truncation", "false");
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(tokenizerJson.getBytes(StandardCharsets.UTF_8)), options)) {
            List<long[]> ids = new ArrayList<>();
            for (String text : texts) {
                ids.add(tokenizer.encode(text).getIds());
            }
            return ids;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
