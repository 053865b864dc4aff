package io.bertstream.topology;

import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Whether each task of this process makes progress: when it last read or emitted something, how many events it
 * holds, and which input partitions it reads (for their consumer lag). A task with work waiting — events held, or
 * lag on its partitions — that has made no progress for longer than the allowed stall is stalled.
 */
final class TaskProgress {

    /** One task's progress; written by its stream thread, read by /health. */
    static final class Task {
        private final String id;
        private volatile long lastProgressMillis;
        private volatile int held;
        private final Set<TopicPartition> partitions = ConcurrentHashMap.newKeySet();

        private Task(String id, long now) {
            this.id = id;
            this.lastProgressMillis = now;
        }

        void progressed(long now) {
            lastProgressMillis = now;
        }

        void held(int events) {
            held = events;
        }

        void reads(String topic, int partition) {
            if (partitions.size() < 64) { // a task reads one partition per input topic
                partitions.add(new TopicPartition(topic, partition));
            }
        }
    }

    private final Map<String, Task> tasks = new ConcurrentHashMap<>();

    Task register(String taskId, long now) {
        var task = new Task(taskId, now);
        tasks.put(taskId, task);
        return task;
    }

    void remove(Task task) {
        tasks.remove(task.id, task);
    }

    /** The stalled tasks, described: "task 0_3 holds 12 events and made no progress for 320 s". */
    List<String> stalled(long now, Duration maxStall, Function<TopicPartition, Long> lag) {
        var stalled = new ArrayList<String>();
        for (Task task : tasks.values()) {
            long idle = now - task.lastProgressMillis;
            if (idle <= maxStall.toMillis()) {
                continue;
            }
            long behind = task.partitions.stream().mapToLong(tp -> Math.max(0, lag.apply(tp))).sum();
            if (task.held > 0 || behind > 0) {
                stalled.add("task " + task.id + " holds " + task.held + " events, lags " + behind
                        + " records and made no progress for " + idle / 1000 + " s");
            }
        }
        stalled.sort(null);
        return stalled;
    }

    int size() {
        return tasks.size();
    }
}
