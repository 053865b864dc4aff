package io.bertstream.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "fit-pca", mixinStandardHelpOptions = true, description = "Fit a PCA projection on sample texts and write it to a file that later runs apply.")
public final class FitPcaCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("fit-pca: not implemented yet");
        return 3;
    }
}
