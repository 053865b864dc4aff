package io.bertstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single `bertstream` entry point. Exit codes: 0 ok, 1 partial failure (e.g. bad input lines), 2 usage error, 3 runtime error. */
@Command(name = "bertstream", mixinStandardHelpOptions = true, version = "bertstream 0.1.0",
        description = "Real-time BERT embeddings for Kafka.",
        subcommands = {
            DemoCommand.class,
            RunCommand.class,
            ReplayCommand.class,
            EmbedCommand.class,
            ProbeLayersCommand.class,
            FitPcaCommand.class,
            InspectCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Bertstream implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code; what tests call. */
    public static int execute(String... args) {
        return new CommandLine(new Bertstream()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
