package io.bertstream.topology;

import java.util.Map;

/**
 * The instruction prefix of each input topic (e5's {@code query:} on a queries topic, {@code passage:} on a documents
 * topic): {@code bertstream.input.prefix.<topic>} where set, else {@code bertstream.input.prefix}; "" for none. The
 * prefix a text was embedded with travels in its record's {@code model.prefix}, and is part of the cache key.
 *
 * @param fallback the prefix of topics without their own
 * @param byTopic  topic → prefix
 */
public record InputPrefixes(String fallback, Map<String, String> byTopic) {

    public InputPrefixes {
        fallback = fallback == null ? "" : fallback.strip();
        byTopic = Map.copyOf(byTopic);
    }

    public static InputPrefixes none() {
        return new InputPrefixes("", Map.of());
    }

    public String of(String topic) {
        return byTopic.getOrDefault(topic, fallback).strip();
    }

    /** Every prefix in use: the fallback and each topic's. */
    public java.util.Set<String> all() {
        var all = new java.util.TreeSet<String>();
        all.add(fallback);
        byTopic.values().forEach(p -> all.add(p.strip()));
        return all;
    }
}
