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
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** TLS handshakes on the loops: HTTPS/1.1 without keep-alive (one handshake per request) and TLS TCP. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class TlsHandshakeCase {

  static SelfSignedCertificate certificate;

  @BeforeAll
  static void certificate() {
    certificate = SelfSignedCertificate.create();
  }

  static class Servers extends VerticleBase {
    HttpServer https;
    NetServer tls;

    @Override
    public Future<?> start() {
      Future<HttpServer> h = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(certificate.keyCertOptions()))
        .requestHandler(req -> req.response().end("secure"))
        .listen(0).onSuccess(s -> https = s);
      Future<NetServer> t = vertx.createNetServer(new NetServerOptions().setSsl(true).setKeyCertOptions(certificate.keyCertOptions()))
        .connectHandler(so -> so.handler(buf -> so.write("ack " + buf).onComplete(v -> so.close())))
        .listen(0).onSuccess(s -> tls = s);
      return Future.all(h, t);
    }
  }

  private final Servers servers = new Servers();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(servers).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;
  private io.vertx.core.net.NetClient netClient;

  @Test
  void handshakes(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setKeepAlive(false)
      .setSslHandshakeTimeout(60).setTrustOptions(certificate.trustOptions()));
    netClient = vertx.createNetClient(new NetClientOptions().setSsl(true).setHostnameVerificationAlgorithm("HTTPS")
      .setSslHandshakeTimeout(60).setTrustOptions(certificate.trustOptions()));
    int n = 10;
    Checkpoint ok = tc.checkpoint(2 * n);
    for (int i = 0; i < n; i++) {
      client.request(HttpMethod.GET, servers.https.actualPort(), "localhost", "/")
        .compose(req -> req.send().compose(resp -> resp.body()))
        .onComplete(tc.succeeding(b -> ok.flag()));
      netClient
        .connect(servers.tls.actualPort(), "localhost")
        .onComplete(tc.succeeding(so -> {
          so.handler(buf -> ok.flag());
          so.write("hello");
        }));
    }
  }
}
