package io.bertstream.bench;

import io.bertstream.bench.Benchmark.Setting;
import io.bertstream.engine.EmbeddingEngine;
import io.bertstream.engine.EngineOptions;
import io.bertstream.engine.EngineStats;
import io.bertstream.engine.backend.Backend;
import io.bertstream.engine.backend.Device;
import io.bertstream.engine.backend.Precision;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.BuiltinModels;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.extract.EmbedOutcome;
import io.bertstream.extract.ExtractionSpec;
import io.bertstream.extract.Extractor;
import io.bertstream.extract.TextEmbedder;

import java.util.List;

/** Subject (c): bertstream's engine through the extraction API, MiniLM's default extraction (mean, last layer, L2). */
public final class EngineSubjects {

    /** all-MiniLM-L6-v2, which the engine loads from the same Maven Central artifact as the peers. */
    public static final String MODEL = BuiltinModels.MINILM;

    private EngineSubjects() {
    }

    /** One setting per swept token budget, each opening its own engine on {@code backend}. */
    static List<Setting> settings(Backend backend, BenchOptions options) {
        return settings(backend, Precision.FP32, options);
    }

    /** As above at a compute precision (int8: the recipe {@code bertstream.precision=int8} ships). */
    static List<Setting> settings(Backend backend, Precision precision, BenchOptions options) {
        return options.batchTokens().stream()
                .map(budget -> new Setting("max-batch-tokens " + budget,
                        () -> open(backend, precision, budget, options.threads())))
                .toList();
    }

    static Subject open(Backend backend, Precision precision, int maxPassTokens, int threads) {
        EmbeddingEngine engine = openEngine(backend, precision, maxPassTokens, threads);
        return new ExtractorSubject(engine, new Extractor(engine, ExtractionSpec.modelDefaults()));
    }

    public static EmbeddingEngine openEngine(Backend backend, int maxPassTokens, int threads) {
        return openEngine(backend, Precision.FP32, maxPassTokens, threads);
    }

    static EmbeddingEngine openEngine(Backend backend, Precision precision, int maxPassTokens, int threads) {
        return EmbeddingEngine.open(MODEL, new EngineOptions(backend, Device.CPU, precision, maxPassTokens, threads));
    }

    /** MiniLM's architecture, as the engine reads it, for the FLOP count. */
    static BertConfig minilmConfig() {
        return ModelLoader.load(MODEL).config();
    }

    /** The first vector of each outcome; a rejected bench text is a bug, so it fails the phase. */
    static List<float[]> firstVectors(List<EmbedOutcome> outcomes) {
        return outcomes.stream().map(outcome -> {
            if (outcome instanceof EmbedOutcome.Rejected rejected) {
                throw new IllegalStateException(
                        "the engine rejected a bench text: " + rejected.errorClass() + ": " + rejected.reason());
            }
            return ((EmbedOutcome.Embedded) outcome).vectors().get(0).vector();
        }).toList();
    }

    private static final class ExtractorSubject implements Subject {

        private final EmbeddingEngine engine;
        private final TextEmbedder embedder;
        private EngineStats since;

        ExtractorSubject(EmbeddingEngine engine, TextEmbedder embedder) {
            this.engine = engine;
            this.embedder = embedder;
            this.since = engine.stats();
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            return firstVectors(embedder.embedAll(texts));
        }

        @Override
        public Double paddedShare() {
            return engine.stats().minus(since).paddedShare();
        }

        @Override
        public Double rowsPerPass() {
            EngineStats window = engine.stats().minus(since);
            return window.passes() == 0 ? null : (double) window.rows() / window.passes();
        }

        @Override
        public void resetCounters() {
            since = engine.stats();
        }

        @Override
        public void close() {
            try (engine) {
                embedder.close();
            }
        }
    }
}
