package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "probe-layers", mixinStandardHelpOptions = true, description = "Rank every layer x pooling on labelled data: which layer should I use?")
public final class ProbeLayersCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("probe-layers: not implemented yet");
        return 3;
    }
}
