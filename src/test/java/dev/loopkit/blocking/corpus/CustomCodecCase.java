package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** A custom message codec for a plain Java object, as in the event-bus docs. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class CustomCodecCase {

  record Order(String item, int quantity) {
  }

  static class OrderCodec implements MessageCodec<Order, Order> {
    @Override
    public void encodeToWire(Buffer buffer, Order order) {
      Buffer json = new JsonObject().put("item", order.item()).put("quantity", order.quantity()).toBuffer();
      buffer.appendInt(json.length()).appendBuffer(json);
    }

    @Override
    public Order decodeFromWire(int pos, Buffer buffer) {
      int length = buffer.getInt(pos);
      JsonObject json = new JsonObject(buffer.getBuffer(pos + 4, pos + 4 + length));
      return new Order(json.getString("item"), json.getInteger("quantity"));
    }

    @Override
    public Order transform(Order order) {
      return order;
    }

    @Override
    public String name() {
      return "order";
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }

  static class OrderService extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<Order>consumer("orders", msg -> {
        Order order = msg.body();
        System.out.println("Order for " + order.quantity() + " x " + order.item());
        msg.reply(new Order(order.item(), order.quantity() * 2), new DeliveryOptions().setCodecName("order"));
      }).completion();
    }
  }

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().registerDefaultCodec(Order.class, new OrderCodec());
    vertx.deployVerticle(new OrderService()).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void sends_pojos(Vertx vertx, VertxTestContext tc) {
    int n = 100;
    Checkpoint replies = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      vertx.eventBus().<Order>request("orders", new Order("book", k)).onComplete(tc.succeeding(reply -> {
        tc.verify(() -> assertThat(reply.body().quantity()).isEqualTo(2 * k));
        replies.flag();
      }));
    }
  }
}
