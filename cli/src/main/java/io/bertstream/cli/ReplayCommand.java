package io.bertstream.cli;

import io.bertstream.topology.BertstreamApp;
import io.bertstream.topology.BertstreamConfig;
import io.bertstream.topology.Replay;
import io.bertstream.topology.SharedModel;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Re-embed the input topic(s) from the beginning or from a timestamp, e.g. after a model change,",
            "into a versioned output topic beside the live one, without disturbing the live application: the replay",
            "runs under its own application id (<application.id>-replay-<epoch ms> unless --app-id), with its own",
            "offsets, state, transactions and dead-letter topic (<replay application id>-dlq unless --dead-letter-topic).",
            "The live output topic is refused unless --allow-live-output. Exits once it has caught up with the end",
            "offsets seen at its start, unless --follow.",
            "Example: bertstream replay --config prod.properties --from 2026-11-01T00:00:00Z --output embeddings-v2"})
public final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The live application's .properties file.")
    Path config;

    static final class Start {
        @Option(names = "--from-beginning", description = "Replay everything still in the topics (the default).")
        boolean beginning;

        @Option(names = "--from", paramLabel = "TIME", description = "Replay records with a timestamp at or after TIME (ISO-8601 instant or epoch millis).")
        String from;
    }

    @ArgGroup(exclusive = true)
    Start start = new Start();

    @Option(names = "--output", paramLabel = "TOPIC", description = "Output topic of the replay, created like the live one if missing; required unless --allow-live-output.")
    String output;

    @Option(names = "--allow-live-output", description = "Allow writing into the live output topic (overwriting the live vectors in place; the default output then).")
    boolean allowLiveOutput;

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC", description = "Dead-letter topic of the replay (default: <replay application id>-dlq, created like the live one if missing).")
    String deadLetterTopic;

    @Option(names = "--app-id", paramLabel = "ID", description = "The replay's application id (default: <application.id>-replay-<epoch ms>).")
    String appId;

    @Option(names = "--follow", description = "Keep running after catching up, like the live application.")
    boolean follow;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT6H", description = "Give up if not caught up within this ISO-8601 duration (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "0", description = "Port of the replay's /metrics and /health (default: any free port, so it never clashes with the live app's).")
    int metricsPort;

    @Override
    public Integer call() {
        BertstreamConfig live;
        BertstreamConfig settings;
        Instant from;
        SharedModel model;
        try {
            from = start.from == null ? null : parseTime(start.from);
            live = BertstreamConfig.load(config, System.getenv());
            settings = Replay.configure(live, new Replay.Request(appId, output, deadLetterTopic, allowLiveOutput), Instant.now())
                    .with(Map.of(BertstreamConfig.METRICS_PORT, Integer.toString(metricsPort)));
            settings.topologySettings();
            model = Distributions.explained(() -> SharedModel.open(settings));
        } catch (IllegalArgumentException e) {
            System.err.println("replay: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("replay: " + e.getMessage());
            return 3;
        }
        // The app closes the model last: after its stream threads and the inference worker have stopped.
        try (var app = BertstreamApp.owning(settings, model);
             var replay = Replay.prepare(settings, live, from)) {
            System.out.printf("replay %s: %d records from %s into %s (dead letters: %s)%n", replay.applicationId(),
                    replay.recordsToReplay(), from == null ? "the beginning" : from,
                    settings.require(BertstreamConfig.OUTPUT_TOPIC), settings.require(BertstreamConfig.DLQ_TOPIC));
            app.start();
            RunCommand.printEndpoints(settings, app, "replaying");
            if (follow) {
                app.awaitStop();
                if (app.failure().isPresent()) {
                    System.err.println("replay: " + app.failure().get());
                    return 3;
                }
                return 0;
            }
            if (!replay.awaitCaughtUp(app, timeout)) {
                System.err.println("replay: not caught up after " + timeout);
                return 3;
            }
            System.out.printf("replay %s caught up: %.0f records written, %.0f dead-lettered%n", replay.applicationId(),
                    app.metrics().recordsOut(), app.metrics().deadLetteredTotal());
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        } catch (IllegalArgumentException e) {
            System.err.println("replay: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("replay: " + e.getMessage());
            return 3;
        }
    }

    private static Instant parseTime(String text) {
        try {
            return text.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(text)) : Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--from takes an ISO-8601 instant (2026-11-01T00:00:00Z) or epoch millis, not " + text);
        }
    }
}
