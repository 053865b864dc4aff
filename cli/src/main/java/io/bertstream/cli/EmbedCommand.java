package io.bertstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.text.LengthPolicy;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.Embedding;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.LayerSpec;
import io.bertstream.extract.ModelInfo;
import io.bertstream.extract.PcaProjection;
import io.bertstream.extract.Pooling;
import io.bertstream.extract.Quantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
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

    @Option(names = "--quantize", paramLabel = "int8|binary", description = "Quantise vectors: int8 codes with scale/offset, or sign bits packed 8 per code.")
    String quantize;

    @Option(names = "--doc-vector", description = "With --long chunk: also one document vector, the token-weighted mean of the chunks.")
    boolean documentVector;

    @Option(names = "--word-vectors", description = "With --pooling none: one vector per word (its WordPieces averaged) instead of per WordPiece.")
    boolean wordVectors;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "Texts per engine call (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "auto|txt|jsonl",
            description = "Input format; auto = by file extension, txt for stdin (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write JSONL here instead of stdout.")
    Path output;

    @Parameters(arity = "0..1", paramLabel = "INPUT", description = "Input file; - or none reads stdin.")
    String input;

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1");
        }
        ExtractionSpec spec = extraction.spec()
                .withQuantize(quantize == null ? null : Quantizer.Kind.parse(quantize))
                .withDocumentVector(documentVector)
                .withWordVectors(wordVectors)
                .withPca(pca == null ? null : readPca(pca));
        boolean jsonl = isJsonl(format, input);
        try (EmbeddingEngine engine = model.open(); BufferedReader in = openInput(input)) {
            Extractor extractor = new Extractor(engine, spec);
            if (output == null) {
                return embed(extractor, new InputLines(in, jsonl), System.out);
            }
            try (PrintStream out = new PrintStream(Files.newOutputStream(output), false, StandardCharsets.UTF_8)) {
                return embed(extractor, new InputLines(in, jsonl), out);
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

    private int embed(Extractor extractor, InputLines lines, PrintStream out) {
        ModelInfo info = extractor.info();
        Progress progress = new Progress("embedded");
        int failures = 0;
        List<InputLine> batch;
        while (!(batch = lines.next(batchSize)).isEmpty()) {
            List<String> texts = batch.stream().filter(l -> l.error() == null).map(InputLine::text).toList();
            Iterator<EmbedOutcome> outcomes = extractor.embedAll(texts).iterator();
            // in input order, so records and error lines follow the file
            for (InputLine line : batch) {
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

    static boolean isJsonl(String format, String input) {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "jsonl" -> true;
            case "txt" -> false;
            case "auto" -> input != null && (input.endsWith(".jsonl") || input.endsWith(".json"));
            default -> throw new IllegalArgumentException("unknown --format '" + format + "': valid are auto, txt, jsonl");
        };
    }

    static BufferedReader openInput(String input) throws IOException {
        return input == null || input.equals("-")
                ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
                : Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }

    /** --model and --backend: which model runs where. */
    public static final class ModelOptions {

        @Option(names = "--model", defaultValue = ModelLoader.DEFAULT, paramLabel = "NAME|PATH",
                description = "Built-in model (minilm, bge-small, bert-base-uncased) or a model path (default ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--backend", defaultValue = "auto", paramLabel = "auto|pytorch|onnxruntime",
                description = "Runtime (default ${DEFAULT-VALUE}: ONNX Runtime on CPU when the model has a graph).")
        String backend;

        @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8",
                description = "Compute precision (default ${DEFAULT-VALUE}); int8: ONNX Runtime on the CPU, vectors within "
                        + "cosine 0.999 of fp32 (measured), quantised once into the model cache.")
        String precision;

        EmbeddingEngine open() {
            Backend b;
            try {
                b = Backend.valueOf(backend.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --backend '" + backend + "': valid are auto, pytorch, onnxruntime");
            }
            Precision p;
            try {
                p = Precision.valueOf(precision.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --precision '" + precision + "': valid are fp32, int8 (ONNX "
                        + "Runtime, CPU), fp16, bf16 (PyTorch, GPU)");
            }
            return EmbeddingEngine.open(model, EngineOptions.defaults().withBackend(b).withPrecision(p));
        }
    }

    /** Layers, pooling, normalisation, truncation and long-text handling, shared by embed and fit-pca. */
    public static final class ExtractionOptions {

        @Option(names = "--layers", paramLabel = "SPEC",
                description = "Hidden states: -1 (last), 0 (embedding output), -2, 1,6,12, -4..-1, all (default: the model's own).")
        String layers;

        @Option(names = "--combine", paramLabel = "HOW",
                description = "Several layers: concat (default), mean, sum, weighted:w1,w2,... (one weight per layer).")
        String combine;

        @Option(names = "--pooling", paramLabel = "NAME",
                description = "cls, mean, max, mean-max, sep (= last), pooler, none (token vectors) (default: the model's own).")
        String pooling;

        @Option(names = "--normalize", negatable = true,
                description = "L2-normalise (default: the model's own for pooled vectors, off for token vectors).")
        Boolean normalize;

        @Option(names = "--truncate-dims", defaultValue = "0", paramLabel = "K",
                description = "Keep the first K dims (Matryoshka), re-normalised when normalising.")
        int truncateDims;

        @Option(names = "--long", defaultValue = "truncate-head", paramLabel = "MODE",
                description = "Texts longer than --max-tokens: truncate-head, truncate-tail, truncate-head-tail, chunk (default ${DEFAULT-VALUE}).")
        String longMode;

        @Option(names = "--max-tokens", defaultValue = "0", paramLabel = "N",
                description = "Tokens per model input incl. [CLS]/[SEP] (default 0: the model's maximum).")
        int maxTokens;

        @Option(names = "--overlap", defaultValue = "0", paramLabel = "N", description = "With chunk: tokens shared by neighbouring windows.")
        int overlap;

        ExtractionSpec spec() {
            LengthPolicy.Mode mode;
            try {
                mode = LengthPolicy.Mode.parse(longMode);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--long: " + e.getMessage());
            }
            if (maxTokens < 0 || overlap < 0) {
                throw new IllegalArgumentException("--max-tokens and --overlap must not be negative");
            }
            if (layers == null && combine != null) {
                throw new IllegalArgumentException("--combine needs --layers naming several layers");
            }
            return ExtractionSpec.modelDefaults()
                    .withLayers(layers == null ? null : LayerSpec.parse(layers, combine))
                    .withPooling(pooling == null ? null : Pooling.parse(pooling))
                    .withNormalize(normalize)
                    .withTruncateDims(truncateDims)
                    .withLength(new LengthPolicy(mode, maxTokens, overlap));
        }
    }

    /** One input line: its text and id, or why it cannot be embedded. */
    record InputLine(int number, JsonNode id, String text, String error) {
        String where() {
            return "line " + number + (id.isNumber() && id.asInt() == number ? "" : " (id " + id + ")");
        }
    }

    /** Reads .txt (one text per line; id = line number) or .jsonl ({"id", "text"}) lines in batches. */
    static final class InputLines {
        private final BufferedReader reader;
        private final boolean jsonl;
        private int number;

        InputLines(BufferedReader reader, boolean jsonl) {
            this.reader = reader;
            this.jsonl = jsonl;
        }

        int count() {
            return number;
        }

        List<InputLine> next(int max) {
            List<InputLine> batch = new ArrayList<>();
            try {
                String line;
                while (batch.size() < max && (line = reader.readLine()) != null) {
                    number++;
                    batch.add(jsonl ? parseJson(number, line) : new InputLine(number, JSON.getNodeFactory().numberNode(number), line, null));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return batch;
        }

        private static InputLine parseJson(int number, String line) {
            JsonNode lineNumber = JSON.getNodeFactory().numberNode(number);
            try {
                JsonNode node = JSON.readTree(line);
                if (node == null || !node.isObject()) {
                    return new InputLine(number, lineNumber, null, "not a JSON object: expected {\"id\": ..., \"text\": \"...\"}");
                }
                JsonNode id = node.hasNonNull("id") ? node.get("id") : lineNumber;
                JsonNode text = node.get("text");
                if (text == null || !text.isTextual()) {
                    return new InputLine(number, id, null, "missing \"text\" string: expected {\"id\": ..., \"text\": \"...\"}");
                }
                return new InputLine(number, id, text.asText(), null);
            } catch (JsonProcessingException e) {
                return new InputLine(number, lineNumber, null, "malformed JSON: " + e.getOriginalMessage());
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
