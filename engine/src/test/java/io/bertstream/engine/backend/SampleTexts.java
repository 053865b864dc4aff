package io.bertstream.engine.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Varied text for backend and engine tests: scripts, emoji, code, URLs, odd whitespace, extreme lengths. */
public final class SampleTexts {

    /** ~780 WordPieces: longer than the 512-position table. */
    public static final String LONG = String.join(" ", Collections.nCopies(60,
            "Kafka streams carry text events; each becomes a vector."));

    public static final List<String> VARIED = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "x",
            "自然语言处理是人工智能的一个分支。東京は日本の首都です。",
            "مرحبا بالعالم، هذه جملة باللغة العربية.",
            "Crème brûlée, naïve café, Ångström, São Paulo, Zürich.",
            "Great job 🎉🚀 loved it 😀 — 10/10 👍",
            "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; } // dot product",
            "See https://kafka.apache.org/documentation/#streams?lang=en&v=4.1 or mail ops@example.com",
            "   spaced \t\t out \n\n\n text   with   runs   of   whitespace   ",
            LONG);

    /** {@link #VARIED} without the over-long text, plus a 202-token row: one pass of very mixed lengths. */
    public static List<String> mixedLengths() {
        List<String> texts = new ArrayList<>(VARIED.subList(0, VARIED.size() - 1));
        texts.add("word ".repeat(200));
        return texts;
    }

    private SampleTexts() {
    }
}
