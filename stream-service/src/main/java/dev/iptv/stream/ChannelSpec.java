package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelSchema;
import dev.iptv.contract.ProviderContract;
import dev.iptv.stream.limits.Provider;
import dev.iptv.stream.limits.TranscodeProfile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import static dev.iptv.contract.ChannelSchema.BACKUP_URLS;
import static dev.iptv.contract.ChannelSchema.HEADERS;
import static dev.iptv.contract.ChannelSchema.IS_ACTIVE;
import static dev.iptv.contract.ChannelSchema.QUALITY;
import static dev.iptv.contract.ChannelSchema.SOURCE_URL;
import static dev.iptv.contract.ChannelSchema.TRANSCODE_PROFILE;
import static dev.iptv.contract.ChannelSchema.USER_AGENT;

/**
 * What stream-service needs of a channel (playlist-service stores it as {@code channel:{id}} JSON).
 * Everything that ends up on FFmpeg's command line is checked here by the rules the admin API
 * applies ({@link ChannelSchema}): sources must be absolute URLs of an allowed scheme, header names
 * HTTP tokens, values free of control characters. What fails is dropped with a warning, never
 * passed on.
 *
 * @param id          the channel id (digits)
 * @param sources     {@code source_url} then {@code backup_urls}, in order, only valid ones
 * @param source      {@code source_url} as stored (for stream:{id}:source)
 * @param active      {@code is_active} (absent: true)
 * @param quality     the transcode preset of {@code quality}
 * @param profile     {@code transcode_profile}
 * @param userAgent   per-channel User-Agent, or null
 * @param headers     extra HTTP request headers
 * @param custom      the transcode profile {@code transcode_profile} names ({@link Profile#CUSTOM}), else null
 * @param providers   source → the provider it counts against (sources of no provider absent): the
 *                    primary's is the channel's {@code provider} if set, any source's the provider
 *                    whose hosts hold its host
 * @param restartAfterMs {@code auto_restart_hours} in ms, 0: never
 * @param server      the SSH server or stream node it is forced onto ({@code server}), or null: placed by load
 * @param name        the channel's name (the slate shows it), or the id when it has none
 */
public record ChannelSpec(String id, List<String> sources, String source, boolean active, Quality quality,
                          Profile profile, String userAgent, Map<String, String> headers, TranscodeProfile custom,
                          Map<String, Provider> providers, long restartAfterMs, String server, String name) {

  public ChannelSpec(String id, List<String> sources, String source, boolean active, Quality quality, Profile profile,
                     String userAgent, Map<String, String> headers) {
    this(id, sources, source, active, quality, profile, userAgent, headers, null, Map.of(), 0, null, id);
  }

  /** The provider {@code source} counts against, or null. */
  Provider providerOf(String source) {
    return providers.get(source);
  }

  private static final Logger log = LoggerFactory.getLogger(ChannelSpec.class);

  /**
   * The same channel with its sources tried from the one at {@code from} (modulo their number) on,
   * the ones before it last: how a stalled or switched channel goes on to its next source.
   */
  ChannelSpec from(int from) {
    int n = sources.size();
    if (n < 2 || Math.floorMod(from, n) == 0) {
      return this;
    }
    List<String> order = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      order.add(sources.get(Math.floorMod(from + i, n)));
    }
    return withSources(order);
  }

  /** The same channel with its sources in the order given (the same sources). */
  ChannelSpec withSources(List<String> order) {
    return new ChannelSpec(id, List.copyOf(order), source, active, quality, profile, userAgent, headers, custom, providers,
      restartAfterMs, server, name);
  }

  /** The channel id format ({@link ChannelContract#ID}), under the name FfmpegCommand reads it by. */
  public static final Pattern ID = ChannelContract.ID;

  /** {@code transcode_profile}. */
  public enum Profile {
    /** Copy, fall back to transcoding at the channel's quality. */
    AUTO,
    /** Copy only. */
    COPY,
    LOW, MEDIUM, HIGH,
    /** A profile of {@code /api/transcode-profiles} ({@link ChannelSpec#custom}). */
    CUSTOM;

    static Profile parse(String s) {
      if (s == null || s.isBlank()) {
        return AUTO;
      }
      try {
        Profile p = valueOf(s.trim().toUpperCase(Locale.ROOT));
        return p == CUSTOM ? AUTO : p;
      } catch (IllegalArgumentException e) {
        return AUTO;
      }
    }

    /** The preset a forced transcode uses, or null for auto/copy. */
    Quality forced() {
      return switch (this) {
        case LOW -> Quality.LOW;
        case MEDIUM -> Quality.MEDIUM;
        case HIGH -> Quality.HIGH;
        default -> null;
      };
    }
  }

  public static ChannelSpec fromJson(String id, JsonObject o) {
    return fromJson(id, o, Map.of(), Map.of());
  }

  /**
   * @param providers every provider, by name
   * @param profiles  every transcode profile, by name
   */
  public static ChannelSpec fromJson(String id, JsonObject o, Map<String, Provider> providers,
                                     Map<String, TranscodeProfile> profiles) {
    List<String> sources = new ArrayList<>();
    Map<String, Integer> priorities = new HashMap<>();
    JsonArray given = o.getValue(ChannelSchema.SOURCE_PRIORITIES) instanceof JsonArray a ? a : new JsonArray();
    String primary = o.getValue(SOURCE_URL) instanceof String s ? s.trim() : null;
    addSource(id, sources, primary, priorities, given, 0);
    if (o.getValue(BACKUP_URLS) instanceof JsonArray backups) {
      for (int i = 0; i < backups.size(); i++) {
        addSource(id, sources, backups.getValue(i) instanceof String s ? s.trim() : null, priorities, given, i + 1);
      }
    }
    // By priority (lower first), the order given among equals.
    sources.sort(Comparator.comparingInt(priorities::get));
    boolean isActive = ChannelSchema.active(o.getValue(IS_ACTIVE));
    String ua = o.getValue(USER_AGENT) instanceof String s && !s.isBlank() ? s.trim() : null;
    if (ua != null && !ChannelSchema.validUserAgent(ua)) {
      log.warn("channel {}: user_agent ignored: it holds a line break or is too long", id);
      ua = null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (o.getValue(HEADERS) instanceof JsonObject h) {
      for (String name : h.fieldNames()) {
        Object v = h.getValue(name);
        String value = v == null ? null : v.toString().trim();
        if (!ChannelSchema.validHeader(name, value)) {
          log.warn("channel {}: header '{}' ignored: not a valid HTTP header", id,
            ChannelSchema.HEADER_NAME.matcher(name).matches() ? name : "?");
          continue;
        }
        headers.put(name, value);
      }
    }
    String profileName = o.getValue(TRANSCODE_PROFILE) instanceof String p ? p.trim() : null;
    Profile profile = Profile.parse(profileName);
    TranscodeProfile custom = profileName == null ? null : profiles.get(profileName);
    if (custom != null && !ChannelSchema.PROFILES.contains(profileName.toLowerCase(Locale.ROOT))) {
      profile = Profile.CUSTOM;
    } else if (profileName != null && !profileName.isEmpty()
      && !ChannelSchema.PROFILES.contains(profileName.toLowerCase(Locale.ROOT))) {
      log.warn("channel {}: transcode_profile '{}' is no built-in and no profile of /api/transcode-profiles: auto", id,
        ProviderContract.isName(profileName) ? profileName : "?");
      custom = null;
    } else {
      custom = null;
    }
    String named = o.getValue(ChannelSchema.PROVIDER) instanceof String n ? n : null;
    Map<String, Provider> bySource = new LinkedHashMap<>();
    for (String src : sources) {
      Provider p = src.equals(primary) && named != null ? providers.get(named)
        : providers.values().stream().filter(x -> x.serves(src)).findFirst().orElse(null);
      if (p != null) {
        bySource.put(src, p);
      }
    }
    double hours = ChannelSchema.restartHours(o.getValue(ChannelSchema.AUTO_RESTART_HOURS));
    return new ChannelSpec(id, List.copyOf(sources), primary, isActive,
      Quality.parse(o.getValue(QUALITY) instanceof String q ? q : null), profile, ua, Map.copyOf(headers), custom,
      Map.copyOf(bySource), Math.round(hours * 3_600_000),
      ChannelSchema.storedServer(o.getValue(ChannelSchema.SERVER)),
      o.getValue(ChannelSchema.NAME) instanceof String n && !n.isBlank() ? n : id);
  }

  /**
   * Adds a valid, new source; its priority is {@code source_priorities[position]} when that is a
   * valid one ({@link ChannelSchema#storedPriority}), else its position.
   */
  private static void addSource(String id, List<String> sources, String url, Map<String, Integer> priorities,
                                JsonArray given, int position) {
    int priority = ChannelSchema.storedPriority(position < given.size() ? given.getValue(position) : null, position);
    if (url != null && !url.isEmpty() && ChannelSchema.validSourceUrl(url) && !sources.contains(url)) {
      priorities.put(url, priority);
    }
    addSource(id, sources, url);
  }

  private static void addSource(String id, List<String> sources, String url) {
    if (url == null || url.isEmpty()) {
      return;
    }
    if (!ChannelSchema.validSourceUrl(url)) {
      log.warn("channel {}: source ignored: not {}", id, ChannelSchema.URL_RULE);
      return;
    }
    if (!sources.contains(url)) {
      sources.add(url);
    }
  }
}
