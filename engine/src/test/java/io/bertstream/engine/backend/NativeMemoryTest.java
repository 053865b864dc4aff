package io.bertstream.engine.backend;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EncodedText;
import io.bertstream.engine.backend.pytorch.PyTorchEncoder;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.text.LengthPolicy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.IntConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many small calls through the whole engine (tokenizer, batching, backend) must leave native memory flat.
 * CI runs a few thousand calls (a leaked result per call shows within them); the million-call soak is the same
 * test with more calls: {@code mvn -pl engine test -Dtest=NativeMemoryTest -Dbertstream.soak.calls=1000000}.
 */
class NativeMemoryTest {

    private static final int CALLS = Integer.getInteger("bertstream.soak.calls", 0);
    private static final List<String> TINY = List.of("a");
    private static LoadedModel minilm;

    @BeforeAll
    static void load() {
        minilm = ModelLoader.load(BuiltinModels.MINILM);
    }

    /**
     * The weights' NDManager is capped, so an op leaving a result there would throw; the number of arrays alive
     * under the encoder must be the same after every call as before the first; and malloc must stay flat.
     */
    @Test
    void pyTorchLeavesNoArrayBehind() {
        try (EmbeddingEngine engine = open(Backend.PYTORCH)) {
            PyTorchEncoder encoder = (PyTorchEncoder) engine.encoder();
            int weightsOnly = encoder.liveArrays();
            assertFlat(engine, CALLS > 0 ? CALLS : 1_500,
                    call -> assertEquals(weightsOnly, encoder.liveArrays(), "arrays alive after call " + call));
        }
    }

    /**
     * ONNX Runtime allocates with malloc and keeps no count a test could read, so ask glibc instead (see
     * {@link #assertFlat}).
     */
    @Test
    void onnxRuntimeMallocStaysFlat() {
        try (EmbeddingEngine engine = open(Backend.ONNXRUNTIME)) {
            assertFlat(engine, CALLS > 0 ? CALLS : 4_000, call -> { });
        }
    }

    /**
     * Bytes in use by malloc (all arenas plus mmapped blocks; the Java heap is not among them) must not grow
     * once warm. A leaked result per call (7 layers x 3 tokens x 384 floats) adds ~130 MiB over 2,000 calls
     * (measured with the ONNX Runtime result left unclosed).
     */
    private static void assertFlat(EmbeddingEngine engine, int calls, IntConsumer everyFiveHundredCalls) {
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
    private static long mallocInUse() {
        MallInfo2 info = LibC.INSTANCE.mallinfo2();
        return info.uordblks + info.hblkhd;
    }

    private static EmbeddingEngine open(Backend backend) {
        return EmbeddingEngine.open(minilm, TestEngines.on(backend));
    }

    private static void assertOk(List<EncodedText> encoded) {
        assertTrue(encoded.get(0).ok());
    }

}
