package dev.loopkit.fetch.impl;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * A JSON object codec whose local delivery hands the object over instead of deep-copying it (the built-in
 * JSON codec copies on every local send: about 100 ms for a reply of 20 000 results). Only for objects the
 * sender never touches again, such as a reply it has just built; the wire form is the built-in one.
 * Used only in a non-clustered Vert.x, where every delivery is local, so a receiver without this codec
 * registered can never see it.
 */
public final class HandoffCodec implements MessageCodec<JsonObject, JsonObject> {

  /** Codec name. */
  public static final String NAME = "loopkit.json.handoff";

  private static final Map<EventBus, Boolean> REGISTERED = Collections.synchronizedMap(new WeakHashMap<>());

  /**
   * @return delivery options that hand {@code JsonObject} bodies over without a copy when {@code vertx} is
   * not clustered, else plain options
   */
  public static DeliveryOptions deliveryOptions(Vertx vertx) {
    if (vertx.isClustered()) {
      return new DeliveryOptions();
    }
    EventBus bus = vertx.eventBus();
    synchronized (REGISTERED) {
      if (REGISTERED.putIfAbsent(bus, Boolean.TRUE) == null) {
        try {
          bus.registerCodec(new HandoffCodec());
        } catch (IllegalStateException alreadyThere) {
          // registered by an earlier class loader or instance: same name, same behaviour
        }
      }
    }
    return new DeliveryOptions().setCodecName(NAME);
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonObject json) {
    Buffer encoded = json.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  @Override
  public JsonObject transform(JsonObject json) {
    return json;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
