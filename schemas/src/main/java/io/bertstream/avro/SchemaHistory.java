package io.bertstream.avro;

import org.apache.avro.Schema;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The released versions of the contract's schemas and of the changelogged state (format versions), kept under
 * {@code io/bertstream/avro/history/v<N>/<Record>.avsc} (v1, v2, … without gaps). Readers use them to decode
 * data written by earlier releases; the build checks that the current schemas can read each of them.
 */
public final class SchemaHistory {

    private SchemaHistory() {
    }

    /** Every released version of the record's schema, oldest first; empty if it was never released. */
    public static List<Schema> released(String recordName) {
        List<Schema> versions = new ArrayList<>();
        for (int version = 1; ; version++) {
            String resource = "history/v" + version + "/" + recordName + ".avsc";
            try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
                if (in == null) {
                    return versions;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("Could not read " + resource, e);
            }
        }
    }
}
