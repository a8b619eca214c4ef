package dev.iptv.common;

/**
 * A failure that ends a request with a given status and a JSON {@code {"error": "..."}} body.
 * Thrown (or failed into a future) by handlers and validators; mapped once by {@link Http}.
 */
public class ApiException extends RuntimeException {

  private final int status;

  public ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }

  public static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  public static ApiException conflict(String message) {
    return new ApiException(409, message);
  }
}
