package dev.iptv.contract;

/**
 * A message or a record that does not have the shape its contract declares: {@link #field()} names
 * the field, the message says what it must be ({@code "channel_id must be digits"}).
 */
public final class BadMessage extends IllegalArgumentException {

  private final String field;

  /** @param rule what the field must be, after its name: {@code "must be digits"} */
  public BadMessage(String field, String rule) {
    this(field, field + " " + rule, true);
  }

  private BadMessage(String field, String message, boolean whole) {
    super(message);
    this.field = field;
  }

  /** A failure whose whole message is given (it must name the field). */
  public static BadMessage whole(String field, String message) {
    return new BadMessage(field, message, true);
  }

  public String field() {
    return field;
  }
}
