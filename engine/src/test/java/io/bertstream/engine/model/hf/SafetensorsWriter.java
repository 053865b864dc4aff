package io.bertstream.engine.model.hf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.model.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Test-scope safetensors writer (F32 or BF16), so round trips can start from a real model. */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    public static void write(Path file, Map<String, Tensor> tensors, String namePrefix, String dtype) throws IOException {
        int bytesPerValue = dtype.equals("F32") ? 4 : 2;
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Tensor t : tensors.values()) {
            ObjectNode info = header.putObject(namePrefix + t.name());
            info.put("dtype", dtype);
            var shape = info.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long size = (long) t.data().length * bytesPerValue;
            info.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        StringBuilder headerText = new StringBuilder(JSON.writeValueAsString(header));
        while (headerText.length() % 8 != 0) {
            headerText.append(' '); // the format pads the header so data starts 8-byte aligned
        }
        byte[] headerBytes = headerText.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
            out.write(headerBytes);
            for (Tensor t : tensors.values()) {
                ByteBuffer data = ByteBuffer.allocate(t.data().length * bytesPerValue).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : t.data()) {
                    if (bytesPerValue == 4) {
                        data.putFloat(v);
                    } else {
                        data.putShort((short) (Float.floatToRawIntBits(v) >>> 16)); // bf16 = truncated fp32
                    }
                }
                out.write(data.array());
            }
        }
    }
}
