package io.bertstream.bench;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.List;

/**
 * Peer (a), what a Java user runs today: langchain4j's in-process all-MiniLM-L6-v2, used as its docs show
 * (default constructor, embedAll). It embeds one text per ONNX call on a thread per core.
 */
public final class LangchainPeer implements Subject {

    /** It keeps the 128-token truncation of the tokenizer.json it ships, so longer texts lose their tail. */
    public static final int TRUNCATES_AT = 128;

    private final AllMiniLmL6V2EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();

    @Override
    public List<float[]> embedAll(List<String> texts) {
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        return model.embedAll(segments).content().stream().map(Embedding::vector).toList();
    }
}
