package io.bertstream.extract;

/**
 * Everything a consumer needs to tell one embedding version from another; copied into every output record.
 *
 * @param name           model name
 * @param sha256         sha256 of the weights
 * @param format         checkpoint format
 * @param backend        encoder that produced the vectors
 * @param layers         canonical layer spec, e.g. "-4..-1 concat"
 * @param pooling        pooling name
 * @param normalized     L2-normalised
 * @param postProcessing canonical post-processing chain, e.g. "l2,truncate:256,int8"
 * @param dims           length of each output vector
 * @param prefix         the instruction put before each text ("" for none): vectors made with different prefixes are
 *                       not comparable
 * @param head           the head whose labels or entities the records carry ({@code classes#1a2b3c4d5e6f}), else null
 */
public record ModelInfo(String name, String sha256, String format, String backend, String layers, String pooling,
                        boolean normalized, String postProcessing, int dims, String prefix, String head) {

    public ModelInfo {
        prefix = prefix == null ? "" : prefix;
    }

    /** Without a prefix or a head. */
    public ModelInfo(String name, String sha256, String format, String backend, String layers, String pooling,
                     boolean normalized, String postProcessing, int dims) {
        this(name, sha256, format, backend, layers, pooling, normalized, postProcessing, dims, "", null);
    }

    public ModelInfo withPrefix(String p) {
        return new ModelInfo(name, sha256, format, backend, layers, pooling, normalized, postProcessing, dims, p, head);
    }

    public ModelInfo withHead(String h) {
        return new ModelInfo(name, sha256, format, backend, layers, pooling, normalized, postProcessing, dims, prefix, h);
    }
}
