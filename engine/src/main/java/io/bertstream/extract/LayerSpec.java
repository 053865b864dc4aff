package io.bertstream.extract;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Which hidden states to read and how to combine several of them. Indexes follow the hidden-state convention:
 * 0 = embedding output, 1..N = encoder layers, negatives count from the end (-1 = layer N). A selection is a
 * comma-separated list of indexes and ranges ({@code -4..-1}, {@code 1,6,12}, {@code 0..3,-1}) or {@code all}.
 *
 * @param selection the layer selection as parsed, e.g. [-4..-1]
 * @param combine   how several layers become one vector (ignored for a single layer)
 * @param weights   one weight per resolved layer for {@link Combine#WEIGHTED}, else empty
 */
public record LayerSpec(List<Range> selection, Combine combine, float[] weights) {

    /** An inclusive range of hidden-state indexes; a single index is a range of one. */
    public record Range(int from, int to) {
        @Override
        public String toString() {
            return from == to ? Integer.toString(from) : from + ".." + to;
        }
    }

    /**
     * How the pooled vectors of several layers become one: concatenated (k x hidden dims), averaged, summed, or a
     * weighted sum with the user's weights as given (no re-normalisation).
     */
    public enum Combine {
        CONCAT, MEAN, SUM, WEIGHTED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Range ALL = new Range(0, -1);

    public LayerSpec {
        selection = List.copyOf(selection);
        weights = weights.clone();
        if (selection.isEmpty()) {
            throw new IllegalArgumentException("a layer selection names at least one layer");
        }
    }

    /** One layer, e.g. {@code single(-2)}. */
    public static LayerSpec single(int index) {
        return new LayerSpec(List.of(new Range(index, index)), Combine.CONCAT, new float[0]);
    }

    /**
     * Parses a selection ({@code -1}, {@code 0}, {@code -4..-1}, {@code 1,6,12}, {@code all}) and a combination
     * ({@code concat}, {@code mean}, {@code sum}, {@code weighted:0.1,0.2,0.3,0.4}; null = concat).
     */
    public static LayerSpec parse(String layers, String combine) {
        String text = layers.strip().toLowerCase(Locale.ROOT);
        List<Range> ranges = new ArrayList<>();
        if (text.equals("all")) {
            ranges.add(ALL);
        } else {
            for (String item : text.split(",")) {
                ranges.add(parseRange(item.strip(), layers));
            }
        }
        String how = combine == null ? "concat" : combine.strip().toLowerCase(Locale.ROOT);
        if (how.startsWith("weighted")) {
            return new LayerSpec(ranges, Combine.WEIGHTED, parseWeights(how));
        }
        for (Combine c : Combine.values()) {
            if (c != Combine.WEIGHTED && c.label().equals(how)) {
                return new LayerSpec(ranges, c, new float[0]);
            }
        }
        throw new IllegalArgumentException("unknown layer combination '" + combine
                + "': valid are concat, mean, sum, weighted:w1,w2,... (one weight per layer)");
    }

    private static Range parseRange(String item, String whole) {
        try {
            int dots = item.indexOf("..");
            if (dots < 0) {
                int index = Integer.parseInt(item);
                return new Range(index, index);
            }
            return new Range(Integer.parseInt(item.substring(0, dots).strip()),
                    Integer.parseInt(item.substring(dots + 2).strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cannot read layer selection '" + whole + "' at '" + item
                    + "': valid are an index (-1 = last, 0 = embedding output), a range like -4..-1, a list like 1,6,12, or all");
        }
    }

    private static float[] parseWeights(String how) {
        int colon = how.indexOf(':');
        if (colon < 0 || colon == how.length() - 1) {
            throw new IllegalArgumentException("weighted needs one weight per layer, e.g. weighted:0.1,0.2,0.3,0.4");
        }
        String[] parts = how.substring(colon + 1).split(",");
        float[] weights = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                weights[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight '" + parts[i] + "' is not a number (in '" + how + "')");
            }
        }
        return weights;
    }

    /**
     * Absolute hidden-state indexes (0..numLayers) in selection order; a clear error naming the valid range when
     * an index is out of range, a range runs backwards, or the weights do not match the layers.
     */
    public int[] resolve(int numLayers) {
        List<Integer> out = new ArrayList<>();
        for (Range r : selection) {
            int from = absolute(r.from(), numLayers);
            int to = absolute(r.to(), numLayers);
            if (from > to) {
                throw new IllegalArgumentException("layer range " + r + " runs backwards (" + from + " > " + to
                        + ") for a model with " + numLayers + " layers; write it low..high");
            }
            for (int i = from; i <= to; i++) {
                out.add(i);
            }
        }
        if (combine == Combine.WEIGHTED && weights.length != out.size()) {
            throw new IllegalArgumentException("weighted combination needs one weight per layer: " + out.size()
                    + " layers " + out + " but " + weights.length + " weights");
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int absolute(int index, int numLayers) {
        int abs = index < 0 ? numLayers + 1 + index : index;
        if (abs < 0 || abs > numLayers) {
            throw new IllegalArgumentException("layer " + index + " is out of range for a model with " + numLayers
                    + " layers: valid are 0.." + numLayers + " (0 = embedding output, " + numLayers
                    + " = last) or -" + (numLayers + 1) + "..-1 (-1 = last)");
        }
        return abs;
    }

    /** Whether the selection may name more than one layer (so the combination matters). */
    public boolean multiple() {
        return selection.size() > 1 || selection.get(0).from() != selection.get(0).to();
    }

    /** Canonical text, e.g. "-1", "-4..-1 concat", "1,6,12 weighted:0.2,0.3,0.5"; what records carry. */
    @Override
    public String toString() {
        String layers = selection.equals(List.of(ALL)) ? "all"
                : selection.stream().map(Range::toString).collect(Collectors.joining(","));
        if (!multiple()) {
            return layers;
        }
        String how = combine.label();
        if (combine == Combine.WEIGHTED) {
            StringBuilder w = new StringBuilder(":");
            for (int i = 0; i < weights.length; i++) {
                w.append(i == 0 ? "" : ",").append(weights[i]);
            }
            how += w;
        }
        return layers + " " + how;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerSpec other && selection.equals(other.selection) && combine == other.combine
                && Arrays.equals(weights, other.weights);
    }

    @Override
    public int hashCode() {
        return selection.hashCode() * 31 + combine.hashCode() * 7 + Arrays.hashCode(weights);
    }
}
