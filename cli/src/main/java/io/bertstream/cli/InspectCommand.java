package io.bertstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bertstream.engine.backend.Backends;
import io.bertstream.engine.backend.EncoderProvider;
import io.bertstream.engine.model.BertConfig;
import io.bertstream.engine.model.LoadedModel;
import io.bertstream.engine.model.ModelLoader;
import io.bertstream.engine.model.PoolingDefaults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false, optionListHeading = "%nOptions:%n",
        description = {"Describe a model: format, architecture, layers, dims, max tokens, default pooling, sha256, pooler.",
            "",
            "With --runtime, also load the native runtimes (libtorch, ONNX Runtime, tokenizers) and report their "
                + "versions and devices: a quick check that an install or an image is complete. In the CUDA image "
                + "this is also what fetches the CUDA build of libtorch.",
            "",
            "Examples:",
            "  bertstream inspect --model minilm",
            "  bertstream inspect --model ./my-bert --json",
            "      (a Hugging Face directory, an .onnx file or a TensorFlow checkpoint)",
            "  bertstream inspect --runtime"})
public final class InspectCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "NAME|PATH",
            description = "Built-in model (minilm, bge-small, bert-base-uncased) or a path to a Hugging Face directory, an .onnx file or a TensorFlow checkpoint.")
    String model;

    @Option(names = "--runtime", description = "Also load the native runtimes and report versions and devices.")
    boolean runtime;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws JsonProcessingException {
        if (model == null && !runtime) {
            throw new ParameterException(spec.commandLine(), "inspect: give --model NAME|PATH, --runtime, or both");
        }
        var report = new LinkedHashMap<String, Object>();
        if (model != null) {
            report.put("model", describe(ModelLoader.load(model)));
        }
        if (runtime) {
            report.put("runtime", runtimes());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            report.forEach((section, fields) -> {
                out.println(section + ":");
                ((Map<?, ?>) fields).forEach((key, value) -> out.printf("  %-22s %s%n", key, value));
            });
        }
        out.flush();
        return Bertstream.OK;
    }

    static Map<String, Object> describe(LoadedModel m) {
        BertConfig c = m.config();
        PoolingDefaults pooling = m.defaults();
        long parameters = m.weights().parameterCount();
        var fields = new LinkedHashMap<String, Object>();
        fields.put("name", m.identity().name());
        fields.put("format", m.identity().format().name().toLowerCase(Locale.ROOT));
        fields.put("architecture", c.modelType());
        fields.put("layers", c.numHiddenLayers());
        fields.put("hidden_states", "0.." + c.numHiddenLayers() + " (0 = embedding output)");
        fields.put("dims", c.hiddenSize());
        fields.put("attention_heads", c.numAttentionHeads());
        fields.put("intermediate_size", c.intermediateSize());
        fields.put("activation", c.hiddenAct());
        fields.put("vocab_size", c.vocabSize());
        fields.put("max_tokens", m.maxTokens());
        fields.put("parameters", parameters);
        fields.put("default_layer", pooling.layer());
        fields.put("default_pooling", pooling.pooling());
        fields.put("default_normalize", pooling.normalize());
        fields.put("defaults_from", pooling.source());
        fields.put("has_pooler", m.weights().hasPooler());
        fields.put("onnx_graph", m.onnxGraph().isPresent());
        fields.put("sha256", m.identity().sha256());
        return fields;
    }

    /** Loading each backend's runtime proves its native library is present and loads on this machine. */
    static Map<String, Object> runtimes() {
        var fields = new LinkedHashMap<String, Object>();
        fields.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        List<EncoderProvider> backends = Backends.available();
        fields.put("backends", backends.stream().map(EncoderProvider::artifactId).toList().toString());
        backends.forEach(backend -> fields.putAll(backend.runtime()));
        ai.djl.huggingface.tokenizers.jni.LibUtils.checkStatus();
        fields.put("tokenizers", "loaded");
        return fields;
    }
}
