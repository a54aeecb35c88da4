package dev.loopkit.blocking.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Vert.x internal the checker relies on, exercised on a real Vert.x 5 instance. If a Vert.x upgrade
 * breaks one of these, this test fails with the hook's name — fix {@link VertxInternals}, nothing else.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("VertxInternals: the only Vert.x internals loopkit uses still work")
class VertxInternalsTest {

  static class Probe extends VerticleBase {
    @Override
    public Future<?> start() {
      return Future.succeededFuture();
    }

    Context ctx() {
      return context;
    }
  }

  @Test
  void event_loops_are_enumerable(Vertx vertx) {
    assertThat(VertxInternals.eventLoops(vertx)).as("VertxInternal.eventLoopGroup()").isNotEmpty();
    assertThat(VertxInternals.shuttingDown(vertx)).isFalse();
    assertThat(VertxInternals.timingsDisabled()).as("-Dvertx.disableContextTimings must not be set for tests").isFalse();
  }

  @Test
  void dispatch_start_context_and_verticle_are_readable_from_the_running_thread(Vertx vertx, VertxTestContext tc) {
    Probe probe = new Probe();
    vertx.deployVerticle(probe).onComplete(tc.succeeding(id -> probe.ctx().runOnContext(v -> tc.verify(() -> {
      Thread me = Thread.currentThread();
      long start = VertxInternals.dispatchStartNanos(me);
      assertThat(start).as("VertxThread.startTime() during a dispatch").isPositive().isLessThanOrEqualTo(System.nanoTime());
      assertThat(VertxInternals.isTimed(me)).isTrue();
      assertThat(VertxInternals.isWorker(me)).isFalse();
      assertThat(VertxInternals.contextReadable()).as("VertxThread.context (private lookup)").isTrue();
      Context running = VertxInternals.contextOf(me);
      assertThat(running).isNotNull();
      assertThat(running.deploymentID()).isEqualTo(id);
      assertThat(VertxInternals.verticleClass(running)).as("ContextInternal.deployment()").isEqualTo(Probe.class.getName());
      tc.completeNow();
    }))));
  }

  @Test
  void idle_loop_has_no_dispatch_start(Vertx vertx, VertxTestContext tc) {
    vertx.runOnContext(v -> {
      Thread loop = Thread.currentThread();
      vertx.setTimer(50, t -> new Thread(() -> tc.verify(() -> {
        // the loop has no task once this timer handler returned; the checking thread may still see it
        // for a moment, so poll briefly
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (VertxInternals.dispatchStartNanos(loop) != 0 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertThat(VertxInternals.dispatchStartNanos(loop)).isZero();
        assertThat(VertxInternals.contextOf(loop)).isNull();
        assertThat(VertxInternals.dispatchStartNanos(Thread.currentThread())).as("not a Vert.x thread").isEqualTo(-1);
        tc.completeNow();
      })).start());
    });
  }

  @Test
  void blocked_thread_handler_and_close_hook_install(VertxTestContext tc) {
    Vertx own = Vertx.vertx();
    Runnable undo = VertxInternals.replaceBlockedThreadLog(own, t -> true);
    Runnable undoTwice = VertxInternals.replaceBlockedThreadLog(own, t -> false);
    undo.run();
    undo.run();
    undoTwice.run();
    AtomicBoolean closedHook = new AtomicBoolean();
    VertxInternals.addCloseHook(own, () -> closedHook.set(true));
    own.close().onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(closedHook).as("VertxInternal.addCloseHook ran on close").isTrue();
      tc.completeNow();
    })));
  }

  @Test
  void an_http_request_runs_on_its_own_context_which_the_request_names(Vertx vertx, VertxTestContext tc) {
    // HttpServerRequestInternal.context(): the request's duplicated context, which the loop runs while handling it
    vertx.createHttpServer().requestHandler(req -> {
      tc.verify(() -> {
        Context own = VertxInternals.requestContext(req);
        assertThat(own).as("HttpServerRequestInternal.context()").isNotNull();
        assertThat(VertxInternals.contextOf(Thread.currentThread())).isSameAs(own);
        assertThat(VertxInternals.requestContext("not a request")).isNull();
      });
      req.response().end();
    }).listen(0, "127.0.0.1")
      .compose(server -> vertx.createHttpClient().request(io.vertx.core.http.HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(r -> r.send()).compose(r -> r.body()))
      .onComplete(tc.succeedingThenComplete());
  }
}
