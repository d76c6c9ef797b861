package dev.hack.keys;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * Ed25519 key pairs in OpenSSH's own file format (so {@code ssh -i} and {@code ssh-keygen} read
 * them): the private key at mode 0600 and the public key beside it with {@code .pub}.
 */
public final class KeyFiles {
  private KeyFiles() {}

  /**
   * Loads the key pair at {@code privateKey}, or creates a new ed25519 pair there if the file does
   * not exist. An existing key is never replaced; one that others can read is refused.
   */
  public static KeyPair loadOrCreate(Path privateKey, String comment) throws IOException {
    if (Files.exists(privateKey)) {
      return load(privateKey);
    }
    FileModes.ensurePrivateDir(privateKey.toAbsolutePath().getParent());
    try {
      KeyPair pair = KeyUtils.generateKeyPair(KeyPairType.ED25519, 256);
      ByteArrayOutputStream priv = new ByteArrayOutputStream();
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, comment, null, priv);
      ByteArrayOutputStream pub = new ByteArrayOutputStream();
      OpenSSHKeyPairResourceWriter.INSTANCE.writePublicKey(pair.getPublic(), comment, pub);
      FileModes.writeAtomically(privateKey, priv.toByteArray(), false);
      FileModes.writeAtomically(publicKeyPath(privateKey), pub.toByteArray(), true);
      return pair;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot generate an ed25519 key for " + privateKey + ": " + e, e);
    }
  }

  /** Loads an unencrypted OpenSSH private key, refusing it when its mode is too open. */
  public static KeyPair load(Path privateKey) throws IOException {
    FileModes.requireOwnerOnly(privateKey);
    try (InputStream in = Files.newInputStream(privateKey)) {
      Iterable<KeyPair> pairs =
          SecurityUtils.loadKeyPairIdentities(
              null, NamedResource.ofName(privateKey.toString()), in, null);
      Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
      if (it == null || !it.hasNext()) {
        throw new IOException("no key found in " + privateKey);
      }
      return it.next();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read key " + privateKey + ": " + e.getMessage(), e);
    }
  }

  public static Path publicKeyPath(Path privateKey) {
    return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
  }

  /** {@code SHA256:...}, as {@code ssh-keygen -lf} prints it. */
  public static String fingerprint(PublicKey key) {
    return KeyUtils.getFingerPrint(key);
  }

  /** The key as one {@code authorized_keys} line without a comment: {@code ssh-ed25519 AAAA...}. */
  public static String openSshLine(PublicKey key) {
    return PublicKeyEntry.toString(key);
  }

  /**
   * The key of one {@code authorized_keys}-style line ({@code ssh-ed25519 AAAA... [comment]}).
   *
   * @throws IllegalArgumentException naming what is wrong, when the line is not a public key
   */
  public static PublicKey parseOpenSshLine(String line) {
    try {
      org.apache.sshd.common.config.keys.AuthorizedKeyEntry e =
          org.apache.sshd.common.config.keys.AuthorizedKeyEntry.parseAuthorizedKeyEntry(
              line.strip());
      PublicKey key =
          e == null
              ? null
              : e.resolvePublicKey(
                  null, org.apache.sshd.common.config.keys.PublicKeyEntryResolver.FAILING);
      if (key == null) {
        throw new IllegalArgumentException("not a public key");
      }
      return key;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(
          "not a public key line such as 'ssh-ed25519 AAAA...': " + e.getMessage(), e);
    }
  }

  private static final class KeyPairType {
    static final String ED25519 = "ssh-ed25519";
  }
}
