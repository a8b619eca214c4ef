package dev.iptv.common;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's configuration table and the settings declared in {@link Config}: the same names, the same defaults. */
class SettingsReadmeTest {

  /** The table's rows: the variable, and its default cell. */
  private static Map<String, String> table() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
    int at = lines.indexOf("| env | meaning | default |");
    assertTrue(at >= 0, "README.md has no configuration table");
    Map<String, String> rows = new LinkedHashMap<>();
    for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("| `IPTV_"); i++) {
      String row = lines.get(i);
      String name = row.substring(3, row.indexOf('`', 3));
      String cell = row.substring(row.lastIndexOf(" | ", row.length() - 3) + 3, row.length() - 2);
      assertFalse(rows.containsKey(name), name + " is listed twice");
      rows.put(name, cell);
    }
    return rows;
  }

  @Test
  @DisplayName("every declared setting is in the README's table, and every one there is declared")
  void sameNames() throws Exception {
    TreeSet<String> declared = new TreeSet<>();
    Config.settings().forEach(s -> declared.add(s.env()));
    assertEquals(declared, new TreeSet<>(table().keySet()));
  }

  @Test
  @DisplayName("the README shows each declared default (in backticks first), and no literal one for a setting without")
  void sameDefaults() throws Exception {
    Map<String, String> rows = table();
    for (Setting s : Config.settings()) {
      String cell = rows.get(s.env());
      if (s.shown() != null) {
        assertTrue(cell.startsWith("`" + s.shown() + "`"), s.env() + ": declared default " + s.shown() + ", README: " + cell);
      } else {
        assertFalse(cell.startsWith("`"), s.env() + " has no literal default, README: " + cell);
      }
    }
  }

  @Test
  @DisplayName("a literal default is the one the JVM resolves; the shell's own settings are marked bin/iptv's")
  void declarations() {
    for (Setting s : Config.settings()) {
      assertTrue(s.env().matches("IPTV_[A-Z0-9_]+"), s.env());
      assertFalse(s.meaning().isBlank(), s.env());
      if (s.def() != null && !s.env().equals(Config.HLS_DIR)) {
        assertEquals(s.def(), s.shown(), s.env() + ": a literal default is shown as it is");
        assertEquals(s.def(), Config.string(Config.load(Map.of()), s.env()), s.env());
      }
    }
    for (String own : List.of(Config.STATE_DIR, Config.JAVA_OPTS, Config.NO_BUILD, Config.SEGMENT_LOG_MAX_MB)) {
      assertEquals(Setting.SHELL, Config.setting(own).owner(), own);
    }
  }
}
