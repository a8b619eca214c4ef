package dev.iptv.common;

import java.math.BigDecimal;

/**
 * Epoch seconds with milliseconds, as the seed writes them ({@code 1699378912.123}): a decimal,
 * never the exponent form a double takes in JSON ({@code 1.699378912123E9}).
 */
public final class Epoch {

  private Epoch() {
  }

  public static BigDecimal seconds(long epochMillis) {
    return BigDecimal.valueOf(epochMillis, 3);
  }

  public static BigDecimal now() {
    return seconds(System.currentTimeMillis());
  }

  /** The same value as Redis stores it: {@code "1699378912.123"}. */
  public static String text(long epochMillis) {
    return seconds(epochMillis).toPlainString();
  }
}
