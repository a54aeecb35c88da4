package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.sql.Connection;
import java.sql.ResultSet;

/** Fixture for BlockingRulesTest: a JDBC call on the loop, known to block only through a user-added BlockingApi. */
public class JdbcVerticle extends VerticleBase {

  Connection connection;

  @Override
  public Future<?> start() throws Exception {
    try (ResultSet rs = connection.createStatement().executeQuery("select 1")) {
      return Future.succeededFuture(rs.next());
    }
  }
}
