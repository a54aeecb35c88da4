package dev.loopkit.hostile;

import dev.loopkit.async.LiveResources;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Hostile event-bus requests with evidence: how many answers each request got (an outbound interceptor
 * counts every message sent to its reply address, so a second reply would show), which code, how long it
 * took, and whether the per-request resources came back (verticle-held counters excepted).
 */
final class BusProbe {

  /** Header that tags a request as one hostile case (the interceptor matches it to its reply address). */
  static final String CASE = "hostile-case";
  /** Counters a deployed verticle holds from start to stop: not per request. */
  private static final Set<String> HELD = Set.of("cancelNotices.consumers", "timeout.consumers");

  /** What a request got. {@code code} is 200 for a reply, the failure code for a recipient failure, else -1. */
  record Answer(String name, int code, String message, Object body, long elapsedMs) {
  }

  private final Vertx vertx;
  private final Map<String, String> replyAddressOf = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();

  BusProbe(Vertx vertx) {
    this.vertx = vertx;
    vertx.eventBus().addOutboundInterceptor(dc -> {
      Message<Object> m = dc.message();
      String name = m.headers().get(CASE);
      if (name != null && m.replyAddress() != null) {
        // the first tagged send is the test's own request (forwarded copies carry the header too)
        if (replyAddressOf.putIfAbsent(name, m.replyAddress()) == null) {
          answers.put(m.replyAddress(), new AtomicInteger());
        }
      }
      AtomicInteger count = answers.get(m.address());
      if (count != null) {
        count.incrementAndGet();
      }
      dc.next();
    });
  }

  /** Sends {@code body} to {@code address} with {@code options} (tagged {@code name}); never fails. */
  Future<Answer> request(String name, String address, Object body, DeliveryOptions options) {
    DeliveryOptions d = new DeliveryOptions(options).addHeader(CASE, name);
    long t0 = System.nanoTime();
    Future<Message<Object>> sent = vertx.eventBus().request(address, body, d);
    return sent.transform(ar -> {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ar.succeeded()) {
        return Future.succeededFuture(new Answer(name, 200, null, ar.result().body(), ms));
      }
      Throwable e = ar.cause();
      int code = e instanceof ReplyException && ((ReplyException) e).failureType() == ReplyFailure.RECIPIENT_FAILURE
        ? ((ReplyException) e).failureCode() : -1;
      return Future.succeededFuture(new Answer(name, code, String.valueOf(e.getMessage()), null, ms));
    });
  }

  /** @return how many messages were sent to the reply address of request {@code name} */
  int answersTo(String name) {
    String replyAddress = replyAddressOf.get(name);
    AtomicInteger count = replyAddress == null ? null : answers.get(replyAddress);
    return count == null ? 0 : count.get();
  }

  /** @return completes when every per-request {@link LiveResources} counter is zero (verticle-held ones excepted) */
  Future<Void> released(long maxMs) {
    LiveResources live = LiveResources.of(vertx);
    return Released.eventually(vertx, maxMs, () -> live.snapshot().entrySet().stream()
      .allMatch(e -> HELD.contains(e.getKey()) || e.getValue() == 0), () -> "resources left behind: " + live);
  }
}
