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
 */
public record ModelInfo(String name, String sha256, String format, String backend, String layers, String pooling,
                        boolean normalized, String postProcessing, int dims) {
}
