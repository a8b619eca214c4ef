package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.stream.servers.Servers;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The playlists of channels that run on SSH servers (SPEC section 9), as the main front serves
 * them: FFmpeg writes the playlist in the server's HLS folder, the server's nginx hands it only to
 * a request with the suite's key ({@code X-Iptv-Key}), and the front that admitted the player's
 * poll (token, {@code max_connections}, viewer counted) answers it with every segment URI made
 * absolute on the server's {@code public_url} and carrying the viewer's proof. Players fetch
 * segments from the server's nginx, which checks the proof; no segment passes through us.
 *
 * <p>One read of a channel's playlist per {@value PlaylistTexts#UNWATCHED_MS} ms whatever the
 * number of pollers ({@link PlaylistTexts}); a server's public URL known for {@value #SPEC_MS} ms.
 * Thread-safe: polls come from every event loop.
 */
final class ServerPlaylists {

  static final long SPEC_MS = 5_000;
  private static final long FETCH_TIMEOUT_MS = 5_000;

  private record Known(String liveBase, long atMs) {
  }

  /**
   * A channel's playlist as FFmpeg wrote it, and what its segment URIs are prefixed with: nothing
   * (served from our folder) or the {@code /live/} URL of the SSH server whose nginx serves them.
   */
  record Listing(String text, String segmentBase) {
  }

  private final Servers servers;
  private final String localNode;
  private final HttpClient http;
  private final PlaylistTexts texts;
  private final Map<String, Known> bases = new ConcurrentHashMap<>();

  ServerPlaylists(Vertx vertx, Servers servers, String localNode) {
    this.servers = servers;
    this.localNode = localNode;
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) FETCH_TIMEOUT_MS)
      .setKeepAlive(true).setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(8));
    this.texts = new PlaylistTexts(key -> {
      int sep = key.indexOf(' ');
      return fetch(key.substring(0, sep), key.substring(sep + 1));
    });
  }

  /**
   * The playlist of a channel that plays ({@code info}): from our folder, or, when it runs on an
   * SSH server, from that server's nginx with the suite's key. The player keeps polling us, so its
   * token and {@code max_connections} are checked at every poll and the channel's viewers counted
   * here; only segments come from the server, with their proof.
   */
  Future<Listing> listing(StreamStatus info, HlsFolder hls) {
    String id = info.channelId();
    Future<String> remote = info.node() == null || info.node().equals(localNode) ? Future.succeededFuture(null)
      : liveBase(info.node());
    return remote.compose(base -> base == null ? hls.playlistText(id).map(text -> new Listing(text, ""))
      : text(info.node(), id).map(text -> new Listing(text, base))
        // The server lost it (being deleted, restarting FFmpeg, unreachable): players retry.
        .recover(err -> Future.failedFuture(new ApiException(503, "channel " + id + ": " + err.getMessage()))));
  }

  /**
   * Where players fetch the segments of a channel on {@code node}: {@code {public_url}/live/} when
   * it names an SSH server, null when it does not (a stream node, or this one).
   */
  Future<String> liveBase(String node) {
    Known k = bases.get(node);
    long now = System.currentTimeMillis();
    if (k != null && now - k.atMs() < SPEC_MS) {
      return Future.succeededFuture(k.liveBase());
    }
    return servers.spec(node).map(spec -> {
      String base = spec == null ? null : trim(spec.publicUrl()) + "/live/";
      bases.put(node, new Known(base, now));
      return base;
    });
  }

  /** The channel's playlist on the server as FFmpeg wrote it, read at most every half second. */
  Future<String> text(String server, String id) {
    return texts.get(server + " " + id);
  }

  /** The channel's playlist on the server now; fails when the server has none (yet) or cannot be reached. */
  Future<String> fetch(String server, String id) {
    return liveBase(server).compose(base -> {
      if (base == null) {
        return Future.failedFuture(new IllegalStateException("no SSH server " + server));
      }
      RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(base + "stream_" + id + ".m3u8")
        .putHeader("X-Iptv-Key", servers.playlistKey()).setTimeout(FETCH_TIMEOUT_MS);
      return http.request(req).compose(r -> r.send()).compose(resp -> resp.body().compose(body -> resp.statusCode() == 200
        ? Future.succeededFuture(body.toString())
        : Future.failedFuture(new IllegalStateException("server " + server + " answered " + resp.statusCode()
          + " for the playlist of channel " + id))));
    });
  }

  /** True when a playlist text lists a segment of the channel. */
  static boolean listsSegment(String text, String id) {
    return text != null && text.contains("stream_" + id + "_");
  }

  void forget(String server, String id) {
    texts.forget(server + " " + id);
  }

  Future<Void> close() {
    return http.close();
  }

  private static String trim(String url) {
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }
}
