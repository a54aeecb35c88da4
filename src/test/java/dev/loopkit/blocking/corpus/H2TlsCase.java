package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** HTTP/2 over TLS (ALPN) with a self-signed certificate. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class H2TlsCase {

  static SelfSignedCertificate certificate;

  @BeforeAll
  static void certificate() {
    // key generation blocks: done once, on the test thread
    certificate = SelfSignedCertificate.create();
  }

  static class Server extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer(new HttpServerOptions()
          .setSsl(true)
          .setUseAlpn(true)
          .setKeyCertOptions(certificate.keyCertOptions()))
        .requestHandler(req -> req.response().end("Hello " + req.version() + " over TLS"))
        .listen(0)
        .onSuccess(s -> server = s);
    }
  }

  private final Server server = new Server();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(server).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void serves_h2_over_tls(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient(new HttpClientOptions()
      .setSsl(true)
      .setUseAlpn(true)
      .setProtocolVersion(HttpVersion.HTTP_2)
      .setTrustOptions(certificate.trustOptions()));
    int n = 50;
    Checkpoint responses = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      client.request(HttpMethod.GET, server.server.actualPort(), "localhost", "/")
        .compose(req -> req.send().compose(resp -> resp.body()))
        .onComplete(tc.succeeding(body -> {
          tc.verify(() -> assertThat(body.toString()).isEqualTo("Hello HTTP_2 over TLS"));
          responses.flag();
        }));
    }
  }
}
