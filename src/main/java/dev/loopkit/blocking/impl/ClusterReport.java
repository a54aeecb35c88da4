package dev.loopkit.blocking.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.Replies;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.cluster.impl.Gather;
import dev.loopkit.timeout.Budget;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * The blocking report of the whole cluster: {@code {"scope": "cluster"}} on the report address is answered
 * with one report gathered from every live node, each node's own report (with its {@code node}) under
 * {@code nodes}, and the nodes that did not answer within the caller's budget under {@code missing}
 * ({@code {"node", "reason"}}: no answer in time, no checker there, a failure). The gather is bounded by
 * the caller's budget ({@code loopkit-timeout-ms}) and by {@value #DEFAULT_TIMEOUT_MS} ms, less a margin
 * for the reply, so a dead or slow node is never waited for past it.
 *
 * <p>Each checker answers for its own node on {@link ClusterNode#address the per-node report address},
 * {@code loopkit.blocking.report.node.<node id>}, registered next to the shared one.
 */
final class ClusterReport {

  /** Longest gather when the caller gives no shorter budget. */
  static final long DEFAULT_TIMEOUT_MS = 2_000;

  private ClusterReport() {
  }

  /** Registers {@code handler} on this node's per-node report address. */
  static MessageConsumer<Object> registerNodeAddress(Vertx vertx, String reportAddress, Handler<Message<Object>> handler) {
    String address = ClusterNode.of(vertx).address(reportAddress);
    return vertx.eventBus().consumer(address, Replies.guarded(address, handler));
  }

  /** Answers {@code msg} with the cluster report, within the caller's budget. */
  static void serve(Vertx vertx, Message<Object> msg, String reportAddress, boolean reset, int recent) {
    CancelScope scope = Budget.serve(vertx, msg, DEFAULT_TIMEOUT_MS);
    if (scope == null) {
      return;
    }
    long remaining = scope.remainingMs();
    // leave the reply time to travel back within the caller's budget
    long budget = Math.max(1, remaining - Math.min(100, remaining / 10));
    JsonObject perNode = new JsonObject().put("scope", "node").put("reset", reset).put("recent", recent);
    Gather.gather(vertx, reportAddress, perNode, budget).onComplete(ar -> {
      scope.close();
      if (ar.failed()) {
        Replies.fail(msg, ar.cause());
        return;
      }
      msg.reply(ar.result().put("scope", "cluster").put("node", ClusterNode.of(vertx).toJson()).put("budgetMs", budget));
    });
  }
}
