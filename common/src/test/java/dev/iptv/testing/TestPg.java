package dev.iptv.testing;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * The test PostgreSQL ({@link TestEnv#PG_URL}) for the modules that keep tables: a small pool in a
 * schema of the test class's own, and dropping that schema. Apart from {@link TestEnv} so that
 * modules without the PostgreSQL client never load it.
 */
public final class TestPg {

  private TestPg() {
  }

  /** A pool on the test PostgreSQL, in {@code schema} (null: the default search path). */
  public static Pool pool(Vertx vertx, String schema) {
    PgConnectOptions o = PgConnectOptions.fromUri(TestEnv.PG_URL);
    if (schema != null) {
      o.addProperty("search_path", schema);
    }
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(o).using(vertx).build();
  }

  /** Drops {@code schema} from a Vert.x of its own (after a class, when the test's Vert.x is gone). */
  public static void dropSchema(String schema) {
    Vertx vertx = Vertx.vertx();
    try {
      dropSchema(vertx, schema);
    } finally {
      Await.await(vertx.close());
    }
  }

  public static void dropSchema(Vertx vertx, String schema) {
    Pool p = pool(vertx, null);
    try {
      Await.await(p.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
    } finally {
      Await.await(p.close());
    }
  }
}
