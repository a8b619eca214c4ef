package dev.iptv.contract;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's "Event-bus addresses" and "Redis keys" tables list what the contracts declare, no more, no less. */
class ContractsReadmeTest {

  private static final List<Class<?>> CONTRACTS = List.of(AuthContract.class, ChannelContract.class,
    StreamContract.class, MonitorContract.class, MirrorContract.class, EpgContract.class, ServerContract.class,
    ProviderContract.class);
  private static final Pattern CODE = Pattern.compile("`([^`]+)`");

  /** The table rows (cells) after a heading, up to the first line that is not a row. */
  private static List<String[]> table(String heading) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"));
    int at = lines.indexOf(heading);
    assertTrue(at >= 0, "README.md has no " + heading);
    List<String[]> rows = new ArrayList<>();
    int i = at + 1;
    while (i < lines.size() && !lines.get(i).startsWith("| ")) {
      i++;
    }
    for (i += 2; i < lines.size() && lines.get(i).startsWith("| "); i++) {
      rows.add(lines.get(i).substring(2).split(" \\| "));
    }
    return rows;
  }

  private static List<String> code(String cell) {
    List<String> out = new ArrayList<>();
    Matcher m = CODE.matcher(cell);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static List<Field> constants(Class<?> c) {
    List<Field> out = new ArrayList<>();
    for (Field f : c.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        out.add(f);
      }
    }
    return out;
  }

  @Test
  @DisplayName("every event-bus address of the contracts is in the README's table, under the constant that holds it")
  void addresses() throws Exception {
    Set<String> declared = new TreeSet<>();
    for (Class<?> c : CONTRACTS) {
      for (Field f : constants(c)) {
        String value = (String) f.get(null);
        if (value.startsWith("iptv.")) {
          declared.add(value);
        }
      }
    }
    for (Method m : StreamContract.class.getMethods()) {
      // The addresses of one instance: stopAddress(instance), switchAddress(instance), ...
      if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("Address") && m.getParameterCount() == 1) {
        declared.add((String) m.invoke(null, "{instance}"));
      }
    }
    Set<String> listed = new TreeSet<>();
    for (String[] row : table("### Event-bus addresses")) {
      String address = code(row[0]).get(0);
      listed.add(address);
      String named = code(row[1]).get(0);
      String value = named.endsWith("Address(instance)")
        ? (String) StreamContract.class.getMethod(named.substring(named.indexOf('.') + 1, named.indexOf('(')), String.class)
          .invoke(null, "{instance}")
        : (String) Class.forName("dev.iptv.contract." + named.substring(0, named.indexOf('.')))
          .getField(named.substring(named.indexOf('.') + 1)).get(null);
      assertEquals(address, value, named);
    }
    assertEquals(declared, listed);
  }

  @Test
  @DisplayName("every Redis key of the contracts is in the README's table, and every key there is declared")
  void keys() throws Exception {
    Set<String> declared = new TreeSet<>();
    for (Class<?> c : CONTRACTS) {
      for (Field f : constants(c)) {
        String value = (String) f.get(null);
        if (value.matches("[a-z_]+:[a-z_:]*[a-z_]") && !value.startsWith("iptv.")) {
          declared.add(value);
        }
      }
      for (Method m : c.getMethods()) {
        if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("Key") && m.getReturnType() == String.class
          && m.getParameterCount() == 1 && m.getParameterTypes()[0] == String.class) {
          Object key = m.invoke(null, placeholder(c, m.getName())); // readers of keys (idOfKey, ...) answer null
          if (key != null) {
            declared.add((String) key);
          }
        } else if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("Key") && m.getReturnType() == String.class
          && m.getParameterCount() >= 1 && m.getParameterTypes()[0] == long.class) {
          // Keys of a guide generation: (generation) or (generation, epg_channel_id).
          Object key = m.getParameterCount() == 1 ? m.invoke(null, 0L) : m.invoke(null, 0L, "{epg_channel_id}");
          declared.add(((String) key).replace(":0:", ":{generation}:").replaceAll(":0$", ":{generation}"));
        } else if (Modifier.isStatic(m.getModifiers()) && m.getName().endsWith("Key") && m.getReturnType() == String.class
          && m.getParameterCount() == 2 && m.getParameterTypes()[0] == String.class && m.getParameterTypes()[1] == String.class) {
          declared.add((String) m.invoke(null, placeholder(c, m.getName()), "{id}")); // (owner, id): webhook claims
        }
      }
    }
    Set<String> listed = new TreeSet<>();
    for (String[] row : table("### Redis keys")) {
      String full = null;
      for (String key : code(row[0])) {
        if (key.startsWith(":")) {
          key = full.substring(0, full.lastIndexOf(':')) + key;
        }
        full = key;
        listed.add(key);
      }
    }
    assertEquals(declared, listed);
  }

  private static String placeholder(Class<?> contract, String method) {
    if (method.startsWith("user") || method.startsWith("sessions")) {
      return "{username}";
    }
    if (method.startsWith("token")) {
      return "{token}";
    }
    if (contract == EpgContract.class || contract == ServerContract.class || contract == ProviderContract.class) {
      return "{name}";
    }
    if (contract == MonitorContract.class && (method.startsWith("node") || method.startsWith("webhook"))) {
      return "{name}";
    }
    return "{id}";
  }
}
