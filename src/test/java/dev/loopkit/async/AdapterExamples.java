package dev.loopkit.async;

import dev.loopkit.bus.BusRequest;
import io.vertx.core.Future;
import io.vertx.core.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.codec.BodyCodec;

/**
 * The snippets the README's "Cancellable adapters" section quotes, verbatim between the {@code tag::} /
 * {@code end::} markers: compiled here, run by {@link AdapterExamplesTest}, which also checks that the
 * README still quotes them exactly.
 */
final class AdapterExamples {

  private AdapterExamples() {
  }

  // tag::http[]
  /** GET /price with the core HttpClient; cancelling the scope resets the request (the socket closes). */
  static Future<String> price(CancelScope scope, HttpClient client, int port) {
    RequestOptions get = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/price");
    return Cancellable.http(scope, client, get, req -> req.send().compose(HttpClientResponse::body))
      .map(Buffer::toString);
  }
  // end::http[]

  // tag::web[]
  /** GET /quote with the Web Client, which has no cancel of its own: the adapter resets it the same way. */
  static Future<JsonObject> quote(CancelScope scope, WebClient client, int port) {
    return Cancellable.web(scope, client, client.get(port, "127.0.0.1", "/quote").as(BodyCodec.jsonObject()))
      .map(HttpResponse::body);
  }
  // end::web[]

  // tag::bus[]
  /** An event-bus request: reply consumer and timer released on cancel, the callee told to stop. */
  static Future<Message<JsonObject>> stock(CancelScope scope) {
    return BusRequest.request(scope, "stock.get", new JsonObject().put("sku", "A-1"));
  }
  // end::bus[]

  // tag::timer[]
  /** A pause that ends early, with the scope's exception, when the scope is cancelled. */
  static Future<Void> backoff(CancelScope scope) {
    return Cancellable.timer(scope, 250);
  }
  // end::timer[]

  // tag::run[]
  /** Any Future-returning call: give the call and the action that aborts it. */
  static Future<Void> pause(CancelScope scope, Vertx vertx, long ms) {
    Timer timer = vertx.timer(ms);
    return Cancellable.run(scope, () -> timer, timer::cancel);
  }
  // end::run[]

  // tag::deadline[]
  /** One timeout type: whatever gave up at the deadline, the caller sees DeadlineExceededException. */
  static Future<String> priceOrStale(Vertx vertx, HttpClient client, int port) {
    return Tasks.waitFor(vertx, 200, scope -> price(scope, client, port))
      .recover(err -> err instanceof DeadlineExceededException
        ? Future.succeededFuture("stale")
        : Future.failedFuture(err));
  }
  // end::deadline[]
}
