package io.bertstream.cli;

import io.bertstream.extract.ExtractionSpec;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.SharedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.bertstream.cli.CommandLineTest.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command line's model and extraction options are the configuration's keys: one default, one rule, one builder
 * (SharedModel) for `embed` and `run` alike; the micro-batch / pass vocabulary, with the old option name still taken.
 */
class CommandSettingsTest {

    /** Parses an embed command line without running it. */
    private static EmbedCommand parsed(String... args) {
        CommandLine line = Bertstream.commandLine();
        line.parseArgs(args);
        return (EmbedCommand) line.getSubcommands().get("embed").getCommand();
    }

    @Test
    void embedOptionsMakeTheSameExtractionAsTheSameKeysInRun() {
        EmbedCommand embed = parsed("embed", "--layers=-4..-1", "--combine", "mean", "--pooling", "cls", "--no-normalize",
                "--truncate-dims", "32", "--long", "chunk", "--max-tokens", "64", "--overlap", "8", "--quantize", "int8",
                "--doc-vector");
        ExtractionSpec fromOptions = embed.extraction.spec(Settings.of(embed.model, embed.extraction, embed));
        ExtractionSpec fromConfig = SharedModel.extractionSpec(BertstreamConfig.of(Map.of(
                BertstreamConfig.LAYERS, "-4..-1", BertstreamConfig.LAYERS_COMBINE, "mean",
                BertstreamConfig.POOLING, "cls", BertstreamConfig.NORMALIZE, "false",
                BertstreamConfig.TRUNCATE_DIMS, "32", BertstreamConfig.LENGTH_MODE, "chunk",
                BertstreamConfig.LENGTH_MAX_TOKENS, "64", BertstreamConfig.LENGTH_OVERLAP, "8",
                BertstreamConfig.QUANTIZE, "int8", BertstreamConfig.DOCUMENT_VECTOR, "true"), Map.of()));
        assertEquals(fromConfig.layers().toString(), fromOptions.layers().toString());
        assertEquals(fromConfig.pooling(), fromOptions.pooling());
        assertEquals(fromConfig.normalize(), fromOptions.normalize());
        assertEquals(fromConfig.truncateDims(), fromOptions.truncateDims());
        assertEquals(fromConfig.length(), fromOptions.length());
        assertEquals(fromConfig.quantize(), fromOptions.quantize());
        assertEquals(fromConfig.documentVector(), fromOptions.documentVector());
    }

    @Test
    void unsetOptionsTakeTheConfigurationsDefaults() {
        EmbedCommand embed = parsed("embed");
        BertstreamConfig defaults = BertstreamConfig.of(Map.of(), Map.of());
        BertstreamConfig fromOptions = Settings.of(embed.model, embed.extraction, embed);
        for (String key : new String[] {BertstreamConfig.MODEL, BertstreamConfig.BACKEND, BertstreamConfig.DEVICE,
                BertstreamConfig.THREADS, BertstreamConfig.ENGINE_MAX_PASS_TOKENS, BertstreamConfig.LENGTH_MODE,
                BertstreamConfig.LENGTH_MAX_TOKENS, BertstreamConfig.MICRO_BATCH_MAX_RECORDS, BertstreamConfig.POOLING}) {
            assertEquals(defaults.get(key), fromOptions.get(key), key);
        }
        assertEquals(SharedModel.engineOptions(defaults), SharedModel.engineOptions(fromOptions));
        var help = capture(() -> Bertstream.execute("embed", "--help"));
        assertTrue(help.out().contains("(default " + defaults.get(BertstreamConfig.MICRO_BATCH_MAX_RECORDS) + ")"), help.out());
    }

    /** The length modes through the engine's one parser: the config's spelling and the old command-line one are one mode. */
    @Test
    void lengthModesHaveOneParser() {
        for (String[] same : new String[][] {{"head", "truncate-head"}, {"tail", "TRUNCATE_TAIL"}, {"head-tail", "truncate-head-tail"}}) {
            EmbedCommand a = parsed("embed", "--long", same[0]);
            EmbedCommand b = parsed("embed", "--long", same[1]);
            assertEquals(a.extraction.spec(Settings.of(a.extraction)).length(), b.extraction.spec(Settings.of(b.extraction)).length());
        }
    }

    @Test
    void aRefusedValueNamesTheOptionNotTheKey(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "hello\n");
        var run = capture(() -> Bertstream.execute("embed", in.toString(), "--max-tokens", "-1", "--long", "sideways"));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--max-tokens=-1 is refused; allowed: a whole number, 0 or more"), run.err());
        assertTrue(run.err().contains("--long=sideways is refused"), run.err());
        assertTrue(run.err().contains("valid are head, tail, head-tail, chunk"), run.err());
        assertFalse(run.err().contains("bertstream.length."), "option names, not keys: " + run.err());
        var both = capture(() -> Bertstream.execute("embed", in.toString(), "--combine", "mean"));
        assertEquals(2, both.exitCode());
        assertTrue(both.err().contains("--combine needs --layers"), both.err());
    }

    @Test
    void theOldBatchSizeOptionStillWorksWithOneWarningLine(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "one\ntwo\nthree\n");
        var old = capture(() -> Bertstream.execute("embed", in.toString(), "--batch-size", "2"));
        assertEquals(0, old.exitCode(), old.err());
        assertEquals(3, old.out().lines().count(), old.out());
        assertEquals(1, old.err().lines().filter(l -> l.contains("deprecated")).count(), old.err());
        assertTrue(old.err().contains("embed: --batch-size is deprecated: use --micro-batch (same meaning)"), old.err());
        var current = capture(() -> Bertstream.execute("embed", in.toString(), "--micro-batch", "2"));
        assertEquals(0, current.exitCode(), current.err());
        assertEquals(old.out(), current.out(), "same records");
        assertFalse(current.err().contains("deprecated"), current.err());
        var both = capture(() -> Bertstream.execute("embed", in.toString(), "--batch-size", "2", "--micro-batch", "2"));
        assertEquals(2, both.exitCode());
        assertTrue(both.err().contains("keep only --micro-batch"), both.err());
        var zero = capture(() -> Bertstream.execute("embed", in.toString(), "--micro-batch", "0"));
        assertEquals(2, zero.exitCode());
        assertTrue(zero.err().contains("--micro-batch=0 is refused"), zero.err());
    }

    /** This jar has ONNX Runtime only: asking for PyTorch says which distribution has it. */
    @Test
    void askingForAnAbsentBackendNamesTheJarThatHasIt(@TempDir Path dir) throws Exception {
        Path in = Files.writeString(dir.resolve("t.txt"), "hello\n");
        var run = capture(() -> Bertstream.execute("embed", in.toString(), "--backend", "pytorch"));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("bertstream-backend-pytorch"), run.err());
        assertTrue(run.err().contains(Distributions.PYTORCH_JAR), run.err());
    }
}
