package dev.iptv.pg;

import dev.iptv.common.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A service's PostgreSQL: a small pool on IPTV_PG_URL (optionally in its own schema,
 * IPTV_PG_SCHEMA, created when missing) and the service's schema migrations.
 *
 * <p>Each service that keeps tables owns a <i>set</i> of migrations, {@code db/migrations/{set}/}
 * on its class path ({@code index.txt} lists them in order: {@code history} in monitor-service,
 * {@code mirror} in mirror-service). Every set records into the one {@code schema_version} table of
 * the schema, so version numbers are unique across the sets (history V1; mirror V2, V3; the next
 * migration of either takes the next free number): a migration is applied when its version is not
 * recorded yet, and a version recorded under another name stops the start naming both. A database
 * migrated before the sets were split (versions 1-3 in one list) is therefore complete for both.
 * Several services starting at once take turns on one advisory lock per schema.
 */
public final class Db {

  private static final Logger log = LoggerFactory.getLogger(Db.class);
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern NAME = Pattern.compile("V\\d+__[A-Za-z0-9_]+\\.sql");

  private final Pool pool;
  private final String schema;
  private final String where;

  private Db(Pool pool, String schema, String where) {
    this.pool = pool;
    this.schema = schema;
    this.where = where;
  }

  /**
   * A pool on the URL; nothing connects before the first use.
   *
   * @param application the service's name for PostgreSQL ({@code application_name}) and the pool's
   *                    name in the metrics, e.g. {@code iptv-monitor}
   */
  public static Db create(Vertx vertx, String url, String schema, String application) {
    PgConnectOptions connect = PgConnectOptions.fromUri(url);
    if (schema != null && !schema.isBlank()) {
      if (!SCHEMA.matcher(schema).matches()) {
        throw new IllegalArgumentException(Config.PG_SCHEMA + " must match " + SCHEMA.pattern() + ", got '" + schema + "'");
      }
      connect.addProperty("search_path", schema);
    } else {
      schema = null;
    }
    connect.addProperty("application_name", application);
    connect.addProperty("client_min_messages", "warning"); // no NOTICE for IF NOT EXISTS in the logs
    Pool pool = PgBuilder.pool()
      .with(new PoolOptions().setMaxSize(4).setMaxWaitQueueSize(256).setName(application + "-pg"))
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

  /**
   * Creates the schema if needed and applies the set's migrations not recorded yet; the highest
   * version of the set, now applied.
   */
  public Future<Integer> migrate(String set) {
    List<Migration> all;
    try {
      all = migrations(set);
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    Future<Void> ensureSchema = schema == null ? Future.succeededFuture()
      : pool.query("CREATE SCHEMA IF NOT EXISTS " + schema).execute().mapEmpty();
    return ensureSchema.compose(v -> pool.withTransaction(conn -> apply(conn, set, all)));
  }

  private Future<Integer> apply(SqlConnection conn, String set, List<Migration> all) {
    // One lock per schema for every set (the name predates the split: services of both versions take turns).
    String lock = "SELECT pg_advisory_xact_lock(hashtext('iptv-monitor-migrations:" + (schema == null ? "" : schema) + "'))";
    return conn.query(lock).execute()
      .compose(r -> conn.query("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY,"
        + " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())").execute())
      .compose(r -> conn.query("SELECT version, name FROM schema_version").execute())
      .compose(rows -> {
        Map<Integer, String> recorded = new HashMap<>();
        for (Row row : rows) {
          recorded.put(row.getInteger("version"), row.getString("name"));
        }
        for (Migration m : all) {
          String name = recorded.get(m.version());
          if (name != null && !name.equals(m.name())) {
            return Future.failedFuture(new IllegalStateException("PostgreSQL " + where + ": migration version "
              + m.version() + " is recorded as " + name + ", not " + m.name() + " (" + set
              + "): versions are shared by every service's migrations, take the next free one"));
          }
        }
        Future<Integer> chain = Future.succeededFuture(0);
        for (Migration m : all) {
          if (recorded.containsKey(m.version())) {
            chain = chain.map(v -> m.version());
            continue;
          }
          chain = chain.compose(v -> conn.query(m.sql()).execute()
            .compose(r -> conn.preparedQuery("INSERT INTO schema_version (version, name) VALUES ($1, $2)")
              .execute(Tuple.of(m.version(), m.name())))
            .map(r -> {
              log.info("PostgreSQL {}: applied migration {}", where, m.name());
              return m.version();
            }));
        }
        return chain;
      });
  }

  public Future<Void> close() {
    return pool.close();
  }

  /** One migration: its version, its file name (as recorded) and its SQL. */
  public record Migration(int version, String name, String sql) {
  }

  /** The set's migrations in order, read from {@code db/migrations/{set}/index.txt} on the class path. */
  public static List<Migration> migrations(String set) throws IOException {
    String folder = "db/migrations/" + set + "/";
    String index = resource(folder + "index.txt");
    List<Migration> out = new ArrayList<>();
    int last = 0;
    for (String line : index.split("\n")) {
      String name = line.strip();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      if (!NAME.matcher(name).matches()) {
        throw new IOException(folder + "index.txt: '" + name + "' is not named V{n}__{name}.sql");
      }
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      if (version <= last) {
        throw new IOException(folder + "index.txt: " + name + " is out of order");
      }
      last = version;
      out.add(new Migration(version, name, resource(folder + name)));
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
