package io.bertstream.cli;

import io.bertstream.engine.model.ModelLoadException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * The single `bertstream` entry point, the same in every artifact: the product jar (bertstream.jar, with its
 * PyTorch variant bertstream-pytorch.jar) runs the processor's commands; the demo and the benchmark live in their
 * own jars (bertstream-demo.jar, bertstream-bench.jar), which add their command through {@link ToolCommand}.
 * Every artifact lists every command.
 *
 * <p>Exit codes, the same for every command: 0 ok, 1 partial failure (e.g. bad input lines, a demo that did not
 * see every record), 2 usage error (unknown option, bad value, a model that does not exist, a command this jar does
 * not carry), 3 runtime error. Errors go to stderr as one line starting with the command name.
 */
@Command(name = "bertstream", mixinStandardHelpOptions = true, version = "bertstream 0.1.0",
        description = "Real-time BERT embeddings for Kafka.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:partial failure (some input could not be processed)",
            "2:usage error (bad option or value, unknown model, a command this jar does not carry)",
            "3:runtime error"})
public final class Bertstream implements Runnable {

    public static final int OK = 0;
    public static final int PARTIAL_FAILURE = 1;
    public static final int USAGE_ERROR = 2;
    public static final int RUNTIME_ERROR = 3;

    /**
     * The commands shipped in their own artifacts: the product jar carries no broker and no benchmark. Each is
     * listed wherever it is absent, with the artifact that runs it.
     */
    enum Tool {
        DEMO("demo", "bertstream-demo.jar", "demo/target/bertstream-demo.jar",
                "Start an embedded Kafka broker, stream a sample corpus through the processor and show what came out."),
        BENCH("bench", "bertstream-bench.jar", "bench/target/bertstream-bench.jar",
                "Benchmark the engine and the pipeline against langchain4j and raw ONNX Runtime.");

        final String command;
        final String jar;
        final String checkoutPath;
        final String summary;

        Tool(String command, String jar, String checkoutPath, String summary) {
            this.command = command;
            this.jar = jar;
            this.checkoutPath = checkoutPath;
            this.summary = summary;
        }
    }

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
        Map<String, ToolCommand> tools = new HashMap<>();
        for (ToolCommand tool : ServiceLoader.load(ToolCommand.class, Bertstream.class.getClassLoader())) {
            tools.put(new CommandLine(tool).getCommandName(), tool);
        }
        CommandLine line = new CommandLine(new Bertstream());
        line.addSubcommand(tool(Tool.DEMO, tools));
        for (Object command : List.of(new RunCommand(), new ReplayCommand(), new EmbedCommand(),
                new ProbeLayersCommand(), new FitPcaCommand(), new InspectCommand())) {
            line.addSubcommand(command);
        }
        line.addSubcommand(tool(Tool.BENCH, tools));
        line.addSubcommand(new CommandLine.HelpCommand());
        // after the subcommands: the setting reaches only those already added
        line.setDefaultValueProvider(Settings.DEFAULT_VALUES);
        return line.setExecutionExceptionHandler(Bertstream::handleFailure);
    }

    /** The tool's own command when its artifact is on the class path, else a stand-in that names the artifact. */
    private static CommandLine tool(Tool tool, Map<String, ToolCommand> found) {
        ToolCommand command = found.get(tool.command);
        return command != null ? new CommandLine(command) : AbsentTool.commandLine(tool);
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

    /**
     * Stands in for a tool whose artifact is not on the class path: listed with the others, it says where the
     * command lives and exits with the usage-error code, whatever the arguments.
     */
    @Command(mixinStandardHelpOptions = true)
    static final class AbsentTool implements Callable<Integer> {

        private final Tool tool;

        @CommandLine.Unmatched
        List<String> arguments;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        private AbsentTool(Tool tool) {
            this.tool = tool;
        }

        static CommandLine commandLine(Tool tool) {
            CommandLine line = new CommandLine(new AbsentTool(tool));
            line.getCommandSpec().name(tool.command);
            line.getCommandSpec().usageMessage().description("[" + tool.jar + "] " + tool.summary, "", where(tool));
            return line;
        }

        static String where(Tool tool) {
            return "This jar does not carry `" + tool.command + "`: it runs from " + tool.jar
                    + " (from a checkout: ./bertstream " + tool.command + ", which builds " + tool.checkoutPath
                    + "; elsewhere: java -jar " + tool.jar + " " + tool.command + ").";
        }

        @Override
        public Integer call() {
            spec.commandLine().getErr().println(tool.command + ": " + where(tool));
            return USAGE_ERROR;
        }
    }
}
