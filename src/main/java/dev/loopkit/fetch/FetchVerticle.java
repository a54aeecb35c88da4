package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.bus.ServedAddresses;
import dev.loopkit.bus.Replies;
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
 *   message carried one): exactly one message per request, all before the reply. The address must start
 *   with {@link FetchOptions#getProgressAddressPrefix()} ({@code loopkit.progress.} by default), name
 *   something below it, be printable ASCII of at most {@value #MAX_PROGRESS_ADDRESS} characters and not be
 *   reserved ({@link ServedAddresses#isReserved}: {@code __vertx.*}, {@code loopkit.cancel}, any address a
 *   loopkit verticle serves, this one's included); otherwise the call is refused 400 naming
 *   {@code progressAddress}, before any work — results can never be published onto another service's
 *   address.</li>
 *   <li><b>Request ids.</b> The verticle generates none: a cancel notice cancels the call whose
 *   {@value Headers#REQUEST_ID} equals the notice's {@code requestId} exactly (no prefix or case-insensitive
 *   match).</li>
 * </ul>
 */
public class FetchVerticle extends VerticleBase implements ConfiguredVerticle {

  /** Longest {@code progressAddress} accepted. */
  public static final int MAX_PROGRESS_ADDRESS = 200;

  private FetchOptions options;
  private FetchEngine engine;
  private MessageConsumer<Object> consumer;
  private Registration notices = Registration.NONE;
  private Registration served = Registration.NONE;
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
    served = ServedAddresses.add(vertx, address);
    consumer = vertx.eventBus().consumer(address, Replies.guarded(address, this::handle));
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    notices.remove();
    served.remove();
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
    if (request.progressAddress() != null) {
      String refused = checkProgressAddress(request.progressAddress());
      if (refused != null) {
        Replies.fail(msg, FailureCode.BAD_REQUEST, refused);
        return;
      }
    }
    String budget = msg.headers().get(Headers.TIMEOUT_MS);
    if (budget != null) {
      try {
        Headers.parseMillis(budget);
      } catch (NumberFormatException e) {
        Replies.fail(msg, FailureCode.BAD_REQUEST, "header " + Headers.TIMEOUT_MS + " must be an integer number of "
          + "milliseconds in ASCII digits (the caller's remaining budget), got " + LogValues.quote(budget));
        return;
      }
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

  /** @return why {@code address} may not receive progress, or {@code null} when it may */
  private String checkProgressAddress(String address) {
    String prefix = options.getProgressAddressPrefix();
    if (address.length() > MAX_PROGRESS_ADDRESS) {
      return "progressAddress: must be at most " + MAX_PROGRESS_ADDRESS + " characters, got " + address.length()
        + ": " + LogValues.quote(address);
    }
    if (ServedAddresses.isReserved(vertx, address) || address.equals(options.getAddress())) {
      return "progressAddress: " + LogValues.quote(address) + " is reserved (a Vert.x or loopkit address); use an "
        + "address of your own below '" + prefix + "'";
    }
    if (!address.startsWith(prefix) || address.length() == prefix.length()) {
      return "progressAddress: must start with '" + prefix + "' (progressAddressPrefix) and name an address below it, got "
        + LogValues.quote(address);
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (c <= 32 || c >= 127) {
        return "progressAddress: must be printable ASCII without spaces, got " + LogValues.quote(address);
      }
    }
    return null;
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
      return "a string " + LogValues.quote(s);
    }
    return "a " + body.getClass().getSimpleName();
  }
}
