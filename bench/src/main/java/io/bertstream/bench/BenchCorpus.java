package io.bertstream.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated event texts, the same for every peer: reproducible from the seed, lengths spread log-uniformly so
 * short events dominate but 200-token ones occur, as on a real topic. Texts are built from templates filled
 * from small word lists (support tickets, orders, reviews, logs, news) and cut to a target word count.
 */
public final class BenchCorpus {

    /** Shortest and longest target lengths in WordPiece tokens (special tokens included). */
    public static final int MIN_TOKENS = 5;
    public static final int MAX_TOKENS = 200;

    /** WordPiece splits English event text into ~1.3 tokens per whitespace word; [CLS] and [SEP] add 2. */
    private static final double TOKENS_PER_WORD = 1.3;

    private static final String[] PEOPLE = {"the customer", "a user", "our driver", "the support agent", "my neighbour",
        "the warehouse team", "a reviewer", "the on-call engineer", "the manager", "a new subscriber", "the courier",
        "her colleague", "the shop owner", "a first-time buyer", "the analyst"};
    private static final String[] VERBS = {"reported", "ordered", "returned", "praised", "complained about",
        "cancelled", "tracked", "reviewed", "asked about", "recommended", "shipped", "refunded", "escalated",
        "configured", "rated"};
    private static final String[] ADJECTIVES = {"broken", "excellent", "delayed", "expensive", "lightweight",
        "refurbished", "waterproof", "noisy", "reliable", "overpriced", "fragile", "wireless", "organic",
        "discounted", "oversized", "compact", "sturdy", "faulty"};
    private static final String[] THINGS = {"headphones", "coffee machine", "laptop charger", "running shoes",
        "kitchen scale", "subscription", "parcel", "invoice", "smartwatch", "backpack", "router", "mattress",
        "bicycle helmet", "espresso beans", "phone case", "desk lamp", "winter jacket", "gift card"};
    private static final String[] PLACES = {"in Berlin", "at the Lisbon warehouse", "from the online store",
        "near the station", "through the mobile app", "at checkout", "in the east region", "via the partner shop",
        "on the second floor", "after the update"};
    private static final String[] REASONS = {"because the battery drained within an hour",
        "since the package arrived two weeks late", "as the colour did not match the photos",
        "because the payment was charged twice", "although the price dropped the next day",
        "while the tracking page showed no progress", "after the firmware update failed",
        "because the instructions were missing", "since the seller never replied"};
    private static final String[] CODES = {"order #48213", "ticket 7731", "SKU A-1093", "invoice 2024-118",
        "case 55-B", "batch 0xFF31", "error E4012", "node kafka-3", "build 1.8.2"};

    private static final String[][] TEMPLATES = {
        {"%p", "%v", "the", "%a", "%t", "%l", "."},
        {"%p", "%v", "%c", "%r", "."},
        {"Status update for", "%c", ":", "%p", "%v", "a", "%a", "%t", "."},
        {"Review:", "the", "%t", "is", "%a", "and", "%a", ",", "%p", "%v", "it", "%l", "."},
        {"Alert:", "%c", "flagged", "%l", ";", "%p", "%v", "the", "%t", "%r", "."},
        {"Honestly", "the", "%a", "%t", "was", "%a", "—", "%p", "%v", "it", "twice", "%r", "!"},
    };

    private BenchCorpus() {
    }

    /** {@code count} texts from {@code seed}: the same seed always yields the same texts. */
    public static List<String> generate(int count, long seed) {
        if (count < 1) {
            throw new IllegalArgumentException("corpus size must be at least 1, got " + count);
        }
        Random random = new Random(seed);
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            texts.add(text(random, targetWords(random)));
        }
        return texts;
    }

    /** Log-uniform target in tokens, turned into a word count. */
    private static int targetWords(Random random) {
        double logMin = Math.log(MIN_TOKENS);
        double logMax = Math.log(MAX_TOKENS);
        double tokens = Math.exp(logMin + random.nextDouble() * (logMax - logMin));
        return Math.max(1, (int) Math.round((tokens - 2) / TOKENS_PER_WORD));
    }

    private static String text(Random random, int words) {
        StringBuilder text = new StringBuilder();
        int written = 0;
        while (written < words) {
            for (String slot : TEMPLATES[random.nextInt(TEMPLATES.length)]) {
                String piece = fill(slot, random);
                for (String word : piece.split(" ")) {
                    if (written == words) {
                        return text.toString();
                    }
                    boolean punctuation = word.length() == 1 && ".,;:!".contains(word);
                    if (text.length() > 0 && !punctuation) {
                        text.append(' ');
                    }
                    text.append(word);
                    written++;
                }
            }
        }
        return text.toString();
    }

    private static String fill(String slot, Random random) {
        return switch (slot) {
            case "%p" -> pick(PEOPLE, random);
            case "%v" -> pick(VERBS, random);
            case "%a" -> pick(ADJECTIVES, random);
            case "%t" -> pick(THINGS, random);
            case "%l" -> pick(PLACES, random);
            case "%r" -> pick(REASONS, random);
            case "%c" -> pick(CODES, random);
            default -> slot;
        };
    }

    private static String pick(String[] words, Random random) {
        return words[random.nextInt(words.length)];
    }
}
