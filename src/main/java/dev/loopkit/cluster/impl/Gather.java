package dev.loopkit.cluster.impl;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.cluster.ClusterNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Asks every live member (as this node sees them now) on its {@link ClusterNode#address per-node address}
 * and gathers the answers within a budget: {@code {"members": n, "nodes": [answer…], "missing": [{"node",
 * "reason"}…]}}, sorted by node name. Every request has the budget as its send timeout, so the gather
 * completes by then whatever the members do; a member that does not answer in time, that has nothing on
 * the address, or that fails is listed in {@code missing} with the reason. Each answer is a JSON object;
 * one without a {@code node} field gets the member's. Not clustered: just this node.
 */
public final class Gather {

  private Gather() {
  }

  public static Future<JsonObject> gather(Vertx vertx, String baseAddress, JsonObject body, long budgetMs) {
    List<ClusterNode> members = new ArrayList<>(Nodes.members(vertx));
    members.sort(Comparator.comparing(ClusterNode::name).thenComparing(ClusterNode::id));
    Object[] answers = new Object[members.size()];
    List<Future<?>> all = new ArrayList<>();
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(Math.max(1, budgetMs));
    for (int i = 0; i < members.size(); i++) {
      int index = i;
      ClusterNode node = members.get(i);
      Promise<Void> done = Promise.promise();
      all.add(done.future());
      vertx.eventBus().request(node.address(baseAddress), body.copy(), delivery).onComplete(ar -> {
        answers[index] = ar.succeeded() ? ar.result().body() : ar.cause();
        done.complete();
      });
    }
    return Future.join(all).transform(ignored -> {
      JsonArray nodes = new JsonArray();
      JsonArray missing = new JsonArray();
      for (int i = 0; i < members.size(); i++) {
        ClusterNode node = members.get(i);
        Object a = answers[i];
        if (a instanceof JsonObject) {
          JsonObject answer = (JsonObject) a;
          if (!answer.containsKey("node")) {
            answer.put("node", node.toJson());
          }
          nodes.add(answer);
        } else {
          missing.add(new JsonObject().put("node", node.toJson()).put("reason", reason(a, baseAddress, budgetMs)));
        }
      }
      return Future.succeededFuture(new JsonObject().put("members", members.size()).put("nodes", nodes).put("missing", missing));
    });
  }

  private static String reason(Object answer, String baseAddress, long budgetMs) {
    if (answer instanceof ReplyException) {
      ReplyException e = (ReplyException) answer;
      if (e.failureType() == ReplyFailure.TIMEOUT) {
        return "no answer within " + budgetMs + " ms";
      }
      if (e.failureType() == ReplyFailure.NO_HANDLERS) {
        return "nothing serves '" + baseAddress + "' on this node";
      }
      return FailureCode.of(e).code() + " " + LogValues.safe(e.getMessage(), 200);
    }
    if (answer instanceof Throwable) {
      return LogValues.safe(String.valueOf(answer), 200);
    }
    return "answered something other than a JSON object";
  }
}
