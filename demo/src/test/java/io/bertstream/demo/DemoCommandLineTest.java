package io.bertstream.demo;

import io.bertstream.cli.Bertstream;
import org.junit.jupiter.api.Test;

import static io.bertstream.cli.CommandLineTest.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's command line in its own artifact: found by the entry point, its usage errors caught before anything starts. */
class DemoCommandLineTest {

    @Test
    void theEntryPointFindsTheDemoInItsArtifact() {
        var help = capture(() -> Bertstream.execute("demo", "--help"));
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("Usage: bertstream demo"), help.out());
        assertTrue(help.out().contains("--query"), "the demo's own options, not a stand-in: " + help.out());
        var top = capture(() -> Bertstream.execute("--help"));
        assertTrue(top.out().lines().anyMatch(l -> l.strip().startsWith("demo ") && !l.contains("bertstream-demo.jar")),
                "listed as a command of this jar:\n" + top.out());
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        assertEquals(2, capture(() -> Bertstream.execute("demo", "--timeout", "soon")).exitCode());
    }

    @Test
    void aMistypedDemoSettingFailsBeforeAnythingStarts() {
        long start = System.nanoTime();
        var run = capture(() -> Bertstream.execute("demo", "--set", "bertstream.batch.max-recrods=8"));
        assertEquals(2, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains("bertstream.batch.max-recrods"), "names the key: " + run.err());
        assertFalse(run.out().contains("Starting an embedded Kafka broker"), run.out());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "fails fast");
    }
}
