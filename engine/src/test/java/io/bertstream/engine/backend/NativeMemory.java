package io.bertstream.engine.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.text.LengthPolicy;

import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many small calls through the whole engine (tokenizer, pass planning, backend) must leave native memory flat.
 * CI runs a few thousand calls (a leaked result per call shows within them); the million-call soak is the same
 * test with more calls: {@code -Dbertstream.soak.calls=1000000} on a backend module's native-memory test.
 */
public final class NativeMemory {

    /** Calls to make instead of each test's default; 0 = the default. */
    public static final int CALLS = Integer.getInteger("bertstream.soak.calls", 0);
    private static final List<String> TINY = List.of("a");

    private NativeMemory() {
    }

    /**
     * Bytes in use by malloc (all arenas plus mmapped blocks; the Java heap is not among them) must not grow
     * once warm. A leaked result per call (7 layers x 3 tokens x 384 floats) adds ~130 MiB over 2,000 calls
     * (measured with the ONNX Runtime result left unclosed).
     */
    public static void assertFlat(EmbeddingEngine engine, int calls, IntConsumer everyFiveHundredCalls) {
        int[] every = {0, 1, 2, 3, 4, 5, 6};
        int[] last = {6};
        for (int i = 0; i < 500; i++) {
            assertOk(engine.encodeAll(TINY, every, LengthPolicy.truncateHead()));
        }
        long before = mallocInUse();
        for (int i = 0; i < calls; i++) {
            assertOk(engine.encodeAll(TINY, i % 2 == 0 ? every : last, LengthPolicy.truncateHead()));
            if (i % 500 == 0) {
                everyFiveHundredCalls.accept(i);
            }
        }
        long growth = mallocInUse() - before;
        assertTrue(growth < 16L << 20, "malloc'd memory grew by " + (growth >> 10) + " KiB over " + calls
                + " calls");
    }

    /** glibc's mallinfo2 (2.33+). */
    public interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        MallInfo2.ByValue mallinfo2();
    }

    @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost"})
    public static class MallInfo2 extends Structure {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;

        public static class ByValue extends MallInfo2 implements Structure.ByValue {
        }
    }

    /** Bytes malloc has handed out and not had back: chunks in use plus mmapped blocks. */
    public static long mallocInUse() {
        MallInfo2 info = LibC.INSTANCE.mallinfo2();
        return info.uordblks + info.hblkhd;
    }

    private static void assertOk(List<EncodedText> encoded) {
        assertTrue(encoded.get(0).ok());
    }
}
