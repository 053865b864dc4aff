package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Run the stream processor against a Kafka cluster.")
public final class RunCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("run: not implemented yet");
        return 3;
    }
}
