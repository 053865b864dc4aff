package io.bertstream.topology;

import java.nio.file.Path;

/**
 * The processor as a child JVM for the crash, shutdown and scale-out tests, run the way {@code bertstream run}
 * runs it: loads a config file, starts the app, prints its metrics port, runs until SIGTERM (then closes the app,
 * which closes the model last) or until the app stops on its own (exit code 3, the cause on stderr).
 * With the system property {@value #FAKE_EMBEDDER} it embeds with a {@link FakeEmbedder} of that spec instead of
 * the real model.
 */
public final class ProcessorChildMain {

    static final String FAKE_EMBEDDER = "bertstream.test.fake-embedder";

    public static void main(String[] args) {
        var config = BertstreamConfig.load(Path.of(args[0]), System.getenv());
        String fake = System.getProperty(FAKE_EMBEDDER);
        FakeEmbedder fakeEmbedder = fake == null ? null : FakeEmbedder.parse(fake).reportCloseTo(System.err);
        SharedModel model = fakeEmbedder == null ? SharedModel.open(config)
                : SharedModel.owning(fakeEmbedder, fakeEmbedder.shape());
        var app = BertstreamApp.owning(config, model);
        try {
            app.start();
        } catch (IllegalArgumentException e) {
            System.err.println("run: " + e.getMessage());
            app.close();
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("run: " + e.getMessage());
            app.close();
            System.exit(3);
        }
        System.out.println("metrics-port=" + app.metricsPort());
        System.out.flush();
        app.awaitStop();
        var failure = app.failure();
        app.close(); // stream threads, the inference worker, then the model; a SIGTERM's hook waits for this
        if (failure.isPresent()) {
            System.err.println("run: " + failure.get());
            System.exit(3);
        }
    }
}
