package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true, description = "Re-embed a topic from the beginning or from a timestamp, without disturbing the live application.")
public final class ReplayCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("replay: not implemented yet");
        return 3;
    }
}
