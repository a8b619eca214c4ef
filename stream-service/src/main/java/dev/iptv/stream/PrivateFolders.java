package dev.iptv.stream;

import dev.iptv.common.Config;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * stream-service's folders belong to the service's user alone: the HLS folder (FFmpeg writes,
 * nginx's workers read files by name) and the FFmpeg-log folder (stderr may name upstream
 * credentials).
 *
 * <ul>
 *   <li>Created missing with {@link #HLS_MODE} (0711) and {@link #LOG_MODE} (0700). An existing HLS
 *       folder loses any write right of group and others and the others' right to list it (0755
 *       becomes 0751, 0777 becomes 0751); an existing log folder is set to 0700.</li>
 *   <li>Refused, with the setting named, when the path is a symbolic link, not a folder, owned by
 *       another user, or inside a folder another user (root aside) owns or anyone may write
 *       without the sticky bit (they could swap it for a link later).</li>
 *   <li>Files inside are read with {@code O_NOFOLLOW} ({@link #read}) and removed with
 *       {@code unlink} (a link is removed, never its target).</li>
 * </ul>
 *
 * <p>Blocking (file system calls): call from a worker.
 */
final class PrivateFolders {

  static final Set<PosixFilePermission> HLS_MODE = PosixFilePermissions.fromString("rwx--x--x");
  static final Set<PosixFilePermission> LOG_MODE = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> HLS_NEVER = EnumSet.of(PosixFilePermission.GROUP_WRITE,
    PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ);
  private static final int OTHERS_WRITE = 0002;
  private static final int STICKY = 01000;
  private static final int MAX_READ = 4 * 1024 * 1024;

  private PrivateFolders() {
  }

  /** The HLS folder: created 0711, or checked and tightened. */
  static void prepareHls(Path dir) throws IOException {
    prepare(dir, Config.HLS_DIR, HLS_MODE, false);
    Set<PosixFilePermission> mode = view(dir).readAttributes().permissions();
    if (mode.removeAll(HLS_NEVER)) {
      view(dir).setPermissions(mode);
    }
  }

  /** The FFmpeg-log folder: created 0700 (missing parents too), or checked and set to 0700. */
  static void prepareLogs(Path dir) throws IOException {
    prepare(dir, Config.FFMPEG_LOG_DIR, LOG_MODE, true);
    if (!view(dir).readAttributes().permissions().equals(LOG_MODE)) {
      view(dir).setPermissions(LOG_MODE);
    }
  }

  private static void prepare(Path dir, String setting, Set<PosixFilePermission> mode, boolean privateParents)
    throws IOException {
    long uid = processUid();
    Path parent = dir.getParent();
    if (parent != null) {
      if (!Files.isDirectory(parent)) {
        FileAttribute<?>[] attrs = privateParents
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(LOG_MODE)} : new FileAttribute<?>[0];
        Files.createDirectories(parent, attrs);
      }
      Map<String, Object> up = Files.readAttributes(parent, "unix:mode,uid");
      long parentOwner = ((Number) up.get("uid")).longValue();
      int parentMode = ((Number) up.get("mode")).intValue();
      if (parentOwner != uid && parentOwner != 0) {
        throw refused(setting, dir, "is inside " + parent + ", which belongs to uid " + parentOwner
          + ": that user could replace it");
      }
      if ((parentMode & OTHERS_WRITE) != 0 && (parentMode & STICKY) == 0) {
        throw refused(setting, dir, "is inside " + parent + ", which anyone may write (and no sticky bit):"
          + " anyone could replace it");
      }
    }
    boolean created = false;
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
      created = true;
    } catch (FileAlreadyExistsException e) {
      // There already (or a link by that name): checked below.
    }
    if (Files.isSymbolicLink(dir)) {
      throw refused(setting, dir, "is a symbolic link; point " + setting + " at the folder itself");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw refused(setting, dir, "is not a folder");
    }
    long owner = ((Number) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    if (owner != uid) {
      throw refused(setting, dir, "belongs to uid " + owner + ", not to the service's user (uid " + uid
        + "); chown it to that user or choose another folder");
    }
    if (created) {
      // The umask may have taken rights from the mode asked for (nginx's workers need 0711's x).
      view(dir).setPermissions(mode);
    }
  }

  /**
   * A file of a private folder, read without following a symbolic link: a link in place of a
   * playlist fails (ELOOP), it is never read through.
   */
  static String read(Path file) throws IOException {
    try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
      while (ch.read(buf) > 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
        if (out.size() > MAX_READ) {
          throw new IOException(file + " is larger than " + MAX_READ + " bytes");
        }
      }
      return out.toString(StandardCharsets.UTF_8);
    }
  }

  /** The effective uid of this process. */
  static long processUid() {
    return new com.sun.security.auth.module.UnixSystem().getUid();
  }

  private static PosixFileAttributeView view(Path dir) {
    return Files.getFileAttributeView(dir, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
  }

  private static IllegalStateException refused(String setting, Path dir, String why) {
    return new IllegalStateException(setting + " " + dir + " " + why + ": stream-service keeps it private and refuses it");
  }
}
