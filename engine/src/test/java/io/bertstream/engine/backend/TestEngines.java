package io.bertstream.engine.backend;

import io.bertstream.engine.EngineOptions;

/** Engine options for tests. */
public final class TestEngines {

    private TestEngines() {
    }

    /**
     * One intra-op thread: test machines are shared, and on an oversubscribed CPU the runtimes' spinning thread
     * pools wait on each other (PyTorch: 500 ms per tiny call with 2 threads vs 38 ms with 1, at load 14).
     * These tests check results and memory, not speed.
     */
    public static EngineOptions on(Backend backend) {
        return EngineOptions.defaults().withBackend(backend).withThreads(1);
    }
}
