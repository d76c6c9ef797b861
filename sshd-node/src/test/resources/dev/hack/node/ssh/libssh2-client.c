/*
 * A minimal libssh2 client, as apps built on libssh2 (Blink Shell) talk to a node; compiled and
 * run by ClientCompatTest.
 *
 * usage: libssh2-client [-t] [-c CIPHERS] [-m MACS] PORT USER PRIVATE_KEY PUBLIC_KEY COMMAND
 *
 * Connects to 127.0.0.1:PORT, logs in with the key files, runs COMMAND (with -t on a pty the size
 * of the local terminal, 80x24 without one; a local terminal is put in raw mode, as ssh -t does),
 * copies stdin to the channel and the channel's output to stdout and stderr until EOF, and exits
 * with the command's exit status (255 when something failed before). On stderr it first
 * prints what was negotiated and the SHA-256 of the host key:
 *   libssh2 1.10.0: kex curve25519-sha256 hostkey ssh-ed25519 cipher aes128-ctr mac hmac-sha2-256
 *   libssh2: host key sha256 <64 hex digits>
 * and last "libssh2: exit status N".
 */
#include <libssh2.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static LIBSSH2_SESSION *session;
static int sock = -1;
static struct termios saved;
static int raw = 0;

static void restore_terminal(void) {
  if (raw) tcsetattr(0, TCSADRAIN, &saved);
}

static void fail(const char *what) {
  char *msg = NULL;
  if (session != NULL) {
    libssh2_session_last_error(session, &msg, NULL, 0);
  }
  fprintf(stderr, "libssh2: %s: %s\n", what, msg != NULL && *msg ? msg : strerror(errno));
  exit(255);
}

/* Waits (at most 1 s) until the socket can move in the direction libssh2 is blocked on. */
static void wait_socket(void) {
  struct pollfd p = {sock, 0, 0};
  int dir = libssh2_session_block_directions(session);
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  poll(&p, 1, 1000);
}

static void write_all(LIBSSH2_CHANNEL *ch, const char *buf, ssize_t len) {
  while (len > 0) {
    ssize_t n = libssh2_channel_write(ch, buf, len);
    if (n == LIBSSH2_ERROR_EAGAIN) {
      wait_socket();
      continue;
    }
    if (n < 0) fail("write");
    buf += n;
    len -= n;
  }
}

/* Copies what the channel has now to out; returns how many bytes. */
static ssize_t drain(LIBSSH2_CHANNEL *ch, int stream, FILE *out) {
  char buf[16384];
  ssize_t total = 0;
  for (;;) {
    ssize_t n = libssh2_channel_read_ex(ch, stream, buf, sizeof buf);
    if (n == LIBSSH2_ERROR_EAGAIN || n == 0) break;
    if (n < 0) fail("read");
    fwrite(buf, 1, (size_t)n, out);
    total += n;
  }
  fflush(out);
  return total;
}

int main(int argc, char **argv) {
  int pty = 0;
  const char *ciphers = NULL, *macs = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "tc:m:")) != -1) {
    if (opt == 't') pty = 1;
    else if (opt == 'c') ciphers = optarg;
    else if (opt == 'm') macs = optarg;
    else return 2;
  }
  if (argc - optind != 5) {
    fprintf(stderr, "usage: %s [-t] [-c CIPHERS] [-m MACS] PORT USER KEY KEY.pub COMMAND\n",
            argv[0]);
    return 2;
  }
  int port = atoi(argv[optind]);
  const char *user = argv[optind + 1], *key = argv[optind + 2], *pub = argv[optind + 3];
  const char *command = argv[optind + 4];

  sock = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) != 0) fail("connect");

  if (libssh2_init(0) != 0) fail("init");
  session = libssh2_session_init();
  if (session == NULL) fail("session");
  if (ciphers != NULL && (libssh2_session_method_pref(session, LIBSSH2_METHOD_CRYPT_CS, ciphers) ||
                          libssh2_session_method_pref(session, LIBSSH2_METHOD_CRYPT_SC, ciphers)))
    fail("cipher preference");
  if (macs != NULL && (libssh2_session_method_pref(session, LIBSSH2_METHOD_MAC_CS, macs) ||
                       libssh2_session_method_pref(session, LIBSSH2_METHOD_MAC_SC, macs)))
    fail("MAC preference");
  libssh2_session_set_timeout(session, 20000);
  if (libssh2_session_handshake(session, sock) != 0) fail("handshake");
  fprintf(stderr, "libssh2 %s: kex %s hostkey %s cipher %s mac %s\n", libssh2_version(0),
          libssh2_session_methods(session, LIBSSH2_METHOD_KEX),
          libssh2_session_methods(session, LIBSSH2_METHOD_HOSTKEY),
          libssh2_session_methods(session, LIBSSH2_METHOD_CRYPT_CS),
          libssh2_session_methods(session, LIBSSH2_METHOD_MAC_CS));
  const unsigned char *hash =
      (const unsigned char *)libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  if (hash == NULL) fail("host key hash");
  fprintf(stderr, "libssh2: host key sha256 ");
  for (int i = 0; i < 32; i++) fprintf(stderr, "%02x", hash[i]);
  fprintf(stderr, "\n");

  if (libssh2_userauth_publickey_fromfile(session, user, pub, key, "") != 0)
    fail("publickey auth");
  LIBSSH2_CHANNEL *ch = libssh2_channel_open_session(session);
  if (ch == NULL) fail("open channel");
  if (pty) {
    struct winsize ws = {24, 80, 0, 0};
    if (isatty(0)) {
      ioctl(0, TIOCGWINSZ, &ws);
      if (tcgetattr(0, &saved) == 0) {
        struct termios t = saved;
        cfmakeraw(&t);
        raw = tcsetattr(0, TCSADRAIN, &t) == 0;
        atexit(restore_terminal);
      }
    }
    if (libssh2_channel_request_pty_ex(ch, "xterm", 5, NULL, 0, ws.ws_col, ws.ws_row, 0, 0) != 0)
      fail("pty request");
  }
  if (libssh2_channel_exec(ch, command) != 0) fail("exec");

  libssh2_session_set_blocking(session, 0);
  int stdin_open = 1;
  while (!libssh2_channel_eof(ch)) {
    if (drain(ch, 0, stdout) + drain(ch, SSH_EXTENDED_DATA_STDERR, stderr) > 0) continue;
    if (libssh2_channel_eof(ch)) break;
    struct pollfd p[2] = {{sock, POLLIN, 0}, {0, POLLIN, 0}};
    if (libssh2_session_block_directions(session) & LIBSSH2_SESSION_BLOCK_OUTBOUND)
      p[0].events |= POLLOUT;
    poll(p, stdin_open ? 2 : 1, 1000);
    if (stdin_open && (p[1].revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      ssize_t n = read(0, buf, sizeof buf);
      if (n > 0) {
        write_all(ch, buf, n);
      } else {
        stdin_open = 0;
        while (libssh2_channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN) wait_socket();
      }
    }
  }
  drain(ch, 0, stdout);
  drain(ch, SSH_EXTENDED_DATA_STDERR, stderr);
  int rc;
  while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN) wait_socket();
  while ((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN) wait_socket();
  int status = libssh2_channel_get_exit_status(ch);
  restore_terminal();
  raw = 0;
  fprintf(stderr, "libssh2: exit status %d\n", status);
  libssh2_channel_free(ch);
  libssh2_session_set_blocking(session, 1);
  libssh2_session_disconnect(session, "bye");
  libssh2_session_free(session);
  close(sock);
  libssh2_exit();
  return status;
}
