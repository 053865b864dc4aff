package io.bertstream.engine.model.hf;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.model.FileBytes;
import io.bertstream.engine.model.FloatFormat;
import io.bertstream.engine.model.ModelLoadException;
import io.bertstream.engine.model.ModelWeights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code .safetensors} file: an 8-byte little-endian header length, a JSON header mapping each tensor
 * name to {dtype, shape, data_offsets}, then the raw data. F32, F16 and BF16 tensors are read as fp32; other
 * dtypes (integer buffers such as position_ids) are skipped. Every offset is checked against the file size when
 * the header is read; a tensor's bytes are read only when asked for.
 */
public final class Safetensors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    public static Map<String, ModelWeights.Entry> read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new ModelLoadException(file, "truncated safetensors file: " + size + " bytes, no header");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            FileBytes.readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || headerLength > size - Long.BYTES) {
                throw new ModelLoadException(file, "corrupt safetensors file: header length " + headerLength
                        + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            FileBytes.readFully(channel, headerBytes, Long.BYTES);
            JsonNode header = parseHeader(new String(headerBytes.array(), StandardCharsets.UTF_8), file);
            long dataStart = Long.BYTES + headerLength;
            return readTensors(header, dataStart, size - dataStart, file);
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode parseHeader(String text, Path file) {
        try {
            JsonNode header = JSON.readTree(text);
            if (header == null || !header.isObject()) {
                throw new ModelLoadException(file, "corrupt safetensors header: not a JSON object");
            }
            return header;
        } catch (JsonProcessingException e) {
            throw new ModelLoadException(file, "corrupt safetensors header: " + e.getOriginalMessage());
        }
    }

    private static Map<String, ModelWeights.Entry> readTensors(JsonNode header, long dataStart, long dataLength, Path file) {
        Map<String, ModelWeights.Entry> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : header.properties()) {
            String name = entry.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode info = entry.getValue();
            FloatFormat format = floatFormat(info.path("dtype").asText(""));
            if (format == null) {
                continue;
            }
            long[] shape = new long[info.path("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = info.path("shape").get(i).asLong(-1);
                if (shape[i] < 0) {
                    throw new ModelLoadException(file, "tensor '" + name + "' has a negative dimension");
                }
                count = Math.multiplyExact(count, shape[i]);
            }
            JsonNode offsets = info.path("data_offsets");
            long begin = offsets.path(0).asLong(-1);
            long end = offsets.path(1).asLong(-1);
            if (begin < 0 || end < begin || end - begin != count * format.bytes()) {
                throw new ModelLoadException(file, "tensor '" + name + "' has data_offsets " + offsets
                        + " that do not match its shape " + info.path("shape") + " of " + format);
            }
            if (end > dataLength) {
                throw new ModelLoadException(file, "truncated safetensors file: tensor '" + name + "' ends at byte "
                        + end + " of the data but the file holds only " + dataLength + " data bytes");
            }
            if (count > Integer.MAX_VALUE) {
                throw new ModelLoadException(file, "tensor '" + name + "' is too large for one float array");
            }
            long at = dataStart + begin;
            int bytes = (int) (end - begin);
            int values = (int) count;
            tensors.put(name, new ModelWeights.Entry(name, shape, () -> readValues(file, at, bytes, format, values)));
        }
        return tensors;
    }

    private static float[] readValues(Path file, long at, int bytes, FloatFormat format, int count) {
        try {
            return format.read(file, at, count, null);
        } catch (IOException e) {
            throw new ModelLoadException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static FloatFormat floatFormat(String dtype) {
        return switch (dtype) {
            case "F32" -> FloatFormat.F32;
            case "F16" -> FloatFormat.F16;
            case "BF16" -> FloatFormat.BF16;
            default -> null;
        };
    }
}
