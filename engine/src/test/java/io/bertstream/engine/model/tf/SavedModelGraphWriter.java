package io.bertstream.engine.model.tf;

import java.io.IOException;

import static io.bertstream.engine.model.Protobuf.message;

/** Test-scope SavedModel with just the graph nodes of Google's modeling.py that carry architecture knobs. */
final class SavedModelGraphWriter {

    private SavedModelGraphWriter() {
    }

    static byte[] bertGraph(String scope, int heads, float eps, String activationOp) throws IOException {
        byte[] graph = message(g -> {
            g.writeByteArray(1, node(scope + "bert/embeddings/LayerNorm/batchnorm/add/y", "Const",
                    message(t -> {
                        t.writeEnum(1, 1); // DT_FLOAT
                        t.writeFloat(5, eps);
                    })));
            g.writeByteArray(1, node(scope + "bert/encoder/layer_0/attention/self/Reshape/shape/2", "Const",
                    message(t -> {
                        t.writeEnum(1, 3); // DT_INT32
                        t.writeInt32(7, heads);
                    })));
            g.writeByteArray(1, node(scope + "bert/encoder/layer_0/intermediate/dense/" + activationOp,
                    activationOp, null));
        });
        byte[] metaGraph = message(m -> m.writeByteArray(2, graph));
        return message(s -> {
            s.writeInt64(1, 1);
            s.writeByteArray(2, metaGraph);
        });
    }

    private static byte[] node(String name, String op, byte[] valueTensor) throws IOException {
        return message(n -> {
            n.writeString(1, name);
            n.writeString(2, op);
            if (valueTensor != null) {
                byte[] attrValue = message(a -> a.writeByteArray(8, valueTensor));
                n.writeByteArray(5, message(entry -> {
                    entry.writeString(1, "value");
                    entry.writeByteArray(2, attrValue);
                }));
            }
        });
    }
}
