package io.bertstream.engine.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Hugging Face tokenizer.json documents as the engine wants them: no fixed padding, no truncation. */
public final class TokenizerJson {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

    private TokenizerJson() {
    }

    public static String read(Path file) {
        try {
            return withoutPaddingAndTruncation(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read tokenizer: " + e.getMessage(), e);
        }
    }

    /** Shipped tokenizers often pad and truncate to a fixed 128; the engine sets both per request. */
    public static String withoutPaddingAndTruncation(String json, String origin) {
        try {
            if (!(JSON.readTree(json) instanceof ObjectNode tokenizer) || !tokenizer.has("model")) {
                throw new ModelLoadException(origin + ": not a tokenizer.json (no \"model\" object)");
            }
            tokenizer.putNull("padding");
            tokenizer.putNull("truncation");
            return JSON.writeValueAsString(tokenizer);
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(origin + ": tokenizer is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * The tokenizer.json equivalent of BERT's original WordPiece tokenizer for a vocab.txt (one token per line,
     * id = line number): BERT normaliser, BERT pre-tokeniser, {@code ##} continuations, [CLS] $A [SEP].
     */
    public static String fromVocab(Path vocabFile, boolean lowercase) {
        List<String> vocab;
        try {
            vocab = Files.readAllLines(vocabFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelLoadException(vocabFile, "cannot read vocabulary: " + e.getMessage(), e);
        }
        while (!vocab.isEmpty() && vocab.get(vocab.size() - 1).isEmpty()) {
            vocab = vocab.subList(0, vocab.size() - 1);
        }
        ObjectNode vocabNode = JSON.createObjectNode();
        for (int id = 0; id < vocab.size(); id++) {
            vocabNode.put(vocab.get(id), id); // a repeated token keeps its last id, as Hugging Face's loader does
        }
        for (String special : SPECIAL_TOKENS) {
            if (!vocabNode.has(special)) {
                throw new ModelLoadException(vocabFile, "not a BERT vocabulary: no " + special + " token");
            }
        }

        ObjectNode tokenizer = JSON.createObjectNode();
        tokenizer.put("version", "1.0");
        tokenizer.putNull("truncation");
        tokenizer.putNull("padding");
        ArrayNode added = tokenizer.putArray("added_tokens");
        for (String special : SPECIAL_TOKENS) {
            added.addObject()
                    .put("id", vocabNode.get(special).intValue())
                    .put("content", special)
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        ObjectNode normalizer = tokenizer.putObject("normalizer");
        normalizer.put("type", "BertNormalizer")
                .put("clean_text", true)
                .put("handle_chinese_chars", true)
                .putNull("strip_accents");
        normalizer.put("lowercase", lowercase);
        tokenizer.putObject("pre_tokenizer").put("type", "BertPreTokenizer");

        ObjectNode post = tokenizer.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, "[CLS]", 0);
        sequence(single, "A", 0);
        special(single, "[SEP]", 0);
        ArrayNode pair = post.putArray("pair");
        special(pair, "[CLS]", 0);
        sequence(pair, "A", 0);
        special(pair, "[SEP]", 0);
        sequence(pair, "B", 1);
        special(pair, "[SEP]", 1);
        ObjectNode specials = post.putObject("special_tokens");
        for (String token : List.of("[CLS]", "[SEP]")) {
            ObjectNode entry = specials.putObject(token).put("id", token);
            entry.putArray("ids").add(vocabNode.get(token).intValue());
            entry.putArray("tokens").add(token);
        }

        tokenizer.putObject("decoder").put("type", "WordPiece").put("prefix", "##").put("cleanup", true);
        ObjectNode model = tokenizer.putObject("model");
        model.put("type", "WordPiece")
                .put("unk_token", "[UNK]")
                .put("continuing_subword_prefix", "##")
                .put("max_input_chars_per_word", 100);
        model.set("vocab", vocabNode);
        try {
            return JSON.writeValueAsString(tokenizer);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree built here always serialises", e);
        }
    }

    private static void special(ArrayNode template, String token, int typeId) {
        template.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
    }

    private static void sequence(ArrayNode template, String id, int typeId) {
        template.addObject().putObject("Sequence").put("id", id).put("type_id", typeId);
    }
}
