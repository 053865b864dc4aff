package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true, description = "Embed texts from a file or stdin to JSONL.")
public final class EmbedCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("embed: not implemented yet");
        return 3;
    }
}
