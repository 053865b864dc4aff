package io.bertstream.serde;

/**
 * What an input record says: a text to embed under an id ({@link DecodedText}), or that an id is gone
 * ({@link DecodedDelete}). See {@link TextDecoder} for where ids come from.
 */
public sealed interface Decoded permits DecodedText, DecodedDelete {

    /** The id whose embeddings this record makes or removes. */
    String id();
}
