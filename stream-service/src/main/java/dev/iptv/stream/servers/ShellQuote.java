package dev.iptv.stream.servers;

import java.util.List;

/**
 * Quoting for the remote POSIX shell that sshd runs a command with: every argument becomes one
 * single-quoted word, a {@code '} inside written as {@code '\''}. Inside single quotes the shell
 * expands nothing ({@code $(...)}, backticks, {@code ;}, {@code |}, newlines are plain text), so a
 * source URL reaches FFmpeg as exactly one argument and can never become a command. NUL cannot be
 * in an argument at all and is refused.
 */
public final class ShellQuote {

  private ShellQuote() {
  }

  /** One argument as one shell word. */
  public static String quote(String arg) {
    if (arg == null) {
      throw new IllegalArgumentException("a null argument");
    }
    if (arg.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("an argument holds a NUL character");
    }
    return "'" + arg.replace("'", "'\\''") + "'";
  }

  /** The arguments as shell words separated by spaces. */
  public static String join(List<String> args) {
    StringBuilder out = new StringBuilder();
    for (String a : args) {
      if (!out.isEmpty()) {
        out.append(' ');
      }
      out.append(quote(a));
    }
    return out.toString();
  }
}
