package dev.loopkit.bench.overhead;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of this JVM, split the way an overhead measurement needs it: the Vert.x event loops, all Java
 * threads (loops, the checker's watchdog, timers, this driver), the whole process (adds GC and JIT), and
 * the JIT compiler threads alone (a diagnostic: a JIT still compiling during a measured round takes a core
 * from the loops on a 2-core box).
 *
 * <p>Java threads are read with {@link com.sun.management.ThreadMXBean#getThreadCpuTime(long[])}
 * (nanosecond clock per thread); a thread that started during a window counts from zero, one that ended
 * during it is lost (none does in steady state). The process total comes from
 * {@link com.sun.management.OperatingSystemMXBean#getProcessCpuTime()} and the JIT threads from
 * {@code /proc/self/task/&#42;/stat} — both in clock ticks (10 ms), so they are coarse over a 1 s window and
 * meaningful only as means over many rounds.
 */
final class CpuClock {

  private static final String LOOP_PREFIX = "vert.x-eventloop-thread-";
  private static final long TICK_NANOS = 10_000_000L;   // USER_HZ = 100 on Linux

  private final com.sun.management.ThreadMXBean threads =
    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  CpuClock() {
    if (!threads.isThreadCpuTimeSupported()) {
      throw new IllegalStateException("this JVM cannot measure per-thread CPU time");
    }
    threads.setThreadCpuTimeEnabled(true);
  }

  /** CPU consumed between two snapshots, in nanoseconds. */
  record Delta(long loops, long java, long process, long jit) {
  }

  /** One reading of every clock. */
  final class Snapshot {
    final Map<Long, Long> perThread = new HashMap<>();
    final Map<Long, Boolean> isLoop = new HashMap<>();
    final long process;
    final long jit;

    private Snapshot() {
      long[] ids = threads.getAllThreadIds();
      long[] cpu = threads.getThreadCpuTime(ids);
      java.lang.management.ThreadInfo[] infos = threads.getThreadInfo(ids);
      for (int i = 0; i < ids.length; i++) {
        if (cpu[i] >= 0 && infos[i] != null) {
          perThread.put(ids[i], cpu[i]);
          isLoop.put(ids[i], infos[i].getThreadName().startsWith(LOOP_PREFIX));
        }
      }
      process = os.getProcessCpuTime();
      jit = jitNanos();
    }

    /** @return what was consumed from {@code start} to this snapshot */
    Delta since(Snapshot start) {
      long loops = 0;
      long java = 0;
      for (Map.Entry<Long, Long> e : perThread.entrySet()) {
        long d = e.getValue() - start.perThread.getOrDefault(e.getKey(), 0L);
        java += d;
        if (isLoop.get(e.getKey())) {
          loops += d;
        }
      }
      return new Delta(loops, java, process - start.process, jit - start.jit);
    }
  }

  Snapshot now() {
    return new Snapshot();
  }

  /** @return CPU of the C1/C2 compiler threads so far (they are hidden from ThreadMXBean) */
  private static long jitNanos() {
    long ticks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        try {
          if (!Files.readString(t.resolve("comm")).contains("CompilerThre")) {
            continue;
          }
          String stat = Files.readString(t.resolve("stat"));
          // fields after the command's closing parenthesis: state is field 3, utime 14, stime 15
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException gone) {
          // the thread ended between listing and reading
        }
      }
    } catch (IOException notLinux) {
      return 0;
    }
    return ticks * TICK_NANOS;
  }
}
