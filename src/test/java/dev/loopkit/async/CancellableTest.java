package dev.loopkit.async;

import dev.loopkit.bus.BusRequest;
import dev.loopkit.hostile.Released;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Cancellable} against a real HTTP server on 127.0.0.1 that counts its open connections and the
 * requests it received: on cancel the caller sees the scope's exception (never the reset's), the server
 * sees the connection closed, and loopkit's counters return to zero.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Cancellable: the user's own Vert.x calls honour a CancelScope")
class CancellableTest {

  private HttpServer server;
  private int port;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final List<Long> dripTimers = new ArrayList<>();

  @BeforeEach
  void start_server(Vertx vertx, VertxTestContext tc) {
    server = vertx.createHttpServer()
      .connectionHandler(conn -> {
        open.incrementAndGet();
        conn.closeHandler(v -> open.decrementAndGet());
      })
      .requestHandler(req -> {
        requests.incrementAndGet();
        switch (req.path()) {
          case "/fast":
            req.response().end("ok");
            break;
          case "/drip": // headers at once, then one byte every 20 ms, for ever
            req.response().setChunked(true).write("x");
            long id = vertx.setPeriodic(20, t -> req.response().write("x"));
            dripTimers.add(id);
            req.response().closeHandler(v -> vertx.cancelTimer(id));
            break;
          default: // "/slow": never answers
            break;
        }
      });
    server.listen(0, "127.0.0.1").onComplete(tc.succeeding(s -> {
      port = s.actualPort();
      tc.completeNow();
    }));
  }

  @AfterEach
  void stop_server(Vertx vertx) {
    dripTimers.forEach(vertx::cancelTimer);
  }

  private RequestOptions get(String path) {
    return new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(path);
  }

  /** Server saw every connection closed, and loopkit holds nothing. */
  private Future<Void> released(Vertx vertx) {
    return Released.eventually(vertx, 5_000, () -> open.get() == 0, () -> "server still has " + open.get() + " open connections")
      .compose(v -> Released.counters(vertx, 5_000));
  }

  @Nested
  @DisplayName("HttpClient")
  class Http {

    @Test
    @DisplayName("deadline while waiting for the response (500 ms: time for the request to reach the server on a busy machine): DeadlineExceededException, connection closed")
    void deadline_resets_the_request(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      Tasks.waitFor(vertx, 500, scope -> Cancellable.http(scope, client, get("/slow"),
          req -> req.send().compose(HttpClientResponse::body)))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class);
          assertThat(requests).hasValue(1);
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("cancel while the body is being read: the scope's CancelledException, connection closed")
    void cancel_while_reading_the_body(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      CancelScope scope = CancelScope.create(vertx);
      Cancellable.http(scope, client, get("/drip"), req -> req.send().compose(resp -> {
          resp.handler(chunk -> scope.cancel("enough"));
          return resp.end();
        }))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isExactlyInstanceOf(CancelledException.class).hasMessage("enough");
          scope.close();
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("cancel while waiting for a pooled connection: nothing is sent, the connection is closed when it comes")
    void cancel_while_waiting_for_a_connection(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.httpClientBuilder().with(new PoolOptions().setHttp1MaxSize(1)).build();
      CancelScope first = CancelScope.create(vertx);
      CancelScope second = CancelScope.create(vertx);
      Future<Buffer> busy = Cancellable.http(first, client, get("/slow"), req -> req.send().compose(HttpClientResponse::body));
      Future<Buffer> queued = Cancellable.http(second, client, get("/fast"), req -> req.send().compose(HttpClientResponse::body));
      Released.eventually(vertx, 5_000, () -> requests.get() == 1, () -> requests + " requests")
        .compose(v -> {
          second.cancel("not needed");
          tc.verify(() -> assertThat(queued.cause()).isExactlyInstanceOf(CancelledException.class).hasMessage("not needed"));
          first.cancel("done");
          return busy.transform(ar -> Future.succeededFuture());
        })
        .compose(v -> {
          first.close();
          second.close();
          return released(vertx);
        })
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertThat(requests).as("the queued request never reached the server").hasValue(1);
          tc.completeNow();
        })));
    }

    @Test
    @DisplayName("a cancelled scope starts nothing")
    void cancelled_scope_starts_nothing(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      CancelScope scope = CancelScope.create(vertx);
      scope.cancel("gone");
      Future<Buffer> f = Cancellable.http(scope, client, get("/fast"), req -> req.send().compose(HttpClientResponse::body));
      tc.verify(() -> {
        assertThat(f.cause()).isExactlyInstanceOf(CancelledException.class).hasMessage("gone");
        assertThat(LiveResources.of(vertx).get(LiveResources.HTTP_REQUESTS)).isZero();
      });
      scope.close();
      client.request(get("/fast")).compose(req -> req.send().compose(HttpClientResponse::body))
        .onComplete(tc.succeeding(body -> tc.verify(() -> {
          assertThat(requests).as("only the control request arrived").hasValue(1);
          tc.completeNow();
        })));
    }

    @Test
    @DisplayName("completes first: the result passes, the connection stays open for reuse")
    void completes_first(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      Tasks.waitFor(vertx, 5_000, scope -> Cancellable.http(scope, client, get("/fast"),
          req -> req.send().compose(HttpClientResponse::body)))
        .onComplete(tc.succeeding(body -> tc.verify(() -> {
          assertThat(body.toString()).isEqualTo("ok");
          assertThat(open).as("keep-alive: not reset").hasValue(1);
          assertThat(LiveResources.of(vertx).get(LiveResources.HTTP_REQUESTS)).isZero();
          assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
          client.close().onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("an exchange that throws: its failure passes through, nothing stays counted or open")
    void exchange_that_throws(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      CancelScope scope = CancelScope.create(vertx);
      Cancellable.http(scope, client, get("/fast"), req -> {
          throw new IllegalStateException("bad exchange");
        })
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).hasMessage("bad exchange");
          scope.close();
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("the trap: an adapter that resets on cancel by hand still gives waitFor's caller the deadline, not StreamResetException")
    void hand_written_reset_adapter_reports_the_deadline(Vertx vertx, VertxTestContext tc) {
      HttpClient client = vertx.createHttpClient();
      Tasks.waitFor(vertx, 500, scope -> client.request(get("/slow")).compose(req -> {
          scope.onCancel(reason -> req.reset()); // the reset fails the request at once, before waitFor hears
          return req.send().compose(HttpClientResponse::body);
        }))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class);
          assertThat(err.getSuppressed()).hasSize(1);
          assertThat(err.getSuppressed()[0]).isInstanceOf(StreamResetException.class);
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
    }
  }

  @Nested
  @DisplayName("WebClient")
  class Web {

    @Test
    @DisplayName("deadline while waiting for the response (500 ms: time for the request to reach the server on a busy machine): DeadlineExceededException, connection closed")
    void deadline_resets_the_request(Vertx vertx, VertxTestContext tc) {
      WebClient client = WebClient.create(vertx);
      Tasks.waitFor(vertx, 500, scope -> Cancellable.web(scope, client, client.get(port, "127.0.0.1", "/slow")))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class);
          assertThat(requests).hasValue(1);
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("cancel while the body is being read (the Web Client has let go of the request): connection closed")
    void cancel_while_reading_the_body(Vertx vertx, VertxTestContext tc) {
      WebClient client = WebClient.create(vertx);
      CancelScope scope = CancelScope.create(vertx);
      Cancellable.web(scope, client, client.get(port, "127.0.0.1", "/drip"))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isExactlyInstanceOf(CancelledException.class).hasMessage("enough");
          scope.close();
          released(vertx).onComplete(tc.succeedingThenComplete());
        })));
      Released.eventually(vertx, 5_000, () -> requests.get() == 1, () -> "no request yet")
        .compose(v -> Tasks.sleep(vertx, 60)) // a few chunks in
        .onComplete(v -> scope.cancel("enough"));
    }

    @Test
    @DisplayName("cancel while waiting for a pooled connection: nothing is sent")
    void cancel_while_waiting_for_a_connection(Vertx vertx, VertxTestContext tc) {
      WebClient client = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(1));
      CancelScope first = CancelScope.create(vertx);
      CancelScope second = CancelScope.create(vertx);
      Future<?> busy = Cancellable.web(first, client, client.get(port, "127.0.0.1", "/slow"));
      Future<?> queued = Cancellable.web(second, client, client.get(port, "127.0.0.1", "/fast"));
      Released.eventually(vertx, 5_000, () -> requests.get() == 1, () -> requests + " requests")
        .compose(v -> {
          second.cancel("not needed");
          tc.verify(() -> assertThat(queued.cause()).isExactlyInstanceOf(CancelledException.class).hasMessage("not needed"));
          first.cancel("done");
          return busy.transform(ar -> Future.succeededFuture());
        })
        .compose(v -> {
          first.close();
          second.close();
          return released(vertx);
        })
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertThat(requests).as("the queued request never reached the server").hasValue(1);
          tc.completeNow();
        })));
    }

    @Test
    @DisplayName("completes first: the response passes; other sends on the same client are not affected")
    void completes_first(Vertx vertx, VertxTestContext tc) {
      WebClient client = WebClient.create(vertx);
      Tasks.waitFor(vertx, 5_000, scope -> Cancellable.web(scope, client, client.get(port, "127.0.0.1", "/fast"),
          r -> r.sendBuffer(Buffer.buffer("hello"))))
        .compose(resp -> client.get(port, "127.0.0.1", "/fast").send().map(plain -> resp.bodyAsString() + "+" + plain.bodyAsString()))
        .onComplete(tc.succeeding(body -> tc.verify(() -> {
          assertThat(body).isEqualTo("ok+ok");
          assertThat(LiveResources.of(vertx).get(LiveResources.HTTP_REQUESTS)).isZero();
          tc.completeNow();
        })));
    }

    @Test
    @DisplayName("a cancelled scope starts nothing")
    void cancelled_scope_starts_nothing(Vertx vertx) {
      WebClient client = WebClient.create(vertx);
      try (CancelScope scope = CancelScope.create(vertx)) {
        scope.cancel("gone");
        Future<?> f = Cancellable.web(scope, client, client.get(port, "127.0.0.1", "/fast"));
        assertThat(f.cause()).isExactlyInstanceOf(CancelledException.class).hasMessage("gone");
        assertThat(LiveResources.of(vertx).get(LiveResources.HTTP_REQUESTS)).isZero();
        assertThat(requests).hasValue(0);
      }
    }
  }

  @Nested
  @DisplayName("timer, event bus, any call")
  class Others {

    @Test
    @DisplayName("timer: cancelled with the scope")
    void timer(Vertx vertx, VertxTestContext tc) {
      Tasks.waitFor(vertx, 30, scope -> Cancellable.timer(scope, 60_000))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class);
          Released.counters(vertx, 2_000).onComplete(tc.succeedingThenComplete());
        })));
    }

    @Test
    @DisplayName("any call: a Vert.x Timer aborted by its own cancel() — the caller sees the scope's reason, not the timer's CancellationException")
    void any_call(Vertx vertx, VertxTestContext tc) {
      CancelScope scope = CancelScope.create(vertx);
      Timer timer = vertx.timer(60_000);
      Future<Void> f = Cancellable.run(scope, () -> timer, timer::cancel);
      scope.cancel("stop");
      f.onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isExactlyInstanceOf(CancelledException.class).hasMessage("stop");
        scope.close();
        timer.onComplete(tc.failing(timerErr -> tc.verify(() -> {
          assertThat(timerErr).isInstanceOf(CancellationException.class).isNotInstanceOf(CancelledException.class);
          tc.completeNow();
        })));
      })));
    }

    @Test
    @DisplayName("acquire / use / abort: a handle that arrives after the cancel is aborted and never used")
    void handle_arriving_after_cancel(Vertx vertx, VertxTestContext tc) {
      CancelScope scope = CancelScope.create(vertx);
      Promise<String> acquiring = Promise.promise();
      List<String> aborted = new ArrayList<>();
      boolean[] used = {false};
      Future<String> f = Cancellable.run(scope, acquiring::future, h -> {
        used[0] = true;
        return Future.succeededFuture(h);
      }, aborted::add);
      scope.cancel("stop");
      tc.verify(() -> {
        assertThat(f.cause()).isExactlyInstanceOf(CancelledException.class);
        assertThat(aborted).isEmpty();
      });
      acquiring.complete("handle");
      tc.verify(() -> {
        assertThat(aborted).containsExactly("handle");
        assertThat(used[0]).isFalse();
      });
      scope.close();
      tc.completeNow();
    }

    @Test
    @DisplayName("any call: its own failure before any cancel passes through; a throwing abort is skipped")
    void failures_pass_through(Vertx vertx) {
      try (CancelScope scope = CancelScope.create(vertx)) {
        IllegalStateException boom = new IllegalStateException("boom");
        assertThat(Cancellable.<String>run(scope, () -> Future.failedFuture(boom), () -> { }).cause()).isSameAs(boom);
        assertThat(Cancellable.<String>run(scope, () -> {
          throw boom;
        }, () -> { }).cause()).isSameAs(boom);
        Promise<String> never = Promise.promise();
        Future<String> f = Cancellable.run(scope, never::future, () -> {
          throw new IllegalStateException("bad abort");
        });
        scope.cancel("stop");
        assertThat(f.cause()).hasMessage("stop");
      }
    }

    @Test
    @DisplayName("event bus: BusRequest is the adapter — deadline → DeadlineExceededException, nothing left registered")
    void bus(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().consumer("cancellable.never", msg -> { });
      Tasks.waitFor(vertx, 50, scope -> BusRequest.request(scope, "cancellable.never", "x"))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class);
          Released.counters(vertx, 2_000).onComplete(tc.succeedingThenComplete());
        })));
    }
  }
}
