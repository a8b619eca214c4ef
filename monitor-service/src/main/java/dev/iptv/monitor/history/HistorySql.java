package dev.iptv.monitor.history;

import java.util.ArrayList;
import java.util.List;

/** The SQL of the history, kept apart from the code that feeds and serves it. */
final class HistorySql {

  private HistorySql() {
  }

  static final String INSERT_EVENT =
    "INSERT INTO events (ts, kind, channel, node, detail) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";

  /** A new start on a channel and node closes what was left open there (a stop never heard). */
  static final String CLOSE_SUPERSEDED =
    "UPDATE stream_sessions SET stopped = $3, reason = 'superseded' "
      + "WHERE channel = $1 AND node = $2 AND stopped IS NULL AND started < $3";

  static final String START_SESSION =
    "INSERT INTO stream_sessions (channel, node, started, mode) VALUES ($1, $2, $3, $4) "
      + "ON CONFLICT (channel, node, started) DO NOTHING";

  static final String STOP_SESSION =
    "UPDATE stream_sessions SET stopped = $3, reason = $4 "
      + "WHERE channel = $1 AND node = $2 AND stopped IS NULL AND started <= $3";

  /** Counted once per restart event however many monitors hear it (its time is the key). */
  static final String RESTART_SESSION =
    "UPDATE stream_sessions SET restarts = restarts + 1, last_restart = $3, mode = coalesce($4, mode) "
      + "WHERE channel = $1 AND node = $2 AND stopped IS NULL AND started <= $3 "
      + "AND (last_restart IS NULL OR last_restart < $3)";

  static final String UPSERT_VIEWER =
    "INSERT INTO viewer_sessions (id, username, channel, ip, user_agent, started, last_seen, ended, bytes) "
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
      + "ON CONFLICT (id) DO UPDATE SET last_seen = EXCLUDED.last_seen, ended = EXCLUDED.ended, bytes = EXCLUDED.bytes";

  /** Sessions of a monitor that died: closed at their last sign of life. */
  static final String CLOSE_ORPHAN_VIEWERS =
    "UPDATE viewer_sessions SET ended = last_seen WHERE ended IS NULL AND last_seen < now() - interval '5 minutes'";

  static final String PURGE_EVENTS = "DELETE FROM events WHERE ts < now() - make_interval(days => $1)";
  static final String PURGE_STREAMS =
    "DELETE FROM stream_sessions WHERE stopped IS NOT NULL AND stopped < now() - make_interval(days => $1)";
  static final String PURGE_VIEWERS =
    "DELETE FROM viewer_sessions WHERE coalesce(ended, last_seen) < now() - make_interval(days => $1)";

  /** A SELECT with optional filters; {@link #arg} numbers the parameters. */
  static final class Select {
    private final StringBuilder sql;
    private final List<Object> args = new ArrayList<>();
    private boolean where;

    Select(String head) {
      sql = new StringBuilder(head);
    }

    /** Adds {@code condition} where {@code ?} stands for the next parameter, when value is not null. */
    Select when(Object value, String condition) {
      if (value == null) {
        return this;
      }
      args.add(value);
      sql.append(where ? " AND " : " WHERE ").append(condition.replace("?", "$" + args.size()));
      where = true;
      return this;
    }

    Select page(String orderBy, int limit, int offset) {
      args.add(limit);
      args.add(offset);
      sql.append(" ORDER BY ").append(orderBy).append(" LIMIT $").append(args.size() - 1)
        .append(" OFFSET $").append(args.size());
      return this;
    }

    String sql() {
      return sql.toString();
    }

    List<Object> args() {
      return args;
    }
  }

  static Select streams(HistoryFilter f) {
    return new Select("SELECT id, channel, node, started, stopped, reason, mode, restarts FROM stream_sessions")
      .when(f.channel(), "channel = ?")
      .when(f.node(), "node = ?")
      .when(f.to(), "started < ?")
      .when(f.from(), "coalesce(stopped, 'infinity'::timestamptz) >= ?")
      .page("started DESC, id DESC", f.limit(), f.offset());
  }

  static Select viewers(HistoryFilter f) {
    return new Select("SELECT id, username, channel, ip, user_agent, started, last_seen, ended, bytes FROM viewer_sessions")
      .when(f.user(), "username = ?")
      .when(f.channel(), "channel = ?")
      .when(f.ip(), "ip = ?")
      .when(f.to(), "started < ?")
      .when(f.from(), "coalesce(ended, last_seen) >= ?")
      .page("started DESC, id DESC", f.limit(), f.offset());
  }

  static Select events(HistoryFilter f) {
    return new Select("SELECT id, ts, kind, channel, node, detail FROM events")
      .when(f.kind(), "kind = ?")
      .when(f.channel(), "channel = ?")
      .when(f.node(), "node = ?")
      .when(f.user(), "detail ->> 'username' = ?")
      .when(f.from(), "ts >= ?")
      .when(f.to(), "ts < ?")
      .page("ts DESC, id DESC", f.limit(), f.offset());
  }
}
