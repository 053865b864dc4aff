package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static io.bertstream.cli.CommandLineTest.capture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** inspect on the real built-in MiniLM: the facts of all-MiniLM-L6-v2 as published with the model. */
class InspectCommandTest {

    @Test
    void describesMiniLmAsJson() throws Exception {
        var run = capture(() -> Bertstream.execute("inspect", "--model", "minilm", "--json"));
        assertEquals(0, run.exitCode(), run.err());
        JsonNode model = new ObjectMapper().readTree(run.out()).get("model");
        assertEquals("onnx", model.get("format").asText());
        assertEquals("bert", model.get("architecture").asText());
        assertEquals(6, model.get("layers").asInt());
        assertEquals(384, model.get("dims").asInt());
        assertEquals(12, model.get("attention_heads").asInt());
        assertEquals(1536, model.get("intermediate_size").asInt());
        assertEquals(30522, model.get("vocab_size").asInt());
        assertEquals(512, model.get("max_tokens").asInt());
        assertEquals("mean", model.get("default_pooling").asText());
        assertTrue(model.get("default_normalize").asBoolean(), "sentence-transformers MiniLM is L2-normalised");
        assertTrue(model.get("sha256").asText().matches("[0-9a-f]{64}"), model.get("sha256").asText());
        assertTrue(model.has("has_pooler"));
        // ~22.7M parameters in the published model; the ONNX export may drop the unused pooler (0.15M)
        long parameters = model.get("parameters").asLong();
        assertTrue(parameters > 22_000_000 && parameters < 23_000_000, "parameters: " + parameters);
    }

    @Test
    void textOutputNamesEachFact() {
        var run = capture(() -> Bertstream.execute("inspect", "--model", "minilm"));
        assertEquals(0, run.exitCode(), run.err());
        for (String line : new String[] {"format", "layers", "dims", "max_tokens", "default_pooling", "sha256", "has_pooler"}) {
            assertTrue(run.out().lines().anyMatch(l -> l.strip().startsWith(line + " ")), "has a " + line + " line:\n" + run.out());
        }
        assertTrue(run.out().lines().anyMatch(l -> l.strip().matches("layers\\s+6")), run.out());
    }
}
