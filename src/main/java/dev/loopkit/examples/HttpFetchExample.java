package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpResponseExpectation;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;

import java.util.ArrayList;
import java.util.List;

/**
 * Section (e): aiohttp — fetch many URLs concurrently and decode JSON.
 *
 * <pre>
 * async with aiohttp.ClientSession() as session:
 *     items = await asyncio.gather(*(fetch(session, f"{base}/item/{n}") for n in range(10)))
 * </pre>
 *
 * {@link WebClient} is the {@code ClientSession} (one per application, it pools connections). Mind its
 * pool: <b>5 connections per host by default</b>, so ten concurrent requests to one host run in two rounds
 * (aiohttp's connector has the same trap with {@code limit=100}); {@link #client(Vertx, int)} sizes the pool
 * for the concurrency you want.
 * {@link BodyCodec#jsonObject()} decodes, {@link HttpResponseExpectation#SC_SUCCESS} turns a non-2xx into a
 * failure like {@code raise_for_status()}. For deadlines, limits, cancellation and SSRF rules on top,
 * use loopkit's fetch verticle.
 */
public final class HttpFetchExample {

  private HttpFetchExample() {
  }

  /** A Web Client whose pool allows {@code concurrency} connections per host (the default is 5). */
  public static WebClient client(Vertx vertx, int concurrency) {
    return WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(concurrency));
  }

  /** GETs {@code baseUrl/item/0..n-1} (with {@code query} appended) concurrently; results in order. */
  public static Future<List<JsonObject>> fetchItems(WebClient client, String baseUrl, int n, String query) {
    List<Future<JsonObject>> requests = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      requests.add(client.getAbs(baseUrl + "/item/" + i + query)
        .as(BodyCodec.jsonObject())
        .send()
        .expecting(HttpResponseExpectation.SC_SUCCESS)
        .map(response -> response.body()));
    }
    return Tasks.gather(requests);
  }
}
