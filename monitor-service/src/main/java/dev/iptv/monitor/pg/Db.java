package dev.iptv.monitor.pg;

import dev.iptv.common.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * monitor-service's PostgreSQL: a small pool on IPTV_PG_URL (optionally in its own schema,
 * IPTV_PG_SCHEMA, created when missing) and the schema migrations, applied in order at start from
 * {@code db/migrations/index.txt}, each once, recorded in {@code schema_version}; several monitors
 * starting at once take turns on an advisory lock.
 */
public final class Db {

  private static final Logger log = LoggerFactory.getLogger(Db.class);
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String INDEX = "db/migrations/index.txt";

  private final Pool pool;
  private final String schema;
  private final String where;

  private Db(Pool pool, String schema, String where) {
    this.pool = pool;
    this.schema = schema;
    this.where = where;
  }

  /** A pool on the URL; nothing connects before the first use. */
  public static Db create(Vertx vertx, String url, String schema) {
    PgConnectOptions connect = PgConnectOptions.fromUri(url);
    if (schema != null && !schema.isBlank()) {
      if (!SCHEMA.matcher(schema).matches()) {
        throw new IllegalArgumentException(Config.PG_SCHEMA + " must match " + SCHEMA.pattern() + ", got '" + schema + "'");
      }
      connect.addProperty("search_path", schema);
    } else {
      schema = null;
    }
    connect.addProperty("application_name", "iptv-monitor");
    connect.addProperty("client_min_messages", "warning"); // no NOTICE for IF NOT EXISTS in the logs
    Pool pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(4).setMaxWaitQueueSize(256).setName("iptv-monitor-pg"))
      .connectingTo(connect)
      .using(vertx)
      .build();
    String where = connect.getUser() + "@" + connect.getHost() + ":" + connect.getPort() + "/" + connect.getDatabase()
      + (schema == null ? "" : " schema " + schema);
    return new Db(pool, schema, where);
  }

  public Pool pool() {
    return pool;
  }

  /** Where it connects, without the password, for logs. */
  public String where() {
    return where;
  }

  /** SELECT 1 within the timeout. */
  public Future<Void> ping(long timeoutMs) {
    return pool.query("SELECT 1").execute().timeout(timeoutMs, TimeUnit.MILLISECONDS).mapEmpty();
  }

  /** Creates the schema if needed and applies the pending migrations; the version reached. */
  public Future<Integer> migrate() {
    List<Migration> all;
    try {
      all = migrations();
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    Future<Void> ensureSchema = schema == null ? Future.succeededFuture()
      : pool.query("CREATE SCHEMA IF NOT EXISTS " + schema).execute().mapEmpty();
    return ensureSchema.compose(v -> pool.withTransaction(conn -> apply(conn, all)));
  }

  private Future<Integer> apply(SqlConnection conn, List<Migration> all) {
    String lock = "SELECT pg_advisory_xact_lock(hashtext('iptv-monitor-migrations:" + (schema == null ? "" : schema) + "'))";
    return conn.query(lock).execute()
      .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
        + " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute())
      .compose(r -> conn.query("SELECT coalesce(max(version), 0) AS v FROM schema_version").execute())
      .compose(rows -> {
        int current = rows.iterator().next().getInteger("v");
        Future<Integer> chain = Future.succeededFuture(current);
        for (Migration m : all) {
          if (m.version() > current) {
            chain = chain.compose(v -> conn.query(m.sql()).execute()
              .compose(r -> conn.preparedQuery("INSERT INTO schema_version (version, name) VALUES ($1, $2)")
                .execute(io.vertx.sqlclient.Tuple.of(m.version(), m.name())))
              .map(r -> {
                log.info("PostgreSQL {}: applied migration {}", where, m.name());
                return m.version();
              }));
          }
        }
        return chain;
      });
  }

  public Future<Void> close() {
    return pool.close();
  }

  record Migration(int version, String name, String sql) {
  }

  static List<Migration> migrations() throws IOException {
    String index = resource(INDEX);
    List<Migration> out = new ArrayList<>();
    int last = 0;
    for (String line : index.split("\n")) {
      String name = line.strip();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      if (!name.matches("V\\d+__[A-Za-z0-9_]+\\.sql")) {
        throw new IOException(INDEX + ": '" + name + "' is not named V{n}__{name}.sql");
      }
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      if (version <= last) {
        throw new IOException(INDEX + ": " + name + " is out of order");
      }
      last = version;
      out.add(new Migration(version, name, resource("db/migrations/" + name)));
    }
    return out;
  }

  private static String resource(String path) throws IOException {
    try (InputStream in = Db.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("missing resource " + path);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
