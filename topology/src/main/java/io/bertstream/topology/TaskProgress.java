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
 * Whether each task of this process makes progress. Two signs of a stall, each against the allowed stall time:
 * the oldest event a task holds has been held that long — counted across re-creations of the task in this process,
 * so a task that is fenced and revived in a loop, emitting the same events into transactions that never commit,
 * shows as stalled too — or its input partitions lag and it has not read a record for that long.
 */
final class TaskProgress {

    /** One task's progress; written by its stream thread, read by /health. Survives the task's re-creation. */
    static final class Task {
        private final String id;
        private volatile boolean active;
        private volatile long lastReadMillis;
        private volatile long oldestSequence = -1;
        private volatile long oldestSince;
        private volatile int held;
        private final Set<TopicPartition> partitions = ConcurrentHashMap.newKeySet();

        private Task(String id) {
            this.id = id;
        }

        void read(long now, String topic, int partition) {
            lastReadMillis = now;
            if (partitions.size() < 64) { // a task reads one partition per input topic
                partitions.add(new TopicPartition(topic, partition));
            }
        }

        /** The task holds {@code events}, the oldest of them with this sequence number (-1: none). */
        void holding(int events, long oldest, long now) {
            held = events;
            if (oldest != oldestSequence) {
                oldestSequence = oldest;
                oldestSince = now;
            }
        }
    }

    private final Map<String, Task> tasks = new ConcurrentHashMap<>();

    /** The task's progress record, kept from an earlier incarnation of the same task when there was one. */
    Task activate(String taskId, long now) {
        Task task = tasks.computeIfAbsent(taskId, Task::new);
        task.lastReadMillis = now;
        task.active = true;
        return task;
    }

    void deactivate(Task task) {
        task.active = false;
    }

    /** The stalled tasks, described: "task 0_3 has held its oldest of 12 events for 320 s". */
    List<String> stalled(long now, Duration maxStall, Function<TopicPartition, Long> lag) {
        var stalled = new ArrayList<String>();
        long max = maxStall.toMillis();
        for (Task task : tasks.values()) {
            if (!task.active) {
                continue;
            }
            if (task.oldestSequence >= 0 && now - task.oldestSince > max) {
                stalled.add("task " + task.id + " has held the oldest of its " + task.held + " events for "
                        + (now - task.oldestSince) / 1000 + " s");
                continue;
            }
            long behind = task.partitions.stream().mapToLong(tp -> Math.max(0, lag.apply(tp))).sum();
            if (behind > 0 && now - task.lastReadMillis > max) {
                stalled.add("task " + task.id + " lags " + behind + " records and has read none for "
                        + (now - task.lastReadMillis) / 1000 + " s");
            }
        }
        stalled.sort(null);
        return stalled;
    }
}
