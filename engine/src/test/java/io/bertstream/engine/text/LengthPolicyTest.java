package io.bertstream.engine.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one parser of length modes accepts the configuration's and the command line's spellings alike. */
class LengthPolicyTest {

    @Test
    void bothSpellingsOfEachModeParse() {
        assertEquals(LengthPolicy.Mode.HEAD, LengthPolicy.Mode.parse("head"));
        assertEquals(LengthPolicy.Mode.HEAD, LengthPolicy.Mode.parse("truncate-head"));
        assertEquals(LengthPolicy.Mode.TAIL, LengthPolicy.Mode.parse("tail"));
        assertEquals(LengthPolicy.Mode.TAIL, LengthPolicy.Mode.parse("truncate-tail"));
        assertEquals(LengthPolicy.Mode.HEAD_TAIL, LengthPolicy.Mode.parse("head-tail"));
        assertEquals(LengthPolicy.Mode.HEAD_TAIL, LengthPolicy.Mode.parse("truncate-head-tail"));
        assertEquals(LengthPolicy.Mode.HEAD_TAIL, LengthPolicy.Mode.parse(" HEAD_TAIL "));
        assertEquals(LengthPolicy.Mode.CHUNK, LengthPolicy.Mode.parse("Chunk"));
    }

    @Test
    void anUnknownModeNamesTheValidOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LengthPolicy.Mode.parse("middle"));
        assertTrue(e.getMessage().contains("'middle'") && e.getMessage().contains("head, tail, head-tail, chunk"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LengthPolicy.Mode.parse("truncate-chunk"));
    }
}
