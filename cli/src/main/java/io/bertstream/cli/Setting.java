package io.bertstream.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a command-line option that is a key of the configuration table (BertstreamConfig): its default, the values it
 * allows and what it means are the key's, so `embed --pooling cls` and `bertstream.pooling=cls` in `run` are one
 * setting with one rule. See {@link Settings}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface Setting {

    /** The configuration key, e.g. {@code bertstream.length.mode}. */
    String value();
}
