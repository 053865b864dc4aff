package io.bertstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** This process and machine as Linux's /proc describes them; -1 or "unknown" elsewhere. */
public final class ProcessStats {

    private ProcessStats() {
    }

    /** VmRSS in MiB: heap, native tensors and loaded libraries together. */
    public static double residentMib() {
        return kibField(Path.of("/proc/self/status"), "VmRSS:") / 1024.0;
    }

    public static double totalMemoryGib() {
        return kibField(Path.of("/proc/meminfo"), "MemTotal:") / (1024.0 * 1024.0);
    }

    public static String cpuModel() {
        return lines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
    }

    /** A "Name:   1234 kB" field; -1 when absent. */
    private static long kibField(Path file, String name) {
        return lines(file).stream().filter(line -> line.startsWith(name))
                .mapToLong(line -> Long.parseLong(line.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }
}
