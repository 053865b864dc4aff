package io.bertstream.topology;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Masking asks Kafka's own client definitions which keys are secrets, and covers Streams' client prefixes. */
class SecretsTest {

    @Test
    void kafkasOwnPasswordKeysAreKnownWithoutAList() {
        // The two the issue found leaking at INFO, as kafka-clients 4.1.1 defines them, plus bertstream's own.
        for (String key : List.of("ssl.keystore.key", "sasl.oauthbearer.assertion.private.key.passphrase",
                "sasl.oauthbearer.client.credentials.client.secret", "sasl.jaas.config", "ssl.key.password",
                "ssl.keystore.password", "ssl.truststore.password", "schema.registry.basic.auth.user.info")) {
            assertTrue(Secrets.passwordKeys().contains(key), key + " is typed PASSWORD: " + Secrets.passwordKeys());
        }
    }

    @Test
    void everyPasswordKeyIsMaskedBareAndBehindEveryStreamsClientPrefix() {
        var settings = new HashMap<String, String>();
        var secrets = new ArrayList<String>();
        var prefixes = new ArrayList<String>(Secrets.clientPrefixes());
        prefixes.add("");
        for (String key : Secrets.passwordKeys()) {
            for (String prefix : prefixes) {
                String secret = "u:hunter-" + secrets.size() + "-x";
                settings.put(prefix + key, secret);
                secrets.add(secret);
            }
        }
        settings.put("schema.registry.url", "https://registry:8081");
        settings.put("producer.linger.ms", "5");
        String described = BertstreamConfig.of(settings, Map.of()).describe();
        for (String secret : secrets) {
            assertFalse(described.contains(secret), secret + " leaked:\n" + described);
        }
        assertTrue(described.contains("main.consumer.ssl.keystore.key=[hidden]\n"), described);
        assertTrue(described.contains("producer.sasl.oauthbearer.assertion.private.key.passphrase=[hidden]\n"), described);
        assertTrue(described.contains("producer.linger.ms=5\n"), "ordinary keys stay readable: " + described);
        assertTrue(secrets.size() >= 9 * 7, "every PASSWORD key, bare and behind six prefixes: " + secrets.size());
    }

    @Test
    void unknownKeysNamedLikeSecretsAndUrlCredentialsAreMaskedToo() {
        var config = BertstreamConfig.of(Map.of(
                "sasl.login.callback.handler.my.client.secret", "hunter-plugin",
                "my.plugin.private.key", "hunter-pem",
                "sasl.oauthbearer.jwks.endpoint.url", "https://client:hunter-url@idp.example.com/token",
                "bootstrap.servers", "broker:9092"), Map.of());
        String described = config.describe();
        for (String secret : List.of("hunter-plugin", "hunter-pem", "hunter-url")) {
            assertFalse(described.contains(secret), secret + " leaked:\n" + described);
        }
        assertTrue(described.contains("sasl.oauthbearer.jwks.endpoint.url=https://[hidden]@idp.example.com/token\n"), described);
        assertTrue(described.contains("bootstrap.servers=broker:9092\n"), described);
        assertTrue(described.contains("schema.registry.basic.auth.user.info=\n"), "an unset secret shows as unset: " + described);
    }

    @Test
    void aRefusedSecretIsNotRepeatedInTheError() {
        var refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                "schema.registry.url", "https://registry:8081", "schema.registry.basic.auth.user.info", "hunter-no-colon"), Map.of()));
        assertFalse(refused.getMessage().contains("hunter-no-colon"), refused.getMessage());
        assertTrue(refused.getMessage().startsWith("schema.registry.basic.auth.user.info=[hidden] is refused"), refused.getMessage());
        var badUrl = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> BertstreamConfig.of(Map.of(
                "schema.registry.url", "https://alice:hunter-url@registry:8081/a path"), Map.of()));
        assertFalse(badUrl.getMessage().contains("hunter-url"), badUrl.getMessage());
        assertTrue(badUrl.getMessage().startsWith("schema.registry.url=https://[hidden]@registry:8081/a path is refused (not a URL: "),
                badUrl.getMessage());
    }
}
