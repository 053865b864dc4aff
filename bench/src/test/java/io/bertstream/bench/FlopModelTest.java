package io.bertstream.bench;

import io.bertstream.engine.model.BertConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FlopModelTest {

    private static final BertConfig MINILM = new BertConfig("bert", 30522, 384, 6, 12, 1536, 512, 2, 1e-12, "gelu", 0);
    private static final BertConfig BERT_BASE = new BertConfig("bert", 30522, 768, 12, 12, 3072, 512, 2, 1e-12, "gelu", 0);

    @Test
    void miniLmCosts21MflopPerTokenAnd9216TSquaredAttention() {
        FlopModel flops = FlopModel.of(MINILM);
        assertEquals(21_233_664, flops.flopsPerToken());
        assertEquals(9_216, flops.attentionFactor());
        assertEquals(21_233_664.0 * 40 + 9_216.0 * 40 * 40, flops.flops(40));
        assertEquals(flops.flops(3) + flops.flops(200), flops.flops(new int[] {3, 200}));
    }

    @Test
    void bertBaseFromItsConfig() {
        // 12 layers x (4 x 768^2 + 2 x 768 x 3072) weights = 84.9 M, x2 FLOPs per token
        assertEquals(169_869_312, FlopModel.of(BERT_BASE).flopsPerToken());
    }
}
