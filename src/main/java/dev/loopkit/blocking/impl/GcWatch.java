package dev.loopkit.blocking.impl;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stop-the-world GC pauses: the total pause time so far (polled by the watchdog every tick to discount
 * pauses from stalls) and one notification per pause (to report long pauses as kind {@code gc}).
 * Collectors whose beans count concurrent cycles rather than pauses (ZGC/Shenandoah "Cycles") are
 * ignored.
 */
final class GcWatch implements NotificationListener {

  /** A finished stop-the-world pause. */
  static final class Pause {
    final String collector;
    final String action;
    final String cause;
    final long durationMs;

    Pause(String collector, String action, String cause, long durationMs) {
      this.collector = collector;
      this.action = action;
      this.cause = cause;
      this.durationMs = durationMs;
    }
  }

  private final List<GarbageCollectorMXBean> beans = new ArrayList<>();
  private final List<NotificationEmitter> listening = new ArrayList<>();
  private volatile Consumer<Pause> onPause;
  private boolean closed;

  GcWatch() {
    for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (countsPauses(b.getName())) {
        beans.add(b);
      }
    }
  }

  static boolean countsPauses(String collector) {
    return !collector.contains("Cycles");
  }

  /** @return the total stop-the-world collection time so far, in milliseconds */
  long totalPauseMs() {
    long sum = 0;
    for (GarbageCollectorMXBean b : beans) {
      long t = b.getCollectionTime();
      if (t > 0) {
        sum += t;
      }
    }
    return sum;
  }

  /** Calls {@code listener} (on the JMX notification thread) after each pause. */
  synchronized void listen(Consumer<Pause> listener) {
    if (closed) {
      return;
    }
    onPause = listener;
    for (GarbageCollectorMXBean b : beans) {
      if (b instanceof NotificationEmitter) {
        ((NotificationEmitter) b).addNotificationListener(this, null, null);
        listening.add((NotificationEmitter) b);
      }
    }
  }

  synchronized void close() {
    closed = true;
    onPause = null;
    for (NotificationEmitter e : listening) {
      try {
        e.removeNotificationListener(this);
      } catch (ListenerNotFoundException ignored) {
        // already gone
      }
    }
    listening.clear();
  }

  @Override
  public void handleNotification(Notification n, Object handback) {
    Consumer<Pause> l = onPause;
    if (l == null || !GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    try {
      GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
      if (!countsPauses(info.getGcName())) {
        return;
      }
      l.accept(new Pause(info.getGcName(), info.getGcAction(), info.getGcCause(), info.getGcInfo().getDuration()));
    } catch (RuntimeException e) {
      // a malformed notification must not disturb the JMX thread
    }
  }
}
