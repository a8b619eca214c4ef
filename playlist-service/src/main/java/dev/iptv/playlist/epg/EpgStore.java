package dev.iptv.playlist.epg;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.EpgContract;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The guide as the serving side reads it (the Xtream API, {@code xmltv.php}): programmes by XMLTV
 * channel id, from the generation each source's last good import made current.
 *
 * <p>Where a channel id is covered by several sources, the first source by name that has programmes
 * for it answers (name sources {@code 1-main}, {@code 2-fallback} to choose).
 *
 * <p>A window {@code [from, to)} holds the programme on the air at {@code from} (the last one that
 * started before it, if it has not ended) and every programme that starts in the window: a sorted
 * set scored by start answers both with one range each.
 *
 * <p>Every method answers on the caller's context; errors (Redis away) fail the future.
 */
public final class EpgStore {

  /** Channels asked per Redis round trip. */
  static final int CHUNK = 200;

  private final Vertx vertx;
  private final Redis client;
  private final EpgSources sources;
  private final EpgSettings settings;

  EpgStore(Vertx vertx, EpgSources sources, EpgSettings settings) {
    this.vertx = vertx;
    this.client = sources.client();
    this.sources = sources;
    this.settings = settings;
  }

  /** How far back a guide goes by default ({@code IPTV_EPG_PAST_DAYS}). */
  public Instant defaultFrom(Instant now) {
    return now.minus(settings.past());
  }

  /** How far ahead a guide goes by default ({@code IPTV_EPG_FUTURE_DAYS}). */
  public Instant defaultTo(Instant now) {
    return now.plus(settings.future());
  }

  // --- now and next ----------------------------------------------------------------------------

  /**
   * The programme on the air at {@code now}, if any, then the next ones: at most {@code limit} in
   * all, in start order (what {@code get_short_epg} lists). Empty when no source has the channel.
   */
  public Future<List<Programme>> upcoming(String epgChannelId, Instant now, int limit) {
    return upcoming(List.of(epgChannelId), now, limit).map(m -> m.getOrDefault(epgChannelId, List.of()));
  }

  /** {@link #upcoming(String, Instant, int)} for several channels at once; every id is a key of the answer. */
  public Future<Map<String, List<Programme>>> upcoming(Collection<String> epgChannelIds, Instant now, int limit) {
    long t = now.getEpochSecond();
    int n = Math.max(1, limit);
    return perChannel(epgChannelIds, (key, batch) -> {
      batch.add(lastBefore(key, t + 1)); // started at or before now
      batch.add(Request.cmd(Command.ZRANGEBYSCORE).arg(key).arg("(" + t).arg("+inf").arg("LIMIT").arg(0).arg(n));
    }, (id, replies) -> {
      List<Programme> out = new ArrayList<>(n);
      Programme current = first(id, replies.get(0));
      if (current != null && current.stop() > t) {
        out.add(current);
      }
      for (Response r : replies.get(1)) {
        if (out.size() < n) {
          add(out, id, r);
        }
      }
      return out;
    });
  }

  // --- windows ---------------------------------------------------------------------------------

  /**
   * Every programme of the channel in {@code [from, to)}, past ones included (what
   * {@code get_simple_data_table} lists), in start order.
   */
  public Future<List<Programme>> programmes(String epgChannelId, Instant from, Instant to) {
    return programmes(List.of(epgChannelId), from, to).map(m -> m.getOrDefault(epgChannelId, List.of()));
  }

  /** {@link #programmes(String, Instant, Instant)} for several channels; every id is a key of the answer. */
  public Future<Map<String, List<Programme>>> programmes(Collection<String> epgChannelIds, Instant from, Instant to) {
    long f = from.getEpochSecond();
    long t = to.getEpochSecond();
    return perChannel(epgChannelIds, (key, batch) -> window(key, f, t, batch), (id, replies) -> inWindow(id, replies, f));
  }

  private static void window(String key, long from, long to, List<Request> batch) {
    batch.add(lastBefore(key, from));
    batch.add(Request.cmd(Command.ZRANGEBYSCORE).arg(key).arg(from).arg("(" + to));
  }

  private static List<Programme> inWindow(String id, List<Response> replies, long from) {
    List<Programme> out = new ArrayList<>();
    Programme before = first(id, replies.get(0));
    if (before != null && before.stop() > from) {
      out.add(before);
    }
    for (Response r : replies.get(1)) {
      add(out, id, r);
    }
    return out;
  }

  /** The last programme that started strictly before {@code epochSecond}. */
  private static Request lastBefore(String key, long epochSecond) {
    return Request.cmd(Command.ZREVRANGEBYSCORE).arg(key).arg("(" + epochSecond).arg("-inf").arg("LIMIT").arg(0).arg(1);
  }

  // --- the written guide -----------------------------------------------------------------------

  /**
   * Streams the XMLTV guide of {@code channels} over {@code [from, to)} into {@code out}, valid
   * against the XMLTV DTD ({@link XmltvWriter}), then ends {@code out}. Written in chunks of
   * {@value #CHUNK} channels, each rendered on a worker thread and written when {@code out} has
   * room: memory per chunk, not per guide. A channel id listed twice is written once; a channel
   * without a programme in the window is left out (XMLTV tools want programmes for every channel).
   *
   * <p>The caller sets the status and headers first ({@link XmltvWriter#CONTENT_TYPE}, chunked); on
   * failure nothing more is written and the caller resets the connection if the head was sent.
   */
  public Future<GuideStats> writeXmltv(List<GuideChannel> channels, Instant from, Instant to, WriteStream<Buffer> out) {
    Map<String, GuideChannel> unique = new LinkedHashMap<>();
    for (GuideChannel c : channels) {
      unique.putIfAbsent(c.epgChannelId(), c);
    }
    long f = from.getEpochSecond();
    long t = to.getEpochSecond();
    return order().compose(gens -> chosen(new ArrayList<>(unique.keySet()), gens, f, t)).compose(chosen -> {
      List<GuideChannel> listed = new ArrayList<>();
      unique.forEach((id, c) -> {
        if (chosen.containsKey(id)) {
          listed.add(c);
        }
      });
      GuideStats stats = new GuideStats();
      return write(out, Buffer.buffer(XmltvWriter.header()))
        .compose(v -> chunked(listed, 0, chunk -> render(() -> XmltvWriter.channels(chunk)).compose(b -> write(out, b))))
        .compose(v -> chunked(listed, 0, chunk -> programmesOf(chunk, chosen, f, t)
          .compose(progs -> {
            progs.values().forEach(list -> stats.programmes += list.size());
            return render(() -> XmltvWriter.programmes(chunk, progs));
          })
          .compose(b -> write(out, b))))
        .compose(v -> write(out, Buffer.buffer(XmltvWriter.footer())))
        .compose(v -> out.end())
        .map(v -> {
          stats.channels = listed.size();
          return stats;
        });
    });
  }

  /** What a written guide held. */
  public static final class GuideStats {
    int channels;
    long programmes;

    public int channels() {
      return channels;
    }

    public long programmes() {
      return programmes;
    }
  }

  private interface ChunkStep {
    Future<Void> apply(List<GuideChannel> chunk);
  }

  private static Future<Void> chunked(List<GuideChannel> all, int from, ChunkStep step) {
    if (from >= all.size()) {
      return Future.succeededFuture();
    }
    List<GuideChannel> chunk = all.subList(from, Math.min(all.size(), from + CHUNK));
    return step.apply(chunk).compose(v -> chunked(all, from + CHUNK, step));
  }

  private Future<Buffer> render(java.util.concurrent.Callable<String> text) {
    return vertx.executeBlocking(() -> Buffer.buffer(text.call()), false);
  }

  /** Writes, then waits for room when the stream's queue is full (a slow client holds one chunk). */
  private static Future<Void> write(WriteStream<Buffer> out, Buffer b) {
    Future<Void> written = out.write(b);
    if (!out.writeQueueFull()) {
      return written;
    }
    Promise<Void> room = Promise.promise();
    out.drainHandler(v -> room.tryComplete());
    written.onFailure(room::tryFail);
    if (!out.writeQueueFull()) {
      room.tryComplete();
    }
    return room.future();
  }

  /** For each channel id with programmes in the window, the generation that serves it. */
  private Future<Map<String, Long>> chosen(List<String> ids, List<Long> gens, long from, long to) {
    Map<String, Long> out = new HashMap<>();
    if (gens.isEmpty() || ids.isEmpty()) {
      return Future.succeededFuture(out);
    }
    return step(ids, 0, chunk -> {
      List<Request> batch = new ArrayList<>();
      for (String id : chunk) {
        for (long g : gens) {
          String key = EpgContract.programmesKey(g, id);
          batch.add(lastBefore(key, from));
          batch.add(Request.cmd(Command.ZCOUNT).arg(key).arg(from).arg("(" + to));
        }
      }
      return client.batch(batch).map(replies -> {
        int i = 0;
        for (String id : chunk) {
          for (long g : gens) {
            Programme before = first(id, replies.get(i++));
            long count = replies.get(i++).toLong();
            if (!out.containsKey(id) && (count > 0 || (before != null && before.stop() > from))) {
              out.put(id, g);
            }
          }
        }
        return null;
      });
    }).map(out);
  }

  private Future<Map<String, List<Programme>>> programmesOf(List<GuideChannel> chunk, Map<String, Long> chosen, long from,
                                                           long to) {
    List<Request> batch = new ArrayList<>();
    for (GuideChannel c : chunk) {
      window(EpgContract.programmesKey(chosen.get(c.epgChannelId()), c.epgChannelId()), from, to, batch);
    }
    return client.batch(batch).map(replies -> {
      Map<String, List<Programme>> out = new HashMap<>();
      int i = 0;
      for (GuideChannel c : chunk) {
        out.put(c.epgChannelId(), inWindow(c.epgChannelId(), replies.subList(i, i + 2), from));
        i += 2;
      }
      return out;
    });
  }

  // --- our channels ----------------------------------------------------------------------------

  /**
   * Our channels as the guide sees them ({@link GuideChannel#fromJson}), read from
   * {@code channel:{id}}, in the order given; unknown ids are left out.
   */
  public Future<List<GuideChannel>> channels(List<String> channelIds) {
    List<GuideChannel> out = new ArrayList<>();
    if (channelIds.isEmpty()) {
      return Future.succeededFuture(out);
    }
    return step(channelIds, 0, chunk -> {
      Request mget = Request.cmd(Command.MGET);
      chunk.forEach(id -> mget.arg(ChannelContract.channelKey(id)));
      return client.send(mget).map(values -> {
        for (Response v : values) {
          GuideChannel c = v == null ? null : GuideChannel.fromJson(EpgSources.json(v));
          if (c != null) {
            out.add(c);
          }
        }
        return null;
      });
    }).map(out);
  }

  // --- plumbing --------------------------------------------------------------------------------

  /** The current generation of every source, in source-name order (the order of preference). */
  Future<List<Long>> order() {
    return sources.generations().map(byName -> new ArrayList<>(new TreeMap<>(byName).values()));
  }

  private interface Query {
    void add(String key, List<Request> batch);
  }

  private interface Answer {
    List<Programme> read(String id, List<Response> replies);
  }

  /**
   * Runs {@code query} (two commands) on every (channel, generation), and answers for each channel
   * the first generation's non-empty answer.
   */
  private Future<Map<String, List<Programme>>> perChannel(Collection<String> ids, Query query, Answer answer) {
    List<String> unique = new ArrayList<>(new LinkedHashSet<>(ids));
    Map<String, List<Programme>> out = new LinkedHashMap<>();
    unique.forEach(id -> out.put(id, List.of()));
    return order().compose(gens -> gens.isEmpty() || unique.isEmpty() ? Future.succeededFuture() : step(unique, 0, chunk -> {
      List<Request> batch = new ArrayList<>();
      for (String id : chunk) {
        for (long g : gens) {
          query.add(EpgContract.programmesKey(g, id), batch);
        }
      }
      return client.batch(batch).map(replies -> {
        int i = 0;
        for (String id : chunk) {
          for (int k = 0; k < gens.size(); k++, i += 2) {
            if (out.get(id).isEmpty()) {
              List<Programme> found = answer.read(id, replies.subList(i, i + 2));
              if (!found.isEmpty()) {
                out.put(id, found);
              }
            }
          }
        }
        return null;
      });
    })).map(out);
  }

  private interface Step {
    Future<Void> apply(List<String> chunk);
  }

  private static Future<Void> step(List<String> all, int from, Step step) {
    if (from >= all.size()) {
      return Future.succeededFuture();
    }
    return step.apply(all.subList(from, Math.min(all.size(), from + CHUNK))).compose(v -> step(all, from + CHUNK, step));
  }

  private static Programme first(String id, Response r) {
    if (r == null || r.size() == 0) {
      return null;
    }
    return Programme.fromMember(id, r.get(0).toString());
  }

  private static void add(List<Programme> out, String id, Response member) {
    Programme p = Programme.fromMember(id, member.toString());
    if (p != null) {
      out.add(p);
    }
  }
}
