package dev.iptv.contract;

/** What a panel write did to a user or a channel, as {@code "action"} in the change events. */
public enum ChangeAction {
  CREATED("created"), UPDATED("updated"), DELETED("deleted");

  private final String wire;

  ChangeAction(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The action of a message: absent is {@link #UPDATED} (a change, neither a creation nor a deletion); null when unknown. */
  public static ChangeAction read(Object value) {
    return value == null ? UPDATED : fromWire(value);
  }

  /** The action a wire value names, or null. */
  public static ChangeAction fromWire(Object value) {
    for (ChangeAction a : values()) {
      if (a.wire.equals(value)) {
        return a;
      }
    }
    return null;
  }
}
