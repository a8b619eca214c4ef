package dev.iptv.contract;

import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * playlist-service's contract: the channels the panel syncs. Its address, its change event, its
 * Redis keys and the channel id format; the channel record's fields and rules are
 * {@link ChannelSchema}.
 *
 * <p>Redis (SPEC section 5 and the README): {@code channel:{id}} (channel JSON),
 * {@code channels:all} (set of ids), {@code channels:by_id} (its sorted index: score the id's digit
 * count, member {@code digits:id}), {@code categories:ids} (hash: category name → its stable
 * numeric id, the Xtream API's {@code category_id}), {@code categories:seq} (the last id given).
 */
public final class ChannelContract {

  // --- event-bus address ---------------------------------------------------------------------------

  /**
   * Published (to every node) after every channel write: {@link ChannelChanged}. Playlist caches drop
   * their list; stream-service stops deleted or deactivated channels; the mirror copies the key.
   */
  public static final String CHANNELS_CHANGED = "iptv.channels.changed";

  // --- id format -----------------------------------------------------------------------------------

  /** A channel id: 1 to 19 digits, everywhere (API, paths, keys, messages, segment records). */
  public static final String ID_REGEX = "[0-9]{1,19}";
  public static final Pattern ID = Pattern.compile(ID_REGEX);

  public static boolean isId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /**
   * The id a JSON value carries: a string as it is, or a whole non-negative number in digits; null
   * for anything else. Check the result with {@link #isId}.
   */
  public static String idOf(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Number n) {
      try {
        BigDecimal d = new BigDecimal(n.toString());
        return d.signum() >= 0 ? d.toBigIntegerExact().toString() : null;
      } catch (ArithmeticException | NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String CHANNEL_PREFIX = "channel:";
  public static final String CHANNELS_ALL = "channels:all";
  /** Sorted index of {@code channels:all} (score the id's digit count, member {@code digits:id}): pages in id order. */
  public static final String CHANNELS_BY_ID = "channels:by_id";
  /** SCAN pattern of the channel keys (it also matches other keys: check with {@link #isChannelKey}). */
  public static final String CHANNEL_SCAN = CHANNEL_PREFIX + "*";

  /** Hash: category name (as the channels carry it) → its numeric id, given once and never changed. */
  public static final String CATEGORY_IDS = "categories:ids";
  /** The last category id given ({@code INCR}). */
  public static final String CATEGORY_SEQ = "categories:seq";

  public static String channelKey(String id) {
    return CHANNEL_PREFIX + id;
  }

  /** {@code channel:{id}} with an id of {@link #ID} form. */
  public static boolean isChannelKey(String key) {
    return key != null && key.startsWith(CHANNEL_PREFIX) && isId(key.substring(CHANNEL_PREFIX.length()));
  }

  /** The id of a {@link #isChannelKey channel key}, or null. */
  public static String idOfKey(String key) {
    return isChannelKey(key) ? key.substring(CHANNEL_PREFIX.length()) : null;
  }

  // --- messages ------------------------------------------------------------------------------------

  /**
   * {@link #CHANNELS_CHANGED}: {@code {"channel_id", "action": "created|updated|deleted",
   * "is_active", "origin"}}; {@code origin} names the writing playlist-service instance, which has
   * already refreshed its own list; {@code is_active} may be absent (null).
   */
  public record ChannelChanged(String channelId, ChangeAction action, Boolean active, String origin) {

    private static final String F_CHANNEL_ID = ChannelSchema.CHANNEL_ID;
    private static final String F_ACTION = "action";
    private static final String F_IS_ACTIVE = ChannelSchema.IS_ACTIVE;
    private static final String F_ORIGIN = "origin";

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_CHANNEL_ID, channelId).put(F_ACTION, action.wire()).put(F_IS_ACTIVE, active);
      if (origin != null) {
        o.put(F_ORIGIN, origin);
      }
      return o;
    }

    /**
     * Fails naming {@code channel_id} (not an id) or {@code action} (given, and not one of the three;
     * absent: read as updated).
     */
    public static ChannelChanged fromJson(JsonObject o) {
      String id = idOf(o.getValue(F_CHANNEL_ID));
      if (!isId(id)) {
        throw new BadMessage(F_CHANNEL_ID, "must be digits (at most 19)");
      }
      ChangeAction action = ChangeAction.read(o.getValue(F_ACTION));
      if (action == null) {
        throw new BadMessage(F_ACTION, "must be created, updated or deleted");
      }
      return new ChannelChanged(id, action, o.getValue(F_IS_ACTIVE) instanceof Boolean b ? b : null,
        Wire.text(o, F_ORIGIN));
    }
  }

  private ChannelContract() {
  }
}
