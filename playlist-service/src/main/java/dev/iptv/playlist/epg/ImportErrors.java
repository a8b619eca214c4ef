package dev.iptv.playlist.epg;

import javax.xml.stream.XMLStreamException;

/** An import's failure in one readable line: where the XML went wrong, never more than 300 characters. */
final class ImportErrors {

  private ImportErrors() {
  }

  /** "line L, column C: what" from the JDK parser's "ParseError at [row,col]:[L,C]\nMessage: what". */
  static String xmlError(XMLStreamException e) {
    String m = e.getMessage() == null ? "unreadable" : e.getMessage();
    int at = m.indexOf("Message: ");
    String what = at >= 0 ? m.substring(at + 9) : m;
    javax.xml.stream.Location where = e.getLocation();
    return where == null ? firstLine(what) : "line " + where.getLineNumber() + ", column " + where.getColumnNumber() + ": "
      + firstLine(what);
  }

  static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    String line = (nl < 0 ? s : s.substring(0, nl)).strip();
    return line.length() > 300 ? line.substring(0, 300) : line;
  }
}
