package io.bertstream.engine.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.model.hf.HfDirectories;
import io.bertstream.engine.model.hf.SafetensorsWriter;
import io.bertstream.engine.model.tf.TfCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Broken models — missing files, truncated or corrupt weights in every format, a tensor of the wrong shape,
 * architectures the encoder cannot run — must fail with a ModelLoadException naming the file and the problem.
 * Each case starts from a valid copy of real MiniLM weights, so only the damage differs.
 */
class ModelLoadFailuresTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path valid;
    @TempDir
    Path temp;

    private static Path hfDir;
    private static Path onnxDir;
    private static Path tfDir;

    @BeforeAll
    static void writeValidModels() throws IOException {
        LoadedModel minilm = TestModels.minilm();
        hfDir = HfDirectories.write(valid.resolve("hf"), minilm, "F32");
        onnxDir = Files.createDirectories(valid.resolve("onnx"));
        Files.copy(minilm.onnxGraph().orElseThrow().file(), onnxDir.resolve("model.onnx"));
        Files.writeString(onnxDir.resolve("tokenizer.json"), minilm.tokenizerJson());
        tfDir = TfCheckpoints.write(valid.resolve("tf"), minilm);
    }

    @Test
    void missingPathNamesItAndTheBuiltIns() {
        String message = failure(temp.resolve("no-such-model").toString());
        assertTrue(message.contains("no-such-model") && message.contains("minilm"), message);
    }

    @Test
    void missingWeightsFileIsNamed() throws IOException {
        Path dir = copy(hfDir);
        Files.delete(dir.resolve("model.safetensors"));
        assertFailure(dir, "model.safetensors", "missing");
    }

    @Test
    void missingTokenizerIsNamed() throws IOException {
        Path dir = copy(onnxDir);
        Files.delete(dir.resolve("tokenizer.json"));
        assertFailure(dir, "model.onnx", "no tokenizer");
    }

    @Test
    void truncatedSafetensors() throws IOException {
        Path dir = copy(hfDir);
        truncate(dir.resolve("model.safetensors"), 0.5);
        assertFailure(dir, "model.safetensors", "truncated safetensors file");
    }

    @Test
    void corruptSafetensorsHeader() throws IOException {
        Path dir = copy(hfDir);
        byte[] garbage = "{not json at all".getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "rw")) {
            file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(garbage.length).array());
            file.write(garbage);
        }
        assertFailure(dir, "model.safetensors", "corrupt safetensors header");

        try (RandomAccessFile file = new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "rw")) {
            file.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 2).array());
        }
        assertFailure(dir, "model.safetensors", "header length");
    }

    @Test
    void tensorOfTheWrongShape() throws IOException {
        Path dir = copy(hfDir);
        Map<String, Tensor> tensors = new LinkedHashMap<>(TestModels.minilm().weights().decodeAll());
        String name = "encoder.layer.3.attention.self.key.weight";
        tensors.put(name, new Tensor(name, new long[] {384, 192}, new float[384 * 192]));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, "bert.", "F32");
        assertFailure(dir, "model.safetensors", "'" + name + "' has shape [384, 192] but the config implies [384, 384]");
    }

    @Test
    void configThatDisagreesWithTheWeights() throws IOException {
        Path dir = copy(hfDir);
        editConfig(dir, config -> config.put("intermediate_size", 1000));
        assertFailure(dir, "model.safetensors", "intermediate.dense.weight' has shape [1536, 384] but the config implies [1000, 384]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "model_type|gpt2|model_type 'gpt2' is not supported",
            "hidden_act|swish|hidden_act 'swish' is not supported",
            "position_embedding_type|relative_key|position_embedding_type 'relative_key'",
            "num_attention_heads|10|hidden_size 384 is not divisible by num_attention_heads 10",
            "num_hidden_layers|0|num_hidden_layers must be positive"})
    void unsupportedArchitecture(String key, String value, String problem) throws IOException {
        Path dir = copy(hfDir);
        editConfig(dir, config -> {
            if (value.matches("\\d+")) {
                config.put(key, Integer.parseInt(value));
            } else {
                config.put(key, value);
            }
        });
        String message = assertFailure(dir, "config.json", problem);
        assertTrue(message.contains("unsupported architecture") || key.equals("num_hidden_layers"), message);
    }

    @Test
    void truncatedOnnx() throws IOException {
        Path dir = copy(onnxDir);
        truncate(dir.resolve("model.onnx"), 0.6);
        assertFailure(dir, "model.onnx", "not a valid ONNX model (truncated or corrupt)");
    }

    @Test
    void corruptOnnx() throws IOException {
        Path dir = copy(onnxDir);
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        Files.write(dir.resolve("model.onnx"), noise);
        assertFailure(dir, "model.onnx", "ONNX model");
    }

    @Test
    void truncatedTensorBundleIndex() throws IOException {
        Path dir = copy(tfDir);
        truncate(dir.resolve("bert_model.ckpt.index"), 0.7);
        assertFailure(dir, "bert_model.ckpt.index", "corrupt TensorBundle index");
    }

    @Test
    void corruptTensorBundleIndexBlock() throws IOException {
        Path dir = copy(tfDir);
        flipByte(dir.resolve("bert_model.ckpt.index"), 100);
        assertFailure(dir, "bert_model.ckpt.index", "checksum mismatch");
    }

    @Test
    void truncatedTensorBundleData() throws IOException {
        Path dir = copy(tfDir);
        truncate(dir.resolve("bert_model.ckpt.data-00000-of-00001"), 0.5);
        assertFailure(dir, "bert_model.ckpt.data-00000-of-00001", "truncated data shard");
    }

    @Test
    void corruptTensorBundleData() throws IOException {
        Path dir = copy(tfDir);
        flipByte(dir.resolve("bert_model.ckpt.data-00000-of-00001"), 1_000_000);
        assertFailure(dir, "bert_model.ckpt.data-00000-of-00001", "checksum mismatch for variable");
    }

    @Test
    void missingTensorBundleShard() throws IOException {
        Path dir = copy(tfDir);
        Files.delete(dir.resolve("bert_model.ckpt.data-00000-of-00001"));
        assertFailure(dir, "bert_model.ckpt.data-00000-of-00001", "missing data shard");
    }

    private static String failure(String spec) {
        return assertThrows(ModelLoadException.class, () -> ModelLoader.load(spec)).getMessage();
    }

    private static String assertFailure(Path model, String file, String problem) {
        String message = failure(model.toString());
        assertTrue(message.contains(file), "names the file " + file + ": " + message);
        assertTrue(message.contains(problem), "says '" + problem + "': " + message);
        return message;
    }

    private Path copy(Path source) throws IOException {
        Path target = temp.resolve(source.getFileName());
        try (Stream<Path> files = Files.walk(source)) {
            for (Path f : files.sorted(Comparator.naturalOrder()).toList()) {
                Path to = target.resolve(source.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return target;
    }

    private static void truncate(Path file, double keep) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength((long) (f.length() * keep));
        }
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x5a);
        }
    }

    private interface ConfigEdit {
        void apply(ObjectNode config);
    }

    private static void editConfig(Path dir, ConfigEdit edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.apply(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
    }
}
