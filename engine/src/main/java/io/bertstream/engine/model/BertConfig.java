package io.bertstream.engine.model;

/**
 * Architecture of a BERT-family encoder, read from a checkpoint's config (config.json, bert_config.json).
 * Field names follow Hugging Face's BertConfig.
 */
public record BertConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        String hiddenAct,
        int padTokenId) {

    public int headSize() {
        return hiddenSize / numAttentionHeads;
    }
}
