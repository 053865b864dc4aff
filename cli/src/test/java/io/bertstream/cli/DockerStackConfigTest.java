package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.topology.BertstreamConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compose stack cannot run here (no Docker engine), so its three hand-written parts are checked against
 * the code instead: bertstream's config parses, and the Elasticsearch index and sink agree with it.
 */
class DockerStackConfigTest {

    private static final Path DOCKER = Path.of("..", "docker");

    @Test
    void bertstreamConfigIndexMappingAndConnectorAgree() throws Exception {
        BertstreamConfig config = BertstreamConfig.load(DOCKER.resolve("bertstream.properties"), Map.of());
        var settings = config.topologySettings();
        config.serializer().close();
        String outputTopic = settings.outputTopic();
        assertEquals("registry", config.require(BertstreamConfig.OUTPUT_FORMAT), "Connect's AvroConverter needs registry framing");

        // Streams does not create its source topic: the compose file's one-shot job must create all three
        String topicLoop = Files.readAllLines(DOCKER.resolve("compose.yaml")).stream()
                .filter(l -> l.contains("for topic in")).findFirst().orElseThrow();
        for (String topic : List.of(settings.inputTopics().get(0), outputTopic, settings.deadLetterTopic())) {
            assertTrue(List.of(topicLoop.replace(";", " ").split("\\s+")).contains(topic), topic + " created: " + topicLoop);
        }

        var json = new ObjectMapper();
        JsonNode sink = json.readTree(DOCKER.resolve("init/elasticsearch-sink.json").toFile());
        assertEquals(outputTopic, sink.get("topics").asText(), "the connector reads bertstream's output topic");
        assertEquals("false", sink.get("key.ignore").asText(), "record key = document id, so replays overwrite");
        assertEquals("delete", sink.get("behavior.on.null.values").asText(), "bertstream's tombstones delete documents");
        assertEquals("propagate", config.require(BertstreamConfig.INPUT_DELETES), "and bertstream sends them");

        JsonNode vector = json.readTree(DOCKER.resolve("init/index-mapping.json").toFile())
                .at("/mappings/properties/vector");
        assertEquals("dense_vector", vector.get("type").asText());
        int modelDims = ModelLoader.load(config.require(BertstreamConfig.MODEL)).config().hiddenSize();
        assertEquals(modelDims, vector.get("dims").asInt(), "index dims = the configured model's output dims");
    }

    /**
     * Outside a container /metrics and /health bind to loopback; in the images (and the compose stack) they bind to
     * every interface, since the port is published on purpose and the HEALTHCHECK reaches it; DJL's telemetry is
     * off there.
     */
    @Test
    void theImagesBindTheOpsEndpointsToEveryInterfaceAndTurnTelemetryOff() throws Exception {
        for (String dockerfile : List.of("Dockerfile", "Dockerfile.cuda")) {
            String text = Files.readString(DOCKER.resolve(dockerfile));
            assertTrue(text.contains("BERTSTREAM_METRICS_BIND=0.0.0.0"), dockerfile + " binds every interface");
            assertTrue(text.contains("OPT_OUT_TRACKING=true"), dockerfile + " turns DJL's telemetry off");
        }
        String compose = Files.readString(DOCKER.resolve("compose.yaml"));
        assertTrue(compose.contains("BERTSTREAM_METRICS_BIND: 0.0.0.0") && compose.contains("OPT_OUT_TRACKING: \"true\""), compose);
        var inImage = BertstreamConfig.load(DOCKER.resolve("bertstream.properties"),
                Map.of("BERTSTREAM_METRICS_BIND", "0.0.0.0", "OPT_OUT_TRACKING", "true"));
        assertEquals("0.0.0.0", inImage.require(BertstreamConfig.METRICS_BIND), "the image's variable is a setting bertstream reads");
        assertEquals("127.0.0.1", BertstreamConfig.load(DOCKER.resolve("bertstream.properties"), Map.of())
                .require(BertstreamConfig.METRICS_BIND), "loopback outside the image");
    }
}
