package io.bertstream.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract scripts rely on: help everywhere, and exit code 2 for every kind of usage error. */
public class CommandLineTest {

    @Test
    void everySubcommandHasHelpThatExitsZero() {
        var subcommands = Bertstream.commandLine().getSubcommands().keySet();
        assertTrue(subcommands.containsAll(java.util.List.of("demo", "run", "replay", "embed", "probe-layers",
                "fit-pca", "inspect", "bench")), "all commands registered: " + subcommands);
        for (String name : subcommands) {
            if (name.equals("help")) {
                continue;
            }
            var run = capture(() -> Bertstream.execute(name, "--help"));
            assertEquals(0, run.exitCode(), name + " --help");
            assertTrue(run.out().contains("Usage: bertstream " + name), name + " --help prints its usage:\n" + run.out());
            assertTrue(run.out().contains("--help"), name + " --help lists the options");
        }
        var top = capture(() -> Bertstream.execute("--help"));
        assertEquals(0, top.exitCode());
        assertTrue(top.out().contains("Exit codes:"), "top-level help documents exit codes:\n" + top.out());
    }

    @Test
    void unknownOptionsAndCommandsAreUsageErrors() {
        var unknownOption = capture(() -> Bertstream.execute("inspect", "--no-such-option"));
        assertEquals(2, unknownOption.exitCode());
        assertTrue(unknownOption.err().contains("--no-such-option"), "names the bad option: " + unknownOption.err());
        assertEquals(2, capture(() -> Bertstream.execute("--no-such-option")).exitCode());
        assertEquals(2, capture(() -> Bertstream.execute("no-such-command")).exitCode());
    }

    @Test
    void runRefusesWeightsOtherThanThePinnedOnesBeforeTouchingKafka(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String actual = io.bertstream.engine.model.ModelLoader.load("minilm").identity().sha256();
        String pinned = "ab".repeat(32);
        var config = dir.resolve("pinned.properties");
        java.nio.file.Files.writeString(config, String.join("\n", "application.id=a", "bootstrap.servers=127.0.0.1:1",
                "bertstream.input.topics=t", "bertstream.output.topic=o", "bertstream.dlq.topic=d",
                "bertstream.model=minilm", "bertstream.model.sha256=" + pinned, ""));
        var run = capture(() -> Bertstream.execute("run", "--config", config.toString()));
        assertEquals(2, run.exitCode(), run.out() + run.err());
        String refusal = run.err().lines().filter(line -> line.startsWith("run: ")).findFirst().orElse(run.err());
        assertTrue(refusal.startsWith("run: bertstream.model.sha256 pins the weights to sha256 " + pinned), run.err());
        assertTrue(refusal.contains("has sha256 " + actual), "names both hashes on one line: " + run.err());
    }

    @Test
    void inspectWithoutAModelIsAUsageError() {
        var run = capture(() -> Bertstream.execute("inspect"));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--model"), run.err());
    }

    @Test
    void aModelThatDoesNotExistIsAUsageErrorWithAClearMessage() {
        var run = capture(() -> Bertstream.execute("inspect", "--model", "/no/such/model-dir"));
        assertEquals(2, run.exitCode());
        assertTrue(run.err().startsWith("inspect: "), "one line naming the command: " + run.err());
        assertTrue(run.err().contains("/no/such/model-dir"), "names the path: " + run.err());
        assertFalse(run.err().contains("\tat "), "no stack trace by default: " + run.err());
    }

    public record Run(int exitCode, String out, String err) {
    }

    /** Runs a command with System.out / System.err captured (picocli binds to them when the command line is made). */
    public static Run capture(Supplier<Integer> command) {
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = command.get();
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
