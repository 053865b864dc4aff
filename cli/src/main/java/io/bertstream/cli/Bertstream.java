package io.bertstream.cli;

import io.bertstream.engine.model.ModelLoadException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The single `bertstream` entry point.
 *
 * <p>Exit codes, the same for every command: 0 ok, 1 partial failure (e.g. bad input lines, a demo that did not
 * see every record), 2 usage error (unknown option, bad value, a model that does not exist), 3 runtime error.
 * Errors go to stderr as one line starting with the command name.
 */
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
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:partial failure (some input could not be processed)",
            "2:usage error (bad option or value, unknown model)",
            "3:runtime error"})
public final class Bertstream implements Runnable {

    public static final int OK = 0;
    public static final int PARTIAL_FAILURE = 1;
    public static final int USAGE_ERROR = 2;
    public static final int RUNTIME_ERROR = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code; what tests call. */
    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** The configured command line, for callers that redirect its output. */
    public static CommandLine commandLine() {
        return new CommandLine(new Bertstream())
                .setExecutionExceptionHandler(Bertstream::handleFailure);
    }

    /** An exception a command did not handle itself: one clear line on stderr, and a code scripts can test. */
    private static int handleFailure(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
        boolean usage = e instanceof IllegalArgumentException || e instanceof ModelLoadException;
        command.getErr().println(command.getCommandName() + ": " + describe(e));
        if (Boolean.getBoolean("bertstream.stacktrace")) {
            e.printStackTrace(command.getErr());
        } else {
            command.getErr().println("(run with -Dbertstream.stacktrace=true for the stack trace)");
        }
        return usage ? USAGE_ERROR : RUNTIME_ERROR;
    }

    /** The message and its causes, e.g. "cannot start broker: Address already in use". */
    static String describe(Throwable e) {
        var text = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (!text.toString().contains(message)) {
                text.append(text.isEmpty() ? "" : ": ").append(message);
            }
        }
        return text.toString();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
