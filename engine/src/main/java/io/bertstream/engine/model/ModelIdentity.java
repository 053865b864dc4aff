package io.bertstream.engine.model;

/**
 * Stable identity of a loaded model, carried by every output record so consumers can tell versions apart.
 *
 * @param name   built-in name or the file/directory name the model came from
 * @param format where the weights came from
 * @param sha256 hex sha256 of the weight file(s), in a fixed order
 */
public record ModelIdentity(String name, ModelFormat format, String sha256) {
}
