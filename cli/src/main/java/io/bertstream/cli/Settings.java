package io.bertstream.cli;

import io.bertstream.topology.BertstreamConfig;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command-line options that are configuration keys ({@link Setting}) go through the configuration table: their
 * defaults are the table's (shown in --help), their values are checked by its rules, and the engine options and
 * extraction are made from them by the same code as the service's ({@code SharedModel}). A refusal names the option,
 * not the key.
 */
public final class Settings {

    private Settings() {
    }

    /** Every key's default, as text (null: unset, "the model's own"); made on first use, so that a command that
     * has no settings (the demo quiets logging first) does not start logging by reading them. */
    private static final class Defaults {
        static final BertstreamConfig CONFIG = BertstreamConfig.of(Map.of(), Map.of());
    }

    /** Gives each {@link Setting} option its key's default; other options keep their own. */
    static final CommandLine.IDefaultValueProvider DEFAULT_VALUES = (ArgSpec arg) -> {
        Setting setting = arg.userObject() instanceof Field field ? field.getAnnotation(Setting.class) : null;
        return setting == null ? null : Defaults.CONFIG.get(setting.value());
    };

    /**
     * The configuration the {@link Setting} options of these option holders (commands, mixins) make, checked whole.
     *
     * @throws IllegalArgumentException one line per refused value, naming the option
     */
    public static BertstreamConfig of(Object... holders) {
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, String> options = new LinkedHashMap<>();
        for (Object holder : holders) {
            for (Field field : holder.getClass().getDeclaredFields()) {
                Setting setting = field.getAnnotation(Setting.class);
                Option option = field.getAnnotation(Option.class);
                if (setting == null || option == null) {
                    continue;
                }
                Object value = read(field, holder);
                if (value != null) {
                    settings.put(setting.value(), value.toString());
                    options.put(setting.value(), longest(option.names()));
                }
            }
        }
        try {
            return BertstreamConfig.of(settings, Map.of());
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            for (Map.Entry<String, String> option : options.entrySet()) {
                message = message.replace(option.getKey() + "=", option.getValue() + "=");
            }
            // without the cause: it says the same in key names
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * An option's old name, still accepted: true when it was used (a one-line deprecation warning is printed on
     * stderr); giving both names is a usage error.
     */
    public static boolean renamed(CommandSpec spec, String oldName, String newName) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (!parsed.hasMatchedOption(oldName)) {
            return false;
        }
        if (parsed.hasMatchedOption(newName)) {
            throw new CommandLine.ParameterException(spec.commandLine(), oldName + " and " + newName
                    + " are one option (" + oldName + " is its old name): keep only " + newName);
        }
        spec.commandLine().getErr().println(spec.name() + ": " + oldName + " is deprecated: use " + newName + " (same meaning)");
        spec.commandLine().getErr().flush();
        return true;
    }

    private static Object read(Field field, Object holder) {
        try {
            field.setAccessible(true);
            return field.get(holder);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String longest(String[] names) {
        String longest = names[0];
        for (String name : names) {
            if (name.length() > longest.length()) {
                longest = name;
            }
        }
        return longest;
    }
}
