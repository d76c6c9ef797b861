package dev.hack.keys;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/** Owner-only files and directories, written atomically. */
public final class FileModes {
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private FileModes() {}

  /** Creates {@code dir} (and parents) with mode 0700 if it does not exist. */
  public static Path ensurePrivateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      if (POSIX) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
    }
    return dir;
  }

  /**
   * Writes {@code data} to {@code file} through a temp file in the same directory and an atomic
   * rename, with mode 0600 (or 0644 when {@code publicReadable}), so a reader never sees half a
   * file.
   */
  public static void writeAtomically(Path file, byte[] data, boolean publicReadable)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      if (POSIX) {
        Files.setPosixFilePermissions(
            tmp, PosixFilePermissions.fromString(publicReadable ? "rw-r--r--" : "rw-------"));
      }
      Files.write(tmp, data);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Refuses a private file that group or others can read or write, as OpenSSH does ("UNPROTECTED
   * PRIVATE KEY FILE"): a key that others could read must be treated as leaked, so the user
   * decides.
   */
  public static void requireOwnerOnly(Path file) throws IOException {
    if (!POSIX) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> loose =
        EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);
    loose.retainAll(perms);
    if (!loose.isEmpty()) {
      throw new IOException(
          "private key "
              + file
              + " is accessible by others (mode "
              + PosixFilePermissions.toString(perms)
              + "); run: chmod 600 "
              + file);
    }
  }
}
