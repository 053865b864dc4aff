package io.bertstream.engine;

/** A text the engine refuses (empty, whitespace only, ...): the reason is meant for a dead-letter record. */
public class InvalidTextException extends RuntimeException {

    public InvalidTextException(String reason) {
        super(reason);
    }
}
