package io.bertstream.engine.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Where archived and built-in models are unpacked once, and where derived model files (an ONNX graph with its
 * hidden states as outputs) are written: {@code -Dbertstream.model.cache}, {@code BERTSTREAM_MODEL_CACHE}, or
 * {@code ~/.cache/bertstream/models}. A file or directory appears only complete (written aside, then renamed).
 */
public final class ModelCache {

    private ModelCache() {
    }

    public static Path root() {
        String property = System.getProperty("bertstream.model.cache");
        String env = System.getenv("BERTSTREAM_MODEL_CACHE");
        String configured = property != null ? property : env;
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "bertstream", "models");
    }

    /**
     * A classpath resource as a file: itself when it is one, else copied (streamed) once out of its jar into
     * {@code root()/classpath/<crc32>-<size>/<name>}, keyed by the jar entry's checksum so a new version of the
     * jar gets a new copy.
     */
    public static Path classpathFile(String resource, Supplier<ModelLoadException> missing) {
        URL url = ModelCache.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw missing.get();
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI());
            }
            URLConnection connection = url.openConnection();
            String key = connection instanceof JarURLConnection jar
                    ? Long.toHexString(jar.getJarEntry().getCrc()) + "-" + jar.getJarEntry().getSize()
                    : "unversioned";
            Path target = root().resolve("classpath").resolve(key).resolve(Path.of(resource).getFileName().toString());
            if (Files.isRegularFile(target)) {
                return target;
            }
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".partial");
            try (InputStream in = connection.getInputStream()) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(partial);
            }
            return target;
        } catch (IOException | URISyntaxException e) {
            throw new ModelLoadException("classpath:" + resource + ": cannot unpack into " + root() + ": " + e.getMessage());
        }
    }

    /**
     * A file derived from a model (e.g. a rewritten ONNX graph) at {@code target} under {@link #root()}: written by
     * {@code write} the first time (aside, then moved into place), reused after. A cache that cannot be written
     * still runs: then a temporary copy serves this process.
     *
     * @param what names the file in the error when neither can be written
     */
    public static Path derivedFile(Path target, String what, Consumer<Path> write) {
        if (Files.isRegularFile(target)) {
            return target;
        }
        try {
            write.accept(target);
            return target;
        } catch (UncheckedIOException unwritableCache) {
            try {
                String name = target.getFileName().toString();
                Path temporary = Files.createTempFile("bertstream-", "-" + name);
                temporary.toFile().deleteOnExit();
                write.accept(temporary);
                return temporary;
            } catch (IOException | UncheckedIOException e) {
                throw new ModelLoadException("cannot write " + what + " to " + target + " nor to a temporary file: "
                        + e.getMessage());
            }
        }
    }

    /** Unpacks the zip stored as {@code entryName} inside {@code jar} into {@code root()/dirName}, once. */
    public static Path unpackNestedZip(Path jar, String entryName, String dirName) {
        Path target = root().resolve(dirName);
        if (Files.isDirectory(target)) {
            return target;
        }
        Path partial = null;
        try (ZipFile outer = new ZipFile(jar.toFile())) {
            ZipEntry entry = outer.getEntry(entryName);
            if (entry == null) {
                throw new ModelLoadException(jar, "has no entry " + entryName);
            }
            Files.createDirectories(root());
            partial = Files.createTempDirectory(root(), dirName + ".partial-");
            try (ZipInputStream inner = new ZipInputStream(outer.getInputStream(entry))) {
                for (ZipEntry e = inner.getNextEntry(); e != null; e = inner.getNextEntry()) {
                    Path out = partial.resolve(e.getName()).normalize();
                    if (!out.startsWith(partial)) {
                        throw new ModelLoadException(jar, "entry " + e.getName() + " escapes its directory");
                    }
                    if (e.isDirectory()) {
                        Files.createDirectories(out);
                    } else {
                        Files.createDirectories(out.getParent());
                        Files.copy(inner, out);
                    }
                }
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isDirectory(target)) {
                    throw raced;
                }
                // another process unpacked it meanwhile: use theirs
            }
            return target;
        } catch (IOException e) {
            throw new ModelLoadException(jar, "cannot unpack " + entryName + " into " + target + ": " + e.getMessage(), e);
        } finally {
            deleteTree(partial);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // leftovers of a failed unpack never shadow the target: they have a .partial- name
        }
    }
}
