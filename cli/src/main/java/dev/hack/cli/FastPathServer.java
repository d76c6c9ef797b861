package dev.hack.cli;

import dev.hack.keys.FileModes;
import dev.hack.keys.HackHome;
import dev.hack.node.platform.Platform;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The node's side of the fast path: listens on {@code HACK_HOME/run/cli.sock} (directory 0700,
 * socket 0600, and peers of another user are refused by their credentials, {@link
 * Platform#peerUser}) and runs the commands {@link FastPath} sends with the CLI's own command line,
 * in this JVM, writing to per-request writers instead of {@code System.out}. While it serves,
 * {@link WarmClients} keeps the SSH connections those commands open.
 *
 * <p>Threads: {@code cli-socket-accept} accepts; each connection gets a {@code cli-request-N}
 * thread (at most {@link #MAX_REQUESTS} at once; past that a connection is closed at once and its
 * client runs the command itself), so a slow request never holds up another. {@code
 * cli-socket-timer} closes a connection that has not sent its request within {@link
 * #REQUEST_TIMEOUT}, and SSH connections unused for {@link WarmClients#IDLE}. A request, once read,
 * runs to its end, bounded by the command's own timeouts; if its client has gone by then, writing
 * the answer fails and the connection is closed.
 *
 * <p>Whoever {@link #start}s it closes it; {@link #close} is idempotent and removes the socket.
 */
final class FastPathServer implements AutoCloseable {
  static final int MAX_REQUESTS = 16;
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  /** Decides which requests to take. */
  interface Commands {
    /**
     * Checks {@code args} and readies the command.
     *
     * @throws Refusal when the command is not served here: the client runs it itself
     */
    Accepted accept(String[] args) throws Refusal;

    /**
     * Gets ready for the next request, off its critical path: called once the server listens and
     * after each answer has been sent, on a request thread.
     */
    default void prepare() {}
  }

  /** A command the node runs for a client. */
  interface Accepted {
    /** How long the client should wait for the command to end. */
    Duration bound();

    /** Runs the command, once; returns its exit status. */
    int run(PrintWriter out, PrintWriter err);
  }

  /** A request the node leaves to the client, with the reason (shown by HACK_FASTPATH_DEBUG). */
  static final class Refusal extends Exception {
    Refusal(String reason) {
      super(reason, null, false, false);
    }
  }

  private final Path socket;
  private final String build;
  private final String home;
  private final Commands commands;
  private final Consumer<String> warn;
  private final ServerSocketChannel server;
  private final UserPrincipal owner;
  private final ThreadPoolExecutor requests;
  private final ScheduledThreadPoolExecutor timer;
  private final Thread acceptor;
  private final WarmClients clients;
  private volatile boolean closed;

  private FastPathServer(
      Path socket,
      String build,
      String home,
      Commands commands,
      Consumer<String> warn,
      ServerSocketChannel server,
      WarmClients clients)
      throws IOException {
    this.socket = socket;
    this.build = build;
    this.home = home;
    this.commands = commands;
    this.warn = warn;
    this.server = server;
    this.clients = clients;
    // the socket file was made by bind() in this process: its owner is this process's user
    this.owner = Files.getOwner(socket);
    AtomicInteger n = new AtomicInteger();
    this.requests =
        new ThreadPoolExecutor(
            0,
            MAX_REQUESTS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "cli-request-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "cli-socket-timer");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    this.acceptor = new Thread(this::acceptLoop, "cli-socket-accept");
    acceptor.setDaemon(true);
  }

  /**
   * Serves the CLI's commands for the node running from {@code home}, with warm SSH connections.
   * Returns null, after saying why through {@code warn}, when it cannot (not running from a jar, no
   * unix sockets, a path too long for one): the node runs without the fast path.
   */
  static FastPathServer start(HackHome home, Consumer<String> warn) {
    String build = FastPathWire.buildId();
    if (build == null) {
      return null; // not running from a jar (tests, an IDE): clients could not match the build
    }
    WarmClients clients = new WarmClients();
    FastPathServer s =
        start(
            FastPathWire.socket(home.root()),
            build,
            home.root().toString(),
            new PicocliCommands(),
            warn,
            clients);
    if (s == null) {
      clients.close();
    }
    return s;
  }

  /**
   * Listens on {@code socket} (replacing a stale one: the caller makes sure no other server owns
   * it) and answers requests of {@code build} for {@code home} with {@code commands}. {@code
   * clients}, when not null, is installed for the commands and closed with the server.
   */
  static FastPathServer start(
      Path socket,
      String build,
      String home,
      Commands commands,
      Consumer<String> warn,
      WarmClients clients) {
    ServerSocketChannel server = null;
    try {
      Path dir = socket.getParent();
      FileModes.ensurePrivateDir(dir);
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
      Files.deleteIfExists(socket); // left by a node that was killed: this node holds the home
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket), 64);
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      }
      FastPathServer s = new FastPathServer(socket, build, home, commands, warn, server, clients);
      if (clients != null) {
        WarmClients.install(clients, s.timer);
      }
      s.acceptor.start();
      s.requests.execute(commands::prepare);
      return s;
    } catch (IOException | RuntimeException e) {
      warn.accept("the CLI's fast path is off: cannot listen on " + socket + ": " + e);
      if (server != null) {
        try {
          server.close();
          Files.deleteIfExists(socket);
        } catch (IOException ignored) {
          // best effort: a leftover socket file only makes clients fall back
        }
      }
      return null;
    }
  }

  Path socket() {
    return socket;
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (ClosedChannelException e) {
        return; // close()
      } catch (IOException e) {
        if (!closed) {
          warn.accept("the CLI's fast path stopped: " + e);
        }
        return;
      }
      try {
        requests.execute(() -> handle(ch));
      } catch (RejectedExecutionException e) {
        closeQuietly(ch); // busy or closing: the client runs the command itself
      }
    }
  }

  private void handle(SocketChannel ch) {
    // a client that connects and then says nothing (or too little) must not hold this thread
    ScheduledFuture<?> guard =
        timer.schedule(() -> closeQuietly(ch), REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    try (ch) {
      if (!fromOwner(ch)) {
        return;
      }
      Request request = Request.read(ch);
      guard.cancel(false);
      String refusal = request == null ? "protocol" : refusal(request);
      if (refusal != null) {
        FastPathWire.write(ch, FastPathWire.REFUSE, FastPathWire.stringPayload(refusal));
        return;
      }
      Accepted command;
      try {
        command = commands.accept(request.args());
      } catch (Refusal r) {
        FastPathWire.write(ch, FastPathWire.REFUSE, FastPathWire.stringPayload(r.getMessage()));
        return;
      } catch (RuntimeException e) {
        // the command line could not even be built or parsed here: the client's own run will
        // say what is wrong, as it always did
        FastPathWire.write(ch, FastPathWire.REFUSE, FastPathWire.stringPayload(e.toString()));
        return;
      }
      answer(ch, request, command);
      ch.close();
      commands.prepare();
    } catch (IOException e) {
      // the client went away, was too slow to send its request, or sent garbage: it either runs
      // the command itself or was not a hack client; the node carries on
    } finally {
      guard.cancel(false);
    }
  }

  /** Why this node cannot answer {@code r} as the client's own process would; null if it can. */
  private String refusal(Request r) {
    if (!build.equals(r.build())) {
      return "another build of hack (node " + build + ", client " + r.build() + ")";
    }
    if (!home.equals(r.home())) {
      return "another HACK_HOME path (" + home + ")";
    }
    if (!supported(r.outCharset()) || !supported(r.errCharset())) {
      return "unknown charset " + r.outCharset() + " or " + r.errCharset();
    }
    return null;
  }

  private static boolean supported(String charset) {
    try {
      return Charset.isSupported(charset);
    } catch (IllegalArgumentException e) {
      return false; // not even a legal name
    }
  }

  /** Accepts, runs the command, then sends what it printed and its exit status. */
  private static void answer(SocketChannel ch, Request r, Accepted command) throws IOException {
    ByteBuffer accept = ByteBuffer.allocate(16);
    accept.putLong(command.bound().toMillis()).putLong(ProcessHandle.current().pid()).flip();
    FastPathWire.write(ch, FastPathWire.ACCEPT, accept);
    Output output = new Output();
    int exit;
    try (PrintWriter out = output.writer(FastPathWire.OUT, Charset.forName(r.outCharset()));
        PrintWriter err = output.writer(FastPathWire.ERR, Charset.forName(r.errCharset()))) {
      exit = command.run(out, err);
    }
    synchronized (output) {
      if (output.overflow) {
        FastPathWire.write(ch, FastPathWire.REFUSE, FastPathWire.stringPayload("too much output"));
        return;
      }
      for (Output.Chunk c : output.chunks) {
        FastPathWire.write(ch, c.type(), ByteBuffer.wrap(c.bytes()));
      }
    }
    FastPathWire.write(ch, FastPathWire.EXIT, ByteBuffer.allocate(4).putInt(exit).flip());
  }

  /** What a client asks for; see {@link FastPathWire}. */
  private record Request(
      String build, String home, String outCharset, String errCharset, String[] args) {
    /**
     * Reads one request; null when the first frame is not a request of this protocol.
     *
     * @throws IOException when the frame is too big, cut short or malformed
     */
    static Request read(SocketChannel ch) throws IOException {
      ByteBuffer frame = FastPathWire.read(ch, FastPathWire.MAX_REQUEST);
      try {
        if (frame.get() != FastPathWire.REQUEST || frame.getInt() != FastPathWire.MAGIC) {
          return null;
        }
        String build = FastPathWire.getString(frame);
        String home = FastPathWire.getString(frame);
        String out = FastPathWire.getString(frame);
        String err = FastPathWire.getString(frame);
        int argc = frame.getInt();
        if (argc < 0 || argc > frame.remaining() / 4) {
          throw new IOException("argc " + argc + " in a frame of " + frame.limit() + " bytes");
        }
        String[] args = new String[argc];
        for (int i = 0; i < argc; i++) {
          args[i] = FastPathWire.getString(frame);
        }
        return new Request(build, home, out, err, args);
      } catch (BufferUnderflowException e) {
        throw new IOException("a request frame cut short", e);
      }
    }
  }

  /** Whether the peer runs as this node's user; true where the platform cannot say. */
  private boolean fromOwner(SocketChannel ch) throws IOException {
    Optional<UserPrincipal> peer = Platform.current().peerUser(ch);
    if (peer.isEmpty()) {
      return true; // the 0700 directory and the 0600 socket keep others out
    }
    if (peer.get().equals(owner)) {
      return true;
    }
    warn.accept("refused a connection to " + socket + " from user " + peer.get().getName());
    return false;
  }

  /** A command's output, in the order it was flushed, for both streams. */
  private static final class Output {
    record Chunk(byte type, byte[] bytes) {}

    final List<Chunk> chunks = new ArrayList<>();
    private long size;
    boolean overflow;

    /** A writer as picocli makes its own: buffered, flushing on println. */
    PrintWriter writer(byte type, Charset cs) {
      OutputStream sink =
          new OutputStream() {
            @Override
            public void write(int b) {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
              add(type, b, off, len);
            }
          };
      return new PrintWriter(new BufferedWriter(new OutputStreamWriter(sink, cs)), true);
    }

    private synchronized void add(byte type, byte[] b, int off, int len) {
      if (len == 0 || overflow) {
        return;
      }
      size += len;
      if (size > FastPathWire.MAX_OUTPUT) {
        overflow = true;
        chunks.clear();
        return;
      }
      chunks.add(new Chunk(type, java.util.Arrays.copyOfRange(b, off, off + len)));
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing to give up on a client: nothing more to do
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing the listener; the socket file is removed below either way
    }
    try {
      acceptor.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    requests.shutdownNow();
    if (clients != null) {
      WarmClients.uninstall(clients);
      clients.close();
    }
    timer.shutdownNow();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      // a leftover socket only makes clients try, fail and run the command themselves
    }
  }
}
