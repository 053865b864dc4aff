package io.bertstream.extract;

import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedText;
import io.bertstream.extract.head.Head;
import io.bertstream.extract.head.HeadFile;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.List;
import java.util.TreeSet;

/**
 * The {@link TextEmbedder} on an {@link EmbeddingEngine}: one engine call per micro-batch for exactly the layers
 * the extraction needs; each text is pooled and post-processed as soon as its last segment is through its pass,
 * so only vectors outlive a pass, never a whole call's hidden states. The engine belongs to the caller (one per process,
 * shared by extractors); closing an extractor leaves it open.
 *
 * <p>With a {@link Head}, the engine is asked for the output's layers and the head's together, and the head reads the
 * same hidden states as the vectors: one forward pass serves both. With a prefix, the engine sees prefix, a space and
 * the text, and every offset in the output (tokens, words, chunks, entities) is shifted back into the text without it.
 */
public final class Extractor implements TextEmbedder {

    private final EmbeddingEngine engine;
    private final ExtractionPlan plan;
    private final Head head;
    private final String prefix;
    private final int[] layers;
    private final ModelInfo info;

    /** Resolves the spec against the engine's model; an IllegalArgumentException says what is valid when it does not fit. */
    public Extractor(EmbeddingEngine engine, ExtractionSpec spec) {
        this(engine, spec, null, 0);
    }

    /**
     * With a head (null for none), which adds labels or entities to each vector.
     *
     * @param topK labels kept per text, most likely first; 0 = all
     * @throws IllegalArgumentException when the head was fitted for another model, prefix or extraction
     */
    public Extractor(EmbeddingEngine engine, ExtractionSpec spec, HeadFile headFile, int topK) {
        this.engine = engine;
        this.plan = ExtractionPlan.resolve(spec, engine.model());
        this.head = headFile == null ? null : Head.resolve(headFile, engine.model(), spec, topK);
        this.prefix = spec.prefix();
        TreeSet<Integer> needed = new TreeSet<>();
        for (int layer : plan.layers()) {
            needed.add(layer);
        }
        if (head != null) {
            for (int layer : head.layers()) {
                needed.add(layer);
            }
        }
        this.layers = needed.stream().mapToInt(Integer::intValue).toArray();
        ModelInfo base = plan.info(engine.encoder().name()).withPrefix(prefix);
        this.info = head == null ? base : base.withHead(headFile.fingerprint());
    }

    public ExtractionPlan plan() {
        return plan;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public int countTokens(String text) {
        return countTokens(text, prefix);
    }

    @Override
    public int countTokens(String text, String prefix) {
        return engine.countTokens(input(text, ExtractionSpec.modelDefaults().withPrefix(prefix).prefix()));
    }

    @Override
    public List<EmbedOutcome> embedAll(List<String> texts) {
        return embed(texts, java.util.Collections.nCopies(texts.size(), prefix));
    }

    /** Each text with its own prefix; a head was fitted with one prefix and refuses texts with another. */
    @Override
    public List<EmbedOutcome> embedAll(List<String> texts, List<String> prefixes) {
        return embed(texts, prefixes.stream().map(p -> ExtractionSpec.modelDefaults().withPrefix(p).prefix()).toList());
    }

    private List<EmbedOutcome> embed(List<String> texts, List<String> prefixes) {
        if (texts.isEmpty()) {
            return List.of();
        }
        if (head != null && prefixes.stream().anyMatch(p -> !p.equals(head.file().prefix()))) {
            throw new IllegalArgumentException("the head was fitted on texts with prefix '" + head.file().prefix()
                    + "': it cannot label texts with another");
        }
        // The engine hands each text back as the very String it was given: its prefix's length is found by identity,
        // whatever other text (prefixed otherwise) happens to read the same.
        Map<String, Integer> shifts = new IdentityHashMap<>();
        List<String> inputs = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String input = input(texts.get(i), prefixes.get(i));
            inputs.add(input);
            shifts.put(input, input.length() - texts.get(i).length());
        }
        return engine.encodeAll(inputs, layers, plan.lengthPolicy(), encoded -> extract(encoded, shifts.get(encoded.text())));
    }

    /** The text as the model sees it: prefix, one space, text. A blank text stays blank, so the engine refuses it as usual. */
    private static String input(String text, String prefix) {
        return prefix.isEmpty() || text.isBlank() ? text : new String(prefix + " " + text);
    }

    private EmbedOutcome extract(EncodedText encoded, int shift) {
        EmbedOutcome outcome = plan.extract(encoded);
        if (!(outcome instanceof EmbedOutcome.Embedded embedded)) {
            return outcome;
        }
        String text = encoded.text().substring(shift);
        List<Embedding> vectors = unprefixed(embedded.vectors(), shift);
        if (head != null) {
            vectors = head.annotate(vectors, unprefixed(head.features(encoded), shift), text);
        }
        return new EmbedOutcome.Embedded(vectors);
    }

    /**
     * Offsets back into the text without its prefix: the prefix's own tokens leave the token list, special tokens
     * keep 0, 0, chunk spans start at 0 at the earliest.
     */
    private static List<Embedding> unprefixed(List<Embedding> vectors, int shift) {
        if (shift == 0) {
            return vectors;
        }
        List<Embedding> out = new ArrayList<>(vectors.size());
        for (Embedding e : vectors) {
            List<Embedding.TokenVector> tokens = null;
            if (e.tokens() != null) {
                tokens = new ArrayList<>();
                for (Embedding.TokenVector t : e.tokens()) {
                    if (t.end() <= t.start()) {
                        tokens.add(t);
                    } else if (t.start() >= shift) {
                        tokens.add(new Embedding.TokenVector(t.token(), t.start() - shift, t.end() - shift, t.vector()));
                    }
                }
            }
            Embedding.ChunkInfo chunk = e.chunk() == null ? null : new Embedding.ChunkInfo(e.chunk().index(),
                    e.chunk().count(), Math.max(0, e.chunk().charStart() - shift), Math.max(0, e.chunk().charEnd() - shift));
            out.add(new Embedding(e.vector(), chunk, e.tokenCount(), e.truncated(), tokens, e.quantization(),
                    e.labels(), e.entities()));
        }
        return out;
    }

    @Override
    public void close() {
        // Nothing of its own to release: vectors live on the heap, the engine is the caller's.
    }
}
