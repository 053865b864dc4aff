package io.bertstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.bertstream.bench.BenchReport.Phase;
import io.bertstream.bench.BenchReport.Ratio;

import java.io.IOException;
import java.math.BigDecimal;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** A bench report as console lines, JSON (for machines) or markdown (for docs/performance.md). */
public final class ReportWriter {

    private ReportWriter() {
    }

    /** Writes JSON when the file name ends in .json, markdown otherwise. */
    public static void write(BenchReport report, Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            Files.writeString(file, file.toString().endsWith(".json") ? json(report) : markdown(report));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + file, e);
        }
    }

    public static String json(BenchReport report) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String markdown(BenchReport report) {
        StringBuilder md = new StringBuilder();
        BenchReport.Machine m = report.machine();
        BenchReport.Corpus c = report.corpus();
        md.append(f("Machine: %s, %d cores, %.1f GiB, %s, %s%n%n", m.cpu(), m.cores(), m.memoryGib(), m.java(), m.os()));
        md.append(f("Corpus: %d texts (seed %d), tokens min %d / median %d / mean %.1f / max %d, %.2f GFLOP per pass%n%n",
                c.texts(), c.seed(), c.minTokens(), c.medianTokens(), c.meanTokens(), c.maxTokens(), c.gflopPerPass()));
        md.append(f("fp32 matmul peak (ONNX Runtime MatMul, same run): %.1f GFLOP/s%n%n", report.matmulPeakGflops()));
        md.append("| phase | subject | best settings | sentences/s (median) | runs | GFLOP/s | % of peak | padded | "
                + "rows per pass | min cosine to (b) | load s | warm-up s | RSS MiB |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Phase p : report.phases()) {
            if (!p.ok()) {
                md.append(f("| %s | %s | failed: %s | | | | | | | | | | |%n", p.id(), p.subject(), p.error()));
                continue;
            }
            md.append(f("| %s | %s | %s | %.1f | %s | %.1f | %.0f %% | %s | %s | %s | %.2f | %.2f | %.0f |%n", p.id(),
                    p.subject(), p.settings(), p.sentencesPerSecond(), runs(p.runs()), p.gflops(), 100 * p.peakShare(),
                    percent(p.paddedShare()), rows(p.rowsPerPass()),
                    p.minCosineToB() == null ? "" : f("%.5f", p.minCosineToB()),
                    p.loadSeconds(), p.warmupSeconds(), p.residentMib()));
        }
        md.append("\nSweeps (sentences/s, median):\n\n");
        for (Phase p : report.phases()) {
            for (BenchReport.SweepPoint s : p.sweep()) {
                md.append(f("- %s, %s: %.1f (padded %s)%n", p.id(), s.settings(), s.sentencesPerSecond(),
                        percent(s.paddedShare())));
            }
        }
        report.phases().stream().filter(p -> p.latency() != null).forEach(p -> md.append('\n').append(latencyLine(p)));
        if (report.batchInvariance() != null) {
            md.append(f("%nBatch invariance (fp32, ONNX Runtime): texts alone vs in one mixed-length pass differ by at "
                    + "most %.3g (max abs)%n", report.batchInvariance()));
        }
        md.append("\n| ratio | value | goal | met |\n|---|---|---|---|\n");
        for (Ratio r : report.ratios()) {
            md.append(f("| %s | %s | %s | %s |%n", r.name(), r.value() == null ? "n/a" : value(r),
                    r.goal() == null ? "" : (r.atMost() ? "<= " : ">= ") + goal(r),
                    r.met() == null ? "" : r.met() ? "yes" : "no"));
        }
        report.notes().forEach(note -> md.append("\n- ").append(note));
        return md.append('\n').toString();
    }

    public static String phaseLine(Phase p) {
        if (!p.ok()) {
            return f("(%s) %s: FAILED %s", p.id(), p.subject(), p.error());
        }
        return f("(%s) %s [%s]: %.1f sentences/s (runs %s), %.1f GFLOP/s = %.0f %% of peak, padded %s, "
                        + "rows per pass %s, min cosine to (b) %s, load %.2f s, warm-up %.2f s, RSS %.0f MiB",
                p.id(), p.subject(), p.settings(), p.sentencesPerSecond(), runs(p.runs()), p.gflops(),
                100 * p.peakShare(), percent(p.paddedShare()), rows(p.rowsPerPass()),
                p.minCosineToB() == null ? "n/a" : f("%.5f", p.minCosineToB()), p.loadSeconds(), p.warmupSeconds(),
                p.residentMib());
    }

    public static String ratioLine(Ratio r) {
        String value = r.value() == null ? "n/a" : value(r);
        if (r.goal() == null) {
            return f("ratio %-48s %10s", r.name(), value);
        }
        return f("ratio %-48s %10s  (goal %s %s: %s)", r.name(), value, r.atMost() ? "<=" : ">=", goal(r),
                r.value() == null ? "not measured" : r.met() ? "met" : "MISSED");
    }

    /** Where the latency was measured, its quantiles and its goal with the goal's parts. */
    public static String latencyLine(Phase p) {
        BenchReport.Latency l = p.latency();
        return f("Pipeline latency %s (input record timestamp to read_committed arrival) at %.0f events/s offered (%.0f "
                        + "achieved, %d events): p50 %.1f ms, p99 %.1f ms; goal p99 <= %.1f ms = linger %.0f + commit "
                        + "interval %.0f + 2 x mean pass %.1f: %s%n", p.id(), l.offeredPerSecond(), l.achievedPerSecond(),
                l.events(), l.p50Millis(), l.p99Millis(), l.p99GoalMillis(), l.lingerMillis(), l.commitIntervalMillis(),
                l.meanPassMillis(), l.p99Millis() <= l.p99GoalMillis() ? "met" : "MISSED");
    }

    /**
     * Three decimals; five against a goal like 0.999 (a cosine of 0.9996 must not print as 1.000); three significant
     * digits against a tiny goal (1e-6: a difference of 2e-7 must not print as 0.000).
     */
    private static String value(Ratio r) {
        Double goal = r.goal();
        String format = goal == null ? "%.3f" : goal < 1e-3 ? "%.3g" : goal > 0.99 && goal < 1 ? "%.5f" : "%.3f";
        return f(format, r.value());
    }

    /** 1.5, 0.95, 0.999: as many digits as the goal has. */
    private static String goal(Ratio r) {
        return BigDecimal.valueOf(r.goal()).stripTrailingZeros().toPlainString();
    }

    private static String runs(double[] runs) {
        StringBuilder s = new StringBuilder();
        for (double run : runs) {
            s.append(s.length() == 0 ? "" : " / ").append(f("%.1f", run));
        }
        return s.toString();
    }

    private static String rows(Double rowsPerPass) {
        return rowsPerPass == null ? "n/a" : f("%.1f", rowsPerPass);
    }

    private static String percent(Double share) {
        return share == null ? "n/a" : f("%.1f %%", 100 * share);
    }

    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
