package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Describe a model: format, architecture, layers, dims, max tokens, default pooling, sha256.")
public final class InspectCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("inspect: not implemented yet");
        return 3;
    }
}
