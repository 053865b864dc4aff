package io.bertstream.engine.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Positional reads of a model file: a range of bytes, read whole, without moving any shared position. */
public final class FileBytes {

    private FileBytes() {
    }

    /** Fills {@code into} from byte {@code position} of the channel on. */
    public static void readFully(FileChannel channel, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = channel.read(into, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    /** {@code length} bytes from byte {@code position} of the file, flipped for reading. */
    public static ByteBuffer read(Path file, long position, int length) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(length);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            readFully(channel, bytes, position);
        }
        return bytes.flip();
    }
}
