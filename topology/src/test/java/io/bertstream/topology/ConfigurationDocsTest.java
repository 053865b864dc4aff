package io.bertstream.topology;

import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's configuration table is BertstreamConfig's table: this test renders it from the declarations and
 * fails, printing the table to paste, when the README differs. The operations guide names what it must.
 */
class ConfigurationDocsTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Path OPERATIONS = Path.of("..", "docs", "operations.md");
    private static final String BEGIN = "<!-- configuration keys: generated from BertstreamConfig.KEYS, checked by ConfigurationDocsTest -->\n";
    private static final String END = "<!-- end of configuration keys -->";

    /** One row per key, in the table's order: key, default, what is allowed, meaning. */
    static String markdownTable() {
        var out = new StringBuilder("| key | default | allowed | meaning |\n|---|---|---|---|\n");
        for (ConfigDef.ConfigKey key : BertstreamConfig.KEYS.configKeys().values()) {
            String defaultValue = key.defaultValue == null ? "–" : "`" + ConfigDef.convertToString(key.defaultValue, key.type) + "`";
            out.append("| `").append(key.name).append("` | ").append(defaultValue).append(" | ")
                    .append(BertstreamConfig.allowed(key).replace("|", "\\|")).append(" | ")
                    .append(key.documentation.replace("|", "\\|")).append(" |\n");
        }
        return out.toString();
    }

    @Test
    void theReadmeTableIsTheDeclaredTable() throws Exception {
        String readme = Files.readString(README);
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "README has the markers " + BEGIN.trim() + " and " + END);
        String documented = readme.substring(begin + BEGIN.length(), end);
        assertEquals(markdownTable(), documented, "README's configuration table; paste this:\n" + markdownTable());
    }

    @Test
    void theDocsNameTheRulesOfTheEnvironmentAndTheOldNames() throws Exception {
        String readme = Files.readString(README);
        String operations = Files.readString(OPERATIONS);
        for (String variable : BertstreamConfig.ENVIRONMENT_NOT_SETTINGS) {
            assertTrue(operations.contains("`" + variable + "`"), "operations.md names " + variable + " as not a setting");
        }
        for (var renamed : BertstreamConfig.RENAMED.entrySet()) {
            assertTrue(operations.contains("`" + renamed.getKey() + "`") && operations.contains("`" + renamed.getValue() + "`"),
                    "operations.md names the old key " + renamed.getKey() + " and its new name");
        }
        for (String key : new String[]{BertstreamConfig.METRICS_BIND, BertstreamConfig.MODEL_SHA256,
                "schema.registry.basic.auth.allow.plain.http", "OPT_OUT_TRACKING"}) {
            String security = operations.substring(operations.indexOf("## Security"), operations.indexOf("## Replay"));
            assertTrue(security.contains("`" + key), "operations.md's security section explains " + key);
            assertTrue(readme.contains("`" + key), "README mentions " + key);
        }
    }
}
