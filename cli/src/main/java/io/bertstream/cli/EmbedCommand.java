package io.bertstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.PcaProjection;
import io.bertstream.topology.BertstreamConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed texts from a .txt file (one text per line), a .jsonl file ({\"id\", \"text\"}) or stdin to JSONL.",
            "Bad lines are reported on stderr with their line number and the rest is still embedded; exit code 1 then.",
            "Progress goes to stderr on a terminal only, so it is safe in pipes.",
            "Examples (more in docs/extraction.md):",
            "  bertstream embed texts.txt -o vectors.jsonl",
            "  # CLS of layer 12",
            "  bertstream embed --model bge-small --layers 12 --pooling cls texts.txt",
            "  # concat of the last four layers, mean-pooled",
            "  bertstream embed --layers=-4..-1 --combine concat --pooling mean texts.txt",
            "  # long documents in overlapping chunks, plus one document vector",
            "  cat docs.jsonl | bertstream embed --format jsonl \\",
            "      --long chunk --max-tokens 128 --overlap 16 --doc-vector"})
public final class EmbedCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;

    @Mixin
    ExtractionOptions extraction;

    @Option(names = "--pca", paramLabel = "FILE", description = "Apply a PCA projection written by fit-pca (same model and extraction).")
    Path pca;

    @Setting(BertstreamConfig.QUANTIZE)
    @Option(names = "--quantize", paramLabel = "int8|binary", description = "Quantise vectors: int8 codes with scale/offset, or sign bits packed 8 per code.")
    String quantize;

    @Setting(BertstreamConfig.DOCUMENT_VECTOR)
    @Option(names = "--doc-vector", description = "With --long chunk: also one document vector, the token-weighted mean of the chunks.")
    boolean documentVector;

    @Option(names = "--word-vectors", description = "With --pooling none: one vector per word (its WordPieces averaged) instead of per WordPiece.")
    boolean wordVectors;

    @Setting(BertstreamConfig.MICRO_BATCH_MAX_RECORDS)
    @Option(names = "--micro-batch", paramLabel = "N",
            description = "Texts gathered before the engine runs them, in length-sorted passes (default ${DEFAULT-VALUE}).")
    Integer microBatch;

    /** The old name of --micro-batch, still accepted with a warning. */
    @Option(names = "--batch-size", paramLabel = "N", hidden = true)
    Integer batchSize;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "auto|txt|jsonl",
            description = "Input format; auto = by file extension, txt for stdin (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write JSONL here instead of stdout.")
    Path output;

    @Parameters(arity = "0..1", paramLabel = "INPUT", description = "Input file; - or none reads stdin.")
    String input;

    @Spec
    CommandSpec spec;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if (Settings.renamed(spec, "--batch-size", "--micro-batch")) {
            microBatch = batchSize;
        }
        BertstreamConfig config = Settings.of(model, extraction, this);
        ExtractionSpec extractionSpec = extraction.spec(config)
                .withWordVectors(wordVectors)
                .withPca(pca == null ? null : readPca(pca));
        int texts = config.getInt(BertstreamConfig.MICRO_BATCH_MAX_RECORDS);
        boolean jsonl = TextInput.isJsonl(format, input);
        try (EmbeddingEngine engine = ModelOptions.open(config); BufferedReader in = TextInput.open(input)) {
            Extractor extractor = new Extractor(engine, extractionSpec);
            if (output == null) {
                return embed(extractor, new TextInput.Lines(in, jsonl), texts, System.out);
            }
            try (PrintStream out = new PrintStream(Files.newOutputStream(output), false, StandardCharsets.UTF_8)) {
                return embed(extractor, new TextInput.Lines(in, jsonl), texts, out);
            }
        }
    }

    /** A PCA file that cannot be read is a bad request, like a bad option value. */
    private static PcaProjection readPca(Path file) {
        try {
            return PcaProjection.read(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("--pca " + file + ": " + e.getMessage(), e);
        }
    }

    /** Embeds the input micro-batch by micro-batch, {@code microBatch} texts at a time. */
    private int embed(Extractor extractor, TextInput.Lines lines, int microBatch, PrintStream out) {
        ModelInfo info = extractor.info();
        Progress progress = new Progress("embedded");
        int failures = 0;
        List<TextInput.Line> batch;
        while (!(batch = lines.next(microBatch)).isEmpty()) {
            List<String> texts = batch.stream().filter(l -> l.error() == null).map(TextInput.Line::text).toList();
            Iterator<EmbedOutcome> outcomes = extractor.embedAll(texts).iterator();
            // in input order, so records and error lines follow the file
            for (TextInput.Line line : batch) {
                String error = line.error();
                if (error == null) {
                    EmbedOutcome outcome = outcomes.next();
                    if (outcome instanceof EmbedOutcome.Embedded embedded) {
                        embedded.vectors().forEach(e -> out.println(record(line.id(), info, e)));
                    } else {
                        error = ((EmbedOutcome.Rejected) outcome).reason();
                    }
                }
                if (error != null) {
                    System.err.println("embed: " + line.where() + ": " + error);
                    failures++;
                }
            }
            out.flush();
            progress.add(batch.size(), failures);
        }
        progress.done();
        if (failures > 0) {
            System.err.println("embed: " + failures + " of " + lines.count() + " lines failed");
            return Bertstream.PARTIAL_FAILURE;
        }
        return Bertstream.OK;
    }

    /** One JSONL record: the vector (or token vectors) with everything needed to tell its version. */
    static ObjectNode record(JsonNode id, ModelInfo info, Embedding e) {
        ObjectNode r = JSON.createObjectNode();
        r.set("id", id);
        ObjectNode model = r.putObject("model");
        model.put("name", info.name()).put("sha256", info.sha256()).put("backend", info.backend());
        r.put("layers", info.layers()).put("pooling", info.pooling()).put("post_processing", info.postProcessing())
                .put("dims", info.dims()).put("token_count", e.tokenCount()).put("truncated", e.truncated());
        if (e.chunk() != null) {
            r.putObject("chunk").put("index", e.chunk().index()).put("count", e.chunk().count())
                    .put("char_start", e.chunk().charStart()).put("char_end", e.chunk().charEnd())
                    .put("document", e.chunk().index() == e.chunk().count());
        }
        if (e.quantization() != null) {
            r.putObject("quantization").put("kind", e.quantization().kind()).put("scale", e.quantization().scale())
                    .put("offset", e.quantization().offset());
        }
        if (e.tokens() != null) {
            ArrayNode tokens = r.putArray("tokens");
            for (Embedding.TokenVector t : e.tokens()) {
                ObjectNode token = tokens.addObject().put("token", t.token()).put("start", t.start()).put("end", t.end());
                addAll(token.putArray("vector"), t.vector(), false);
            }
        } else {
            addAll(r.putArray("vector"), e.vector(), e.quantization() != null);
        }
        return r;
    }

    private static void addAll(ArrayNode array, float[] v, boolean integers) {
        for (float x : v) {
            if (integers) {
                array.add((int) x);
            } else {
                array.add(x);
            }
        }
    }

    /** A progress line on stderr, only when a person is watching a terminal. */
    static final class Progress {
        private final String verb;
        private final boolean terminal = System.console() != null;
        private int done;

        Progress(String verb) {
            this.verb = verb;
        }

        void add(int n, int failures) {
            done += n;
            if (terminal) {
                System.err.print("\r" + verb + " " + done + " texts" + (failures > 0 ? " (" + failures + " failed)" : ""));
            }
        }

        void done() {
            if (terminal && done > 0) {
                System.err.println();
            }
        }
    }
}
