package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.Replies;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.config.ConfiguredVerticle;
import dev.loopkit.fetch.impl.HandoffCodec;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * The fetch engine on the event bus, at {@link FetchOptions#getAddress()} ({@code loopkit.fetch} by
 * default). Request: a {@link FetchRequest} in JSON; reply: a {@link FetchReply} in JSON; failures:
 * {@link ReplyException}s with the codes listed on {@link FetchEngine} (400 names the field).
 *
 * <ul>
 *   <li><b>Budget.</b> An incoming {@value Headers#TIMEOUT_MS} header bounds the call together with its
 *   {@code timeoutMs} (the smaller wins), and the verticle replies {@code deadlineMarginMs} before that
 *   budget ends, so a caller whose send timeout equals its budget sees the verticle's 504 (or the partial
 *   results of mode settled), never a bare event-bus TIMEOUT. A spent budget is answered 504 at once, a
 *   malformed one 400. Without the header, keep {@code timeoutMs} below your send timeout (the default
 *   {@link FetchOptions#DEFAULT_MAX_TIMEOUT_MS} is below the bus's 30 s).</li>
 *   <li><b>Cancel notices.</b> A notice on {@code loopkit.cancel} for the message's
 *   {@value Headers#REQUEST_ID} cancels the call: its connections are reset.</li>
 *   <li><b>Progress.</b> With {@code progressAddress}, each result is published there as it completes,
 *   as the result JSON plus {@code seq} (0, 1, … in completion order) and {@code requestId} (when the
 *   message carried one): exactly one message per request, all before the reply.</li>
 * </ul>
 */
public class FetchVerticle extends VerticleBase implements ConfiguredVerticle {

  private FetchOptions options;
  private FetchEngine engine;
  private MessageConsumer<Object> consumer;
  private Registration notices = Registration.NONE;
  private DeliveryOptions replyOptions;

  /** A verticle configured by its deployment {@code config()}. */
  public FetchVerticle() {
  }

  /** A verticle with these options (its deployment {@code config()} is then ignored). */
  public FetchVerticle(FetchOptions options) {
    this.options = new FetchOptions(options).validate();
  }

  @Override
  public void checkConfig(JsonObject config) {
    new FetchOptions(config);
  }

  @Override
  public Future<?> start() {
    if (options == null) {
      options = new FetchOptions(config());
    }
    engine = FetchEngine.create(vertx, options);
    notices = CancelNotices.listen(vertx);
    replyOptions = HandoffCodec.deliveryOptions(vertx);
    String address = options.getAddress();
    consumer = vertx.eventBus().consumer(address, Replies.guarded(address, this::handle));
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    notices.remove();
    return consumer.unregister().eventually(() -> engine.close());
  }

  /** @return the engine serving this verticle (for stats and tests), or {@code null} before start */
  public FetchEngine engine() {
    return engine;
  }

  @Override
  public String startupLine() {
    return options == null ? null : "fetch on '" + options.getAddress() + "'  allowedHosts=" + options.getAllowedHosts()
      + "  maxInFlight=" + options.getMaxInFlight() + " maxPerHost=" + options.getMaxPerHost();
  }

  private void handle(Message<Object> msg) {
    Object body = msg.body();
    if (!(body instanceof JsonObject)) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, "body: must be a JSON object (a fetch request), got " + describe(body));
      return;
    }
    FetchRequest request;
    try {
      request = FetchRequest.fromJson((JsonObject) body, options.getMaxRequestsPerCall());
    } catch (ReplyException e) {
      Replies.fail(msg, e);
      return;
    }
    CancelScope served = Budget.serve(vertx, msg, Long.MAX_VALUE);
    if (served == null) {
      return;
    }
    CancelScope scope = served;
    if (!served.deadline().isNone() && options.getDeadlineMarginMs() > 0) {
      long remaining = served.remainingMs();
      if (remaining <= options.getDeadlineMarginMs()) {
        served.close();
        Replies.fail(msg, FailureCode.TIMEOUT, "budget of " + remaining + " ms is within deadlineMarginMs ("
          + options.getDeadlineMarginMs() + "): shed without work");
        return;
      }
      scope = served.child(Deadline.at(served.deadline().nanoTime() - TimeUnit.MILLISECONDS.toNanos(options.getDeadlineMarginMs())));
    }
    Handler<FetchResult> progress = null;
    if (request.progressAddress() != null) {
      progress = progressPublisher(request.progressAddress(), msg.headers().get(Headers.REQUEST_ID));
    }
    CancelScope callScope = scope;
    engine.fetch(request, callScope, progress).onComplete(ar -> {
      callScope.close();
      served.close();
      if (ar.succeeded()) {
        msg.reply(ar.result().toJson(), replyOptions);
      } else {
        Replies.fail(msg, ar.cause());
      }
    });
  }

  private Handler<FetchResult> progressPublisher(String address, String requestId) {
    EventBus bus = vertx.eventBus();
    DeliveryOptions delivery = new DeliveryOptions();
    if (requestId != null) {
      delivery.addHeader(Headers.REQUEST_ID, requestId);
    }
    int[] seq = {0};
    return r -> {
      JsonObject json = r.toJson().put("seq", seq[0]++);
      if (requestId != null) {
        json.put("requestId", requestId);
      }
      bus.publish(address, json, delivery);
    };
  }

  private static String describe(Object body) {
    if (body == null) {
      return "nothing";
    }
    if (body instanceof String) {
      String s = (String) body;
      return "a string " + ConfigReader.show(s.length() > 60 ? s.substring(0, 60) + "…" : s);
    }
    return "a " + body.getClass().getSimpleName();
  }
}
