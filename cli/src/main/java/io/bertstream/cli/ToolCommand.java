package io.bertstream.cli;

import java.util.concurrent.Callable;

/**
 * A command shipped in its own artifact (the demo's, the benchmark's), so that the product jar carries neither:
 * a picocli {@code @Command} class with a public no-argument constructor, named in
 * {@code META-INF/services/io.bertstream.cli.ToolCommand} of its artifact. {@link Bertstream} finds it with
 * {@link java.util.ServiceLoader}, the way the engine finds its backends; where it is absent, the command is still
 * listed, and says which artifact runs it.
 */
public interface ToolCommand extends Callable<Integer> {
}
