package io.bertstream.engine;

/**
 * DJL's defaults this engine overrides, set before any DJL class is used (the tokenizer and the PyTorch engine
 * are DJL): no telemetry call home ({@code OPT_OUT_TRACKING}) and no downloads ({@code ai.djl.offline}), since
 * every native library bertstream runs ships inside its jars. A value the user set (system property, or DJL's
 * environment variables {@code OPT_OUT_TRACKING} / {@code DJL_OFFLINE}, which DJL reads first) wins: the CUDA
 * image sets {@code DJL_OFFLINE=false} so DJL may fetch the CUDA build of libtorch.
 */
public final class DjlDefaults {

    public static final String OPT_OUT_TRACKING = "OPT_OUT_TRACKING";
    public static final String OFFLINE = "ai.djl.offline";

    private DjlDefaults() {
    }

    /** Idempotent; cheap enough to call from every entry point that may be the first to touch DJL. */
    public static void apply() {
        setIfAbsent(OPT_OUT_TRACKING, "true");
        setIfAbsent(OFFLINE, "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
