package io.bertstream.cli;

import io.bertstream.topology.BertstreamApp;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.SharedModel;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run the stream processor against a Kafka cluster until stopped (SIGTERM / Ctrl-C).",
            "Every key of the config file can be overridden by an environment variable: bertstream.micro-batch.max-records",
            "by BERTSTREAM_MICRO_BATCH_MAX_RECORDS, a Kafka key such as sasl.jaas.config by KAFKA_SASL_JAAS_CONFIG.",
            "Example: bertstream run --config config/production-cpu.properties"})
public final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "A .properties file (see config/).")
    Path config;

    @Override
    public Integer call() {
        BertstreamConfig settings;
        SharedModel model;
        try {
            settings = BertstreamConfig.load(config, System.getenv());
            settings.topologySettings();
            settings.require(StreamsConfig.APPLICATION_ID_CONFIG);
            settings.require(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG);
            model = Distributions.explained(() -> SharedModel.open(settings));
        } catch (IllegalArgumentException e) {
            System.err.println("run: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("run: " + e.getMessage());
            return 3;
        }
        // The app closes the model last: after its stream threads and the inference worker have stopped.
        try (var app = BertstreamApp.owning(settings, model)) {
            app.start();
            printEndpoints(settings, app, "embedding");
            app.awaitStop();
            if (app.failure().isPresent()) {
                System.err.println("run: " + app.failure().get());
                return 3;
            }
            System.out.println("stopping: committing the last batch");
            return 0;
        } catch (IllegalArgumentException e) {
            // settings that cannot work together, found at start (limits, warm-up)
            System.err.println("run: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("run: " + e.getMessage());
            return 3;
        }
    }

    static void printEndpoints(BertstreamConfig settings, BertstreamApp app, String verb) {
        var topology = settings.topologySettings();
        String from = topology.inputPattern() != null ? "pattern " + topology.inputPattern() : String.join(",", topology.inputTopics());
        System.out.printf("bertstream %s %s -> %s (dead letters: %s) as %s, model %s%n", verb, from,
                topology.outputTopic(), topology.deadLetterTopic(), settings.get(StreamsConfig.APPLICATION_ID_CONFIG),
                settings.get(BertstreamConfig.MODEL));
        if (app.metricsUrl() != null) {
            System.out.printf("metrics: %s/metrics  health: %s/health%n", app.metricsUrl(), app.metricsUrl());
        }
        System.out.flush();
    }
}
