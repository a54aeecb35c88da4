package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Cooperative cancellation across the event bus: a scope {@link #watch watched} under a request id is
 * cancelled when a cancel notice {@code {"requestId": id}} is published on {@link Addresses#CANCEL}
 * (what {@link dev.loopkit.bus.BusRequest} publishes when its caller gives up).
 *
 * <p>One consumer per Vert.x instance listens on {@link Addresses#CANCEL} while anything needs it: a
 * verticle that serves requests holds a {@link #listen(Vertx) listener} from start to stop, so the
 * consumer is not registered and unregistered per request; ad-hoc watches also keep it up while they
 * last. A watch ends by itself when its scope is closed, so nothing outlives the request it was for.
 */
public final class CancelNotices {

  private static final Map<Vertx, CancelNotices> BY_VERTX = new WeakHashMap<>();

  private final Vertx vertx;
  private final Map<String, Set<CancelScope>> watched = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private int holders;
  private int watches;

  private CancelNotices(Vertx vertx) {
    this.vertx = vertx;
  }

  private static CancelNotices of(Vertx vertx) {
    synchronized (BY_VERTX) {
      return BY_VERTX.computeIfAbsent(vertx, CancelNotices::new);
    }
  }

  /**
   * Keeps the cancel-notice consumer registered until the returned registration is removed (call it in a
   * verticle's start, remove it in stop).
   */
  public static Registration listen(Vertx vertx) {
    CancelNotices notices = of(vertx);
    notices.hold();
    boolean[] removed = {false};
    return () -> {
      synchronized (notices) {
        if (removed[0]) {
          return;
        }
        removed[0] = true;
      }
      notices.release();
    };
  }

  /**
   * Cancels {@code scope} when a notice for {@code requestId} arrives, until the scope is closed.
   *
   * @return a registration that stops watching (also done when the scope closes)
   */
  public static Registration watch(Vertx vertx, String requestId, CancelScope scope) {
    return of(vertx).add(requestId, scope);
  }

  /** @return how many scopes are watched on {@code vertx} */
  public static int watching(Vertx vertx) {
    CancelNotices n = of(vertx);
    synchronized (n) {
      return n.watches;
    }
  }

  private synchronized void hold() {
    if (holders++ == 0) {
      consumer = vertx.eventBus().consumer(Addresses.CANCEL, msg -> onNotice(msg.body()));
    }
  }

  private synchronized void release() {
    if (--holders == 0) {
      consumer.unregister();
      consumer = null;
    }
  }

  private void onNotice(JsonObject body) {
    Object id = body == null ? null : body.getValue("requestId");
    Set<CancelScope> scopes = id instanceof String ? watched.get(id) : null;
    if (scopes != null) {
      String why = "cancel notice: " + body.getString("reason", "caller gave up");
      for (CancelScope s : scopes.toArray(new CancelScope[0])) {
        s.cancel(why);
      }
    }
  }

  private Registration add(String requestId, CancelScope scope) {
    synchronized (this) {
      watches++;
    }
    hold();
    watched.computeIfAbsent(requestId, k -> ConcurrentHashMap.newKeySet()).add(scope);
    boolean[] removed = {false};
    Registration registration = () -> {
      synchronized (this) {
        if (removed[0]) {
          return;
        }
        removed[0] = true;
        watches--;
      }
      watched.computeIfPresent(requestId, (k, set) -> {
        set.remove(scope);
        return set.isEmpty() ? null : set;
      });
      release();
    };
    scope.onClose(registration::remove);
    return registration;
  }
}
