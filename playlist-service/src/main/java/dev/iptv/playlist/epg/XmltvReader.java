package dev.iptv.playlist.epg;

import javax.xml.XMLConstants;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an XMLTV document as a stream (StAX): one element at a time, never the whole document in
 * memory. Programmes of the channels the {@link Sink} wants, inside the time window, are handed to
 * it one by one; the rest is counted and skipped.
 *
 * <p>Safe against hostile guides: no DTD is read or fetched and no entity is declared, so an
 * external entity (XXE) or an entity bomb is a parse error, not a file read or a request; every
 * text kept is capped; text is read in the parser's chunks (16 KiB), so a huge element costs no
 * memory. A programme without {@code stop} ends where the channel's next programme starts (or
 * {@value #DEFAULT_LENGTH_S} s after its start when none follows).
 */
final class XmltvReader {

  static final long DEFAULT_LENGTH_S = 3600;
  static final int MAX_TITLE = 512;
  static final int MAX_DESC = 4000;
  static final int MAX_SHORT = 256;
  static final int MAX_ICON = 1024;
  static final int MAX_CATEGORIES = 8;
  static final int MAX_EPISODES = 4;

  /** What the reader reports to. Called on the reading thread. */
  interface Sink {

    /** Whether programmes of this XMLTV channel id are kept. */
    boolean wants(String channelId);

    /** A channel id the guide names, in a {@code <channel>} or a {@code <programme>}. */
    void seen(String channelId);

    /** A programme kept: a wanted channel, valid times, a title, inside the window. */
    void programme(Programme p) throws IOException;
  }

  private final XMLInputFactory factory = secureFactory();
  private final Sink sink;
  private final long from;
  private final long to;
  /** Programmes without a stop time, per channel, waiting for the channel's next start. */
  private final Map<String, Programme> open = new HashMap<>();

  volatile long programmesSeen;
  volatile long programmesKept;
  volatile long programmesInvalid;

  /** Programmes are kept when they end after {@code from} and start before {@code to} (epoch seconds). */
  XmltvReader(Sink sink, long from, long to) {
    this.sink = sink;
    this.from = from;
    this.to = to;
  }

  /** No DTD, no external entities, no fetch of anything. */
  static XMLInputFactory secureFactory() {
    XMLInputFactory f = XMLInputFactory.newDefaultFactory();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, false);
    f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
    f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
    return f;
  }

  /**
   * Reads the whole document. Fails (XMLStreamException) on anything that is not a complete,
   * well-formed XMLTV document: garbage, a cut-off file, a root other than {@code <tv>}, an entity.
   */
  void read(InputStream in) throws XMLStreamException, IOException {
    XMLStreamReader r = factory.createXMLStreamReader(in);
    try {
      if (nextTag(r) != XMLStreamConstants.START_ELEMENT || !"tv".equals(r.getLocalName())) {
        throw new XMLStreamException("not an XMLTV document: the root element is <" + r.getLocalName() + ">, not <tv>");
      }
      while (true) {
        int event = r.next();
        if (event == XMLStreamConstants.END_ELEMENT) {
          break; // </tv>
        }
        if (event != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        switch (r.getLocalName()) {
          case "channel" -> channel(r);
          case "programme" -> programme(r);
          default -> skip(r);
        }
      }
      while (r.hasNext()) {
        r.next(); // the rest (comments, white space) must still be well-formed
      }
      for (Programme p : open.values()) {
        keep(withStop(p, p.start() + DEFAULT_LENGTH_S));
      }
      open.clear();
    } finally {
      r.close();
    }
  }

  private void channel(XMLStreamReader r) throws XMLStreamException {
    String id = attribute(r, "id");
    if (id != null) {
      sink.seen(id);
    }
    skip(r);
  }

  private void programme(XMLStreamReader r) throws XMLStreamException, IOException {
    programmesSeen++;
    String channel = attribute(r, "channel");
    if (channel == null) {
      programmesInvalid++;
      skip(r);
      return;
    }
    sink.seen(channel);
    if (!sink.wants(channel)) {
      skip(r);
      return;
    }
    long start = XmltvTime.parse(r.getAttributeValue(null, "start"));
    String stopText = r.getAttributeValue(null, "stop");
    long stop = stopText == null || stopText.isBlank() ? XmltvTime.INVALID : XmltvTime.parse(stopText);
    boolean stopless = stopText == null || stopText.isBlank();
    String title = null;
    String lang = null;
    String subTitle = null;
    String desc = null;
    String icon = null;
    List<String> categories = new ArrayList<>(2);
    List<Programme.Episode> episodes = new ArrayList<>(1);
    while (nextTag(r) == XMLStreamConstants.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "title" -> {
          String l = blankToNull(r.getAttributeValue(null, "lang"));
          String t = text(r, MAX_TITLE);
          if (title == null && !t.isBlank()) {
            title = t.strip();
            lang = l;
          }
        }
        case "sub-title" -> {
          String t = text(r, MAX_TITLE);
          if (subTitle == null && !t.isBlank()) {
            subTitle = t.strip();
          }
        }
        case "desc" -> {
          String t = text(r, MAX_DESC);
          if (desc == null && !t.isBlank()) {
            desc = t.strip();
          }
        }
        case "category" -> {
          String t = text(r, MAX_SHORT);
          if (categories.size() < MAX_CATEGORIES && !t.isBlank()) {
            categories.add(t.strip());
          }
        }
        case "icon" -> {
          String src = attribute(r, "src");
          skip(r);
          if (icon == null && src != null && src.length() <= MAX_ICON) {
            icon = src;
          }
        }
        case "episode-num" -> {
          String system = r.getAttributeValue(null, "system");
          String t = text(r, MAX_SHORT);
          if (episodes.size() < MAX_EPISODES && !t.isBlank()) {
            episodes.add(new Programme.Episode(system == null || system.isBlank() ? "onscreen" : system.strip(), t.strip()));
          }
        }
        default -> skip(r);
      }
    }
    if (start == XmltvTime.INVALID || (!stopless && stop == XmltvTime.INVALID) || title == null
      || (!stopless && stop <= start)) {
      programmesInvalid++;
      return;
    }
    Programme p = new Programme(channel, start, stopless ? start : stop, title, lang, subTitle, desc, categories,
      icon, episodes);
    Programme waiting = open.remove(channel);
    if (waiting != null) {
      keep(withStop(waiting, start > waiting.start() ? start : waiting.start() + DEFAULT_LENGTH_S));
    }
    if (stopless) {
      open.put(channel, p);
    } else {
      keep(p);
    }
  }

  private static Programme withStop(Programme p, long stop) {
    return new Programme(p.channel(), p.start(), stop, p.title(), p.lang(), p.subTitle(), p.description(),
      p.categories(), p.icon(), p.episodes());
  }

  private void keep(Programme p) throws IOException {
    if (p.stop() > from && p.start() < to) {
      programmesKept++;
      sink.programme(p);
    }
  }

  /** The next start or end tag, past text, comments and the like (StAX's nextTag refuses text). */
  private static int nextTag(XMLStreamReader r) throws XMLStreamException {
    while (true) {
      int event = r.next();
      if (event == XMLStreamConstants.START_ELEMENT || event == XMLStreamConstants.END_ELEMENT) {
        return event;
      }
      if (event == XMLStreamConstants.END_DOCUMENT) {
        throw new XMLStreamException("the document ends before its root element closes");
      }
    }
  }

  /** The attribute, trimmed; null when absent or blank. */
  private static String attribute(XMLStreamReader r, String name) {
    return blankToNull(r.getAttributeValue(null, name));
  }

  private static String blankToNull(String s) {
    if (s == null) {
      return null;
    }
    String t = s.strip();
    return t.isEmpty() ? null : t;
  }

  /**
   * The text of the current element, at most {@code cap} characters (the rest is read and
   * dropped); nested elements are skipped. Leaves the reader on the element's end tag.
   */
  private static String text(XMLStreamReader r, int cap) throws XMLStreamException {
    StringBuilder sb = new StringBuilder();
    int depth = 1;
    while (depth > 0) {
      int event = r.next();
      switch (event) {
        case XMLStreamConstants.START_ELEMENT -> depth++;
        case XMLStreamConstants.END_ELEMENT -> depth--;
        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
          if (depth == 1 && sb.length() < cap) {
            int len = Math.min(r.getTextLength(), cap - sb.length());
            sb.append(r.getTextCharacters(), r.getTextStart(), len);
          }
        }
        case XMLStreamConstants.END_DOCUMENT -> throw new XMLStreamException("the document ends inside an element");
        default -> {
        }
      }
    }
    return sb.toString();
  }

  /** Skips the current element and everything in it; leaves the reader on its end tag. */
  private static void skip(XMLStreamReader r) throws XMLStreamException {
    int depth = 1;
    while (depth > 0) {
      int event = r.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        depth++;
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        depth--;
      } else if (event == XMLStreamConstants.END_DOCUMENT) {
        throw new XMLStreamException("the document ends inside an element");
      }
    }
  }
}
