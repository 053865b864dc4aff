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
        var stripped = new java.util.HashMap<String, String>();
        byTopic.forEach((topic, prefix) -> stripped.put(topic, prefix.strip()));
        byTopic = Map.copyOf(stripped); // normalised once here, not per record in of()
    }

    public static InputPrefixes none() {
        return new InputPrefixes("", Map.of());
    }

    public String of(String topic) {
        return byTopic.getOrDefault(topic, fallback);
    }

    /** Every prefix in use: the fallback and each topic's. */
    public java.util.Set<String> all() {
        var all = new java.util.TreeSet<String>();
        all.add(fallback);
        all.addAll(byTopic.values());
        return all;
    }
}
