package io.bertstream.engine;

import java.util.List;

/**
 * The engine's answer for one input text: its encoded segments in order, or why it could not be encoded
 * (an empty text, say). One bad text never fails its batch.
 */
public record EncodedText(String text, List<EncodedSegment> segments, InvalidTextException error) {

    public boolean ok() {
        return error == null;
    }
}
