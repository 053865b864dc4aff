package io.bertstream.topology;

import java.nio.file.Path;

/**
 * The processor as a child JVM for the crash and scale-out tests: loads a config file, starts the app, prints
 * its metrics port, runs until killed.
 */
public final class ProcessorChildMain {

    public static void main(String[] args) throws InterruptedException {
        var config = BertstreamConfig.load(Path.of(args[0]), System.getenv());
        var model = SharedModel.open(config);
        var app = new BertstreamApp(config, model).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            model.close();
        }));
        System.out.println("metrics-port=" + app.metricsPort());
        System.out.flush();
        Thread.currentThread().join();
    }
}
