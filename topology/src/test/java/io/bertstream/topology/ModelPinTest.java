package io.bertstream.topology;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bertstream.model.sha256 against the real all-MiniLM-L6-v2 weights. */
class ModelPinTest {

    private static BertstreamConfig pinnedTo(String sha256) {
        return BertstreamConfig.of(Map.of(BertstreamConfig.THREADS, "1", BertstreamConfig.MODEL_SHA256, sha256), Map.of());
    }

    @Test
    void theWeightsPinnedOpenAndOthersRefuseToStartNamingBothHashes() {
        String actual = TestModel.embedder().info().sha256();
        try (var model = SharedModel.open(pinnedTo(actual.toUpperCase(java.util.Locale.ROOT)))) {
            assertEquals(actual, model.embedder().info().sha256(), "pinned, in either letter case");
        }
        String other = actual.substring(0, 63) + (actual.endsWith("0") ? "1" : "0");
        var refused = assertThrows(IllegalArgumentException.class, () -> SharedModel.open(pinnedTo(other)));
        assertEquals("bertstream.model.sha256 pins the weights to sha256 " + other + ", but model minilm has sha256 " + actual
                + ": refusing to start (if these weights are the ones you want, pin their sha256)", refused.getMessage());
    }

    @Test
    void aPinIsSixtyFourHexDigits() {
        String hex64 = "0123456789abcdef".repeat(4);
        assertEquals(hex64, pinnedTo(hex64).optional(BertstreamConfig.MODEL_SHA256));
        for (String bad : new String[]{hex64.substring(1), hex64 + "0", hex64.replace('a', 'g'), "sha256:" + hex64}) {
            var refused = assertThrows(IllegalArgumentException.class, () -> pinnedTo(bad), bad);
            assertTrue(refused.getMessage().startsWith("bertstream.model.sha256=" + bad + " is refused"), refused.getMessage());
        }
    }
}
