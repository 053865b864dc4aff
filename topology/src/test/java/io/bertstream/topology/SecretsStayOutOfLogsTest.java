package io.bertstream.topology;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.bertstream.topology.KafkaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A processor in its own JVM, everything logged at INFO (Kafka's own client config dumps included), configured
 * with secrets of every kind, bare and behind Streams' client prefixes, on a real broker (PLAINTEXT, so the TLS
 * and SASL secrets are carried but not used): none of them appears in its log.
 */
class SecretsStayOutOfLogsTest {

    @TempDir
    Path dir;

    @Test
    void noSecretReachesTheLogAtInfo() throws Exception {
        String input = unique("texts");
        String output = unique("embeddings");
        String dlq = unique("dlq");
        broker().createTopics(1, input, output, dlq);
        var config = config(unique("app"), input, output, dlq, dir.resolve("state"));
        Map<String, String> secrets = Map.of(
                "ssl.keystore.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----hunter-pem-----END ENCRYPTED PRIVATE KEY-----",
                "sasl.oauthbearer.assertion.private.key.passphrase", "hunter-passphrase",
                "producer.ssl.key.password", "hunter-producer",
                "main.consumer.ssl.keystore.password", "hunter-main-consumer",
                "restore.consumer.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter-jaas\";",
                "admin.ssl.truststore.password", "hunter-admin",
                "global.consumer.sasl.oauthbearer.client.credentials.client.secret", "hunter-global",
                "consumer.ssl.keystore.key", "hunter-consumer-pem",
                "schema.registry.basic.auth.user.info", "bertstream:hunter-registry");
        config.putAll(secrets);
        config.put("schema.registry.url", "https://registry.example.com:8081");
        String log;
        try (var child = ChildProcessor.start(config, dir, "secrets", List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info"))) {
            child.awaitHealthy(Duration.ofMinutes(3));
            log = child.log();
        }
        assertTrue(log.contains("starting bertstream with"), "bertstream's own config line is in the log");
        assertTrue(log.contains("ProducerConfig values") && log.contains("ConsumerConfig values"),
                "Kafka's own config dumps are in the log");
        for (var secret : secrets.entrySet()) {
            String value = secret.getValue();
            String telltale = value.substring(value.indexOf("hunter"), value.indexOf("hunter") + 10);
            assertFalse(log.contains(telltale), secret.getKey() + " leaked into the log");
        }
        assertTrue(log.contains("producer.ssl.key.password=[hidden]"), "described, masked");
    }
}
