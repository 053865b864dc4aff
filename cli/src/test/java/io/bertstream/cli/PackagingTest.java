package io.bertstream.cli;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The files that build and start the artifacts, read as text (no Docker engine here, and the launcher would build):
 * the launcher runs each tool from the jar the product's help names, every build packages within the reactor with
 * its test-jars built, and the CPU image carries the product jar while the CUDA image carries the PyTorch
 * distribution.
 */
class PackagingTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void theLauncherRunsEachToolFromTheJarTheHelpNames() throws Exception {
        String launcher = Files.readString(ROOT.resolve("bertstream")).replaceAll("[ \\t]+", " ");
        for (Bertstream.Tool tool : Bertstream.Tool.values()) {
            String module = tool.checkoutPath.substring(0, tool.checkoutPath.indexOf('/'));
            assertTrue(launcher.contains(tool.command + ") module=" + module + "; jar=\"$here/" + tool.checkoutPath + "\""),
                    "./bertstream " + tool.command + " runs " + tool.checkoutPath + ":\n" + launcher);
            assertTrue(tool.checkoutPath.endsWith("/" + tool.jar), tool.checkoutPath);
            assertTrue(Files.isRegularFile(ROOT.resolve(module).resolve("pom.xml")), module + " is a module");
        }
        assertTrue(launcher.contains("jar=\"$here/cli/target/bertstream.jar\""), "every other command: the product jar");
        assertBuildsInTheReactor("bertstream", launcher);
        String build = launcher.lines().filter(l -> l.contains("mvn ")).findFirst().orElseThrow();
        assertTrue(build.contains(" package") && !build.contains(" install"), "installs nothing into ~/.m2: " + build);
    }

    @Test
    void theCpuImageCarriesTheProductAndTheCudaImageThePyTorchDistribution() throws Exception {
        String cpu = Files.readString(ROOT.resolve("docker/Dockerfile"));
        assertTrue(cpu.contains("-pl cli -am package"), "builds the product and what it is made of, not backend-pytorch");
        assertTrue(cpu.contains("COPY --from=build /src/cli/target/bertstream.jar "), cpu);
        assertBuildsInTheReactor("Dockerfile", cpu);

        String cuda = Files.readString(ROOT.resolve("docker/Dockerfile.cuda"));
        assertTrue(cuda.contains("-pl dist-pytorch -am package") && cuda.contains("-Pcuda"), "the PyTorch distribution, no CPU libtorch");
        assertTrue(cuda.contains("COPY --from=build /src/dist-pytorch/target/bertstream-pytorch.jar "), cuda);
        assertBuildsInTheReactor("Dockerfile.cuda", cuda);
    }

    /** -Dmaven.test.skip skips the engine's and the CLI's test-jars too, which modules further on need to resolve. */
    private static void assertBuildsInTheReactor(String file, String text) {
        assertTrue(text.contains("-DskipTests"), file + " skips running tests only");
        assertFalse(text.contains("-Dmaven.test.skip="), file + ": -Dmaven.test.skip leaves the test-jars unbuilt");
    }
}
