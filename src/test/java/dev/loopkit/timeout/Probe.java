package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A target service for tests, named for what it does: {@link #ok}, {@link #fail}, {@link #slow},
 * {@link #never}, {@link #cancellable} (serves with {@link Budget#serve} and records how its work was
 * stopped), or a {@link #script} of behaviours per call. Records every call (budget header, request id,
 * arrival time) and every cancellation.
 */
final class Probe {

  /** What the target does with call number {@code index} (0-based). */
  interface Behaviour {
    void handle(Probe probe, Message<Object> msg, Call call);
  }

  /** One received call. */
  static final class Call {
    final int index;
    final String budget;
    final String requestId;
    final long arrivedNanos = System.nanoTime();
    final String thread = Thread.currentThread().getName();
    volatile CancelScope scope;
    volatile String cancelReason;

    Call(int index, Message<?> msg) {
      this.index = index;
      this.budget = msg.headers().get(Headers.TIMEOUT_MS);
      this.requestId = msg.headers().get(Headers.REQUEST_ID);
    }

    long budgetMs() {
      return Long.parseLong(budget);
    }
  }

  final String address;
  final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Vertx vertx;
  private final List<Behaviour> script;
  private final List<Promise<Call>> arrivals = new ArrayList<>();
  private final List<Promise<Call>> cancellations = new ArrayList<>();
  private MessageConsumer<Object> consumer;

  private Probe(Vertx vertx, String address, List<Behaviour> script) {
    this.vertx = vertx;
    this.address = address;
    this.script = script;
    for (int i = 0; i < 64; i++) {
      arrivals.add(Promise.promise());
      cancellations.add(Promise.promise());
    }
  }

  static Probe script(Vertx vertx, String address, Behaviour... perCall) {
    Probe p = new Probe(vertx, address, List.of(perCall));
    p.consumer = vertx.eventBus().consumer(address, p::onMessage);
    return p;
  }

  static Probe ok(Vertx vertx, String address) {
    return script(vertx, address, OK);
  }

  static Probe fail(Vertx vertx, String address, int code, String message) {
    return script(vertx, address, fails(code, message));
  }

  static Probe slow(Vertx vertx, String address, long ms) {
    return script(vertx, address, okAfter(ms));
  }

  static Probe never(Vertx vertx, String address) {
    return script(vertx, address, NEVER);
  }

  static Probe cancellable(Vertx vertx, String address) {
    return script(vertx, address, CANCELLABLE);
  }

  /** Replies {@code {"ok": true, "call": i, "budget": header}} at once. */
  static final Behaviour OK = (p, msg, call) -> msg.reply(reply(call));

  /** Never replies (and ignores budgets and cancel notices). */
  static final Behaviour NEVER = (p, msg, call) -> { };

  /**
   * Serves with {@link Budget#serve}: never replies on its own; when its scope is cancelled it records why
   * and replies 504 (its deadline) or 499 (a cancel notice).
   */
  static final Behaviour CANCELLABLE = cancellableThenOkAfter(-1);

  static Behaviour fails(int code, String message) {
    return (p, msg, call) -> msg.reply(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message));
  }

  static Behaviour okAfter(long ms) {
    return (p, msg, call) -> p.vertx.setTimer(ms, t -> msg.reply(reply(call)));
  }

  /** Like {@link #CANCELLABLE}, but replies OK after {@code ms} unless cancelled first ({@code ms < 0}: never). */
  static Behaviour cancellableThenOkAfter(long ms) {
    return (p, msg, call) -> {
      CancelScope scope = Budget.serve(p.vertx, msg, Long.MAX_VALUE);
      if (scope == null) {
        return;
      }
      call.scope = scope;
      long timer = ms < 0 ? -1 : p.vertx.setTimer(ms, t -> {
        scope.close();
        msg.reply(reply(call));
      });
      scope.onCancel(reason -> {
        if (timer >= 0) {
          p.vertx.cancelTimer(timer);
        }
        call.cancelReason = reason.getMessage();
        scope.close();
        msg.reply((reason.deadline() ? FailureCode.TIMEOUT : FailureCode.CANCELLED).exception("stopped: " + reason.getMessage()));
        p.cancellations.get(call.index).tryComplete(call);
      });
    };
  }

  private static JsonObject reply(Call call) {
    return new JsonObject().put("ok", true).put("call", call.index).put("budget", call.budget);
  }

  private void onMessage(Message<Object> msg) {
    Call call;
    synchronized (this) {
      call = new Call(calls.size(), msg);
      calls.add(call);
    }
    Behaviour b = script.get(Math.min(call.index, script.size() - 1));
    b.handle(this, msg, call);
    if (call.index < arrivals.size()) {
      arrivals.get(call.index).tryComplete(call);
    }
  }

  /** @return completes when call {@code index} (0-based) has arrived */
  Future<Call> arrived(int index) {
    return arrivals.get(index).future();
  }

  /** @return completes when the work of call {@code index} was stopped (cancellable behaviours only) */
  Future<Call> cancelled(int index) {
    return cancellations.get(index).future();
  }

  /** @return completes when the consumer's registration is effective (clustered: on every node) */
  Future<Void> ready() {
    return consumer.completion();
  }

  int count() {
    return calls.size();
  }

  Future<Void> close() {
    return consumer.unregister();
  }
}
