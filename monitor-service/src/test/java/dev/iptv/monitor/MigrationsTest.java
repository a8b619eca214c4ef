package dev.iptv.monitor;

import dev.iptv.mirror.MirrorVerticle;
import dev.iptv.monitor.history.HistoryVerticle;
import dev.iptv.pg.Db;
import dev.iptv.testing.TestEnv;
import dev.iptv.testing.TestPg;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The history's migrations (monitor-service) and the mirror's (mirror-service) share one schema and
 * its {@code schema_version} table, in whichever order the two services start, and a database
 * migrated before they were split (versions 1-3 applied from one list) is complete for both.
 */
@ExtendWith(VertxExtension.class)
class MigrationsTest {

  static final String SCHEMA = "monitor8_migrations";

  private Db history;
  private Db mirror;

  @BeforeEach
  void fresh(Vertx vertx) {
    TestPg.dropSchema(vertx, SCHEMA);
    history = Db.create(vertx, TestEnv.PG_URL, SCHEMA, "iptv-monitor");
    mirror = Db.create(vertx, TestEnv.PG_URL, SCHEMA, "iptv-mirror");
  }

  @AfterEach
  void drop(Vertx vertx) {
    await(history.close());
    await(mirror.close());
    TestPg.dropSchema(vertx, SCHEMA);
  }

  private List<String> recorded() {
    List<String> out = new ArrayList<>();
    for (Row r : await(history.pool().query("SELECT version, name FROM schema_version ORDER BY version").execute())) {
      out.add(r.getInteger("version") + " " + r.getString("name"));
    }
    return out;
  }

  private long tables() {
    return await(history.pool().preparedQuery("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1"
      + " AND table_name IN ('stream_sessions', 'viewer_sessions', 'events', 'synced_keys', 'mirror_state')")
      .execute(Tuple.of(SCHEMA))).iterator().next().getLong("n");
  }

  private static final List<String> ALL = List.of("1 V1__history.sql", "2 V2__synced_keys.sql", "3 V3__mirror_generation.sql");

  @Test
  @DisplayName("the mirror first, then the history, on a new database: every table, each migration recorded once")
  void mirrorFirst() {
    assertEquals(3, await(mirror.migrate(MirrorVerticle.MIGRATIONS)));
    assertEquals(1, await(history.migrate(HistoryVerticle.MIGRATIONS)), "V1 applied though V2 and V3 came before it");
    assertEquals(ALL, recorded());
    assertEquals(5, tables());
    assertEquals(3, await(mirror.migrate(MirrorVerticle.MIGRATIONS)), "nothing applied twice");
    assertEquals(1, await(history.migrate(HistoryVerticle.MIGRATIONS)));
    assertEquals(ALL, recorded());
  }

  @Test
  @DisplayName("a database migrated before the split (V1-V3 from one list) is complete for both services: nothing applied again")
  void beforeTheSplit() {
    // What the single list left: its three files applied in order and recorded under their names.
    Pool pool = history.pool();
    await(pool.query("CREATE SCHEMA IF NOT EXISTS " + SCHEMA).execute());
    await(pool.query("CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,"
      + " applied_at timestamptz NOT NULL DEFAULT now())").execute());
    List<Db.Migration> old = new ArrayList<>();
    try {
      old.addAll(Db.migrations(HistoryVerticle.MIGRATIONS));
      old.addAll(Db.migrations(MirrorVerticle.MIGRATIONS));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    for (Db.Migration m : old) {
      await(pool.query(m.sql()).execute());
      await(pool.preparedQuery("INSERT INTO schema_version (version, name) VALUES ($1, $2)")
        .execute(Tuple.of(m.version(), m.name())));
    }
    await(pool.query("INSERT INTO synced_keys (key, value) VALUES ('channel:1', '{}')").execute());

    assertEquals(1, await(history.migrate(HistoryVerticle.MIGRATIONS)));
    assertEquals(3, await(mirror.migrate(MirrorVerticle.MIGRATIONS)));
    assertEquals(ALL, recorded());
    assertEquals(1L, await(pool.query("SELECT count(*) AS n FROM synced_keys").execute()).iterator().next().getLong("n"),
      "the copy is untouched");
  }

  @Test
  @DisplayName("a version recorded under another name stops the migration, naming both, and applies nothing of the set")
  void versionTaken() {
    assertEquals(1, await(history.migrate(HistoryVerticle.MIGRATIONS)));
    // Another service's migration took version 2.
    await(history.pool().query("INSERT INTO schema_version (version, name) VALUES (2, 'V2__something_else.sql')").execute());
    IllegalStateException e = assertThrows(IllegalStateException.class,
      () -> await(mirror.migrate(MirrorVerticle.MIGRATIONS)));
    assertTrue(e.getMessage().contains("V2__something_else.sql") && e.getMessage().contains("V2__synced_keys.sql"),
      e.getMessage());
    assertEquals(List.of("1 V1__history.sql", "2 V2__something_else.sql"), recorded(), "V3 was not applied either");
    assertEquals(3, tables(), "the history's three tables only");
  }
}
