package dev.iptv.playlist;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The channel list as the Xtream Codes API serves it (SPEC section 10, field types as real panels
 * send them: research/xtream-api.md 1.4), rendered once per list build so a request only copies
 * bytes: the categories, the streams (all, and per category), and the get.php entries cut where the
 * user's credentials go. Immutable; built with the {@link Playlist} it belongs to.
 *
 * <p>{@code stream_id} is the channel id as a JSON integer; an id with leading zeros is answered
 * without them, and {@link #channel} finds it either way. A channel with an empty category is
 * listed under {@value #UNCATEGORIZED}.
 */
final class XtreamLineup {

  static final String UNCATEGORIZED = "Uncategorized";
  static final byte[] EMPTY_ARRAY = "[]".getBytes(StandardCharsets.US_ASCII);

  /** One channel's get.php entry: its two #EXTINF forms, the URL base, then credentials, then its id. */
  record Entry(byte[] plus, byte[] plain, byte[] id) {
  }

  private final byte[] categories;
  private final byte[] streams;
  private final Map<String, byte[]> streamsByCategory;
  private final Map<String, Channel> byStreamId;
  private final List<Entry> entries;
  private final List<Channel> channels;

  private XtreamLineup(byte[] categories, byte[] streams, Map<String, byte[]> streamsByCategory,
                       Map<String, Channel> byStreamId, List<Entry> entries, List<Channel> channels) {
    this.categories = categories;
    this.streams = streams;
    this.streamsByCategory = streamsByCategory;
    this.byStreamId = byStreamId;
    this.entries = entries;
    this.channels = channels;
  }

  static XtreamLineup empty() {
    return new XtreamLineup(EMPTY_ARRAY, EMPTY_ARRAY, Map.of(), Map.of(), List.of(), List.of());
  }

  /**
   * @param shown       the active channels in playlist order
   * @param categoryIds every category name of {@code shown} (empty: {@link #UNCATEGORIZED}) → its id
   */
  static XtreamLineup render(List<Channel> shown, Map<String, Long> categoryIds) {
    Map<String, JsonArray> perCategory = new LinkedHashMap<>();
    JsonArray categoryList = new JsonArray();
    StringBuilder all = new StringBuilder(shown.size() * 320).append('[');
    Map<String, Channel> byId = new HashMap<>(shown.size() * 2);
    List<Entry> entries = new ArrayList<>(shown.size());
    Map<String, Integer> nums = new HashMap<>();
    int num = 0;
    for (Channel c : shown) {
      String category = categoryName(c);
      Long cid = categoryIds.get(category);
      String catId = cid == null ? "0" : cid.toString();
      if (!perCategory.containsKey(catId)) {
        perCategory.put(catId, new JsonArray());
        categoryList.add(new JsonObject().put("category_id", catId).put("category_name", category).put("parent_id", 0));
      }
      String streamId = Channel.stripZeros(c.id());
      byId.putIfAbsent(streamId, c);
      all.append(num == 0 ? "" : ",").append(stream(c, streamId, catId, cid, ++num).encode());
      int n = nums.merge(catId, 1, Integer::sum);
      perCategory.get(catId).add(stream(c, streamId, catId, cid, n));
      entries.add(entry(c, category, streamId));
    }
    Map<String, byte[]> byCategory = new HashMap<>();
    perCategory.forEach((id, a) -> byCategory.put(id, a.encode().getBytes(StandardCharsets.UTF_8)));
    return new XtreamLineup(categoryList.encode().getBytes(StandardCharsets.UTF_8),
      all.append(']').toString().getBytes(StandardCharsets.UTF_8), byCategory, byId, entries, List.copyOf(shown));
  }

  static String categoryName(Channel c) {
    String name = M3u.title(c.category());
    return name.isEmpty() ? UNCATEGORIZED : name;
  }

  /** A {@code get_live_streams} row, with the types real panels send (research 1.4). */
  private static JsonObject stream(Channel c, String streamId, String catId, Long cid, int num) {
    String name = M3u.title(c.name());
    return new JsonObject()
      .put("num", num)
      .put("name", name.isEmpty() ? "Channel " + c.id() : name)
      .put("stream_type", "live")
      .put("stream_id", new java.math.BigInteger(streamId))
      .put("stream_icon", c.logo())
      .put("epg_channel_id", c.epgChannelId() != null ? c.epgChannelId() : c.id())
      .put("added", "0")
      .put("is_adult", 0)
      .put("category_id", catId)
      .put("category_ids", cid == null ? new JsonArray() : new JsonArray().add(cid))
      .put("custom_sid", "")
      .put("tv_archive", 0)
      .put("direct_source", "")
      .put("tv_archive_duration", 0)
      .put("thumbnail", "");
  }

  /** The get.php entry: {@code #EXTINF} up to the URL base; the caller adds base, /live/U/P/, id and extension. */
  private static Entry entry(Channel c, String category, String streamId) {
    String name = M3u.title(c.name());
    if (name.isEmpty()) {
      name = "Channel " + c.id();
    }
    String plus = "#EXTINF:-1 tvg-id=\"" + M3u.attribute(c.guideId()) + "\" tvg-name=\"" + M3u.attribute(name)
      + "\" tvg-logo=\"" + M3u.attribute(c.logo()) + "\" group-title=\"" + M3u.attribute(category) + "\"," + name + "\n";
    String plain = "#EXTINF:-1," + name + "\n";
    return new Entry(plus.getBytes(StandardCharsets.UTF_8), plain.getBytes(StandardCharsets.UTF_8),
      streamId.getBytes(StandardCharsets.US_ASCII));
  }

  /** {@code get_live_categories}: a JSON array. */
  Buffer categories() {
    return Buffer.buffer(categories);
  }

  /** {@code get_live_streams}: all, or one category's (unknown category: {@code []}). */
  Buffer streams(String categoryId) {
    if (categoryId == null || categoryId.isEmpty()) {
      return Buffer.buffer(streams);
    }
    byte[] one = streamsByCategory.get(categoryId);
    return Buffer.buffer(one == null ? EMPTY_ARRAY : one);
  }

  /** The active channel a {@code stream_id} names (with or without leading zeros), or null. */
  Channel channel(String streamId) {
    return streamId == null ? null : byStreamId.get(Channel.stripZeros(streamId));
  }

  /** The channels in playlist order. */
  List<Channel> channels() {
    return Collections.unmodifiableList(channels);
  }

  /**
   * The get.php playlist: {@code header}, then for each channel its entry, {@code urlStart} (the
   * public URL, {@code /live/U/P/}), its id and {@code extension} ({@code .ts} or {@code .m3u8}).
   */
  Buffer m3u(boolean plus, byte[] header, byte[] urlStart, byte[] extension) {
    int size = header.length;
    for (Entry e : entries) {
      size += (plus ? e.plus().length : e.plain().length) + urlStart.length + e.id().length + extension.length + 1;
    }
    Buffer out = Buffer.buffer(size).appendBytes(header);
    for (Entry e : entries) {
      out.appendBytes(plus ? e.plus() : e.plain()).appendBytes(urlStart).appendBytes(e.id()).appendBytes(extension)
        .appendByte((byte) '\n');
    }
    return out;
  }
}
