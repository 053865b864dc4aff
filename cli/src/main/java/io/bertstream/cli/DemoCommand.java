package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true, description = "Start an embedded Kafka broker, stream a sample corpus through the processor and show what came out.")
public final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("demo: not implemented yet");
        return 3;
    }
}
