package dev.hack.cli;

import dev.hack.keys.HackHome;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The thin client of the fast path: {@link Main} asks it first, before picocli or anything else is
 * loaded. For a few read-only listings whose output depends on nothing but {@code HACK_HOME} and
 * argv ({@code session list}, {@code node list}, {@code project list}) it hands argv to the node
 * running from this {@code HACK_HOME} over {@code HACK_HOME/run/cli.sock} and prints what the
 * node's run of the same command printed, byte for byte, with its exit status. The node keeps its
 * JVM, its JIT and its SSH connections warm; this JVM only starts, connects and copies.
 *
 * <p>Any failure (no socket, a node from another build, a refusal, a timeout, a broken frame)
 * returns {@link #NOT_SERVED} before anything was printed: the command then runs in this process as
 * it always did. That is safe to do late because every command served here only reads. {@code
 * HACK_NO_DAEMON=1} turns the fast path off; {@code HACK_FASTPATH_DEBUG=1} says on stderr which
 * path a command took.
 *
 * <p>Like {@link FastPathWire}, this class is kept to {@code java.base} without lambdas, records or
 * string concatenation, so that it loads few classes. Single-threaded, apart from a watchdog thread
 * that closes the socket when the node takes too long.
 */
final class FastPath {
  /** What {@link #run} returns when the caller has to run the command itself. */
  static final int NOT_SERVED = -1;

  /** How long a node may take to accept or refuse a request. */
  static final long ACCEPT_TIMEOUT_MILLIS = 5_000;

  private FastPath() {}

  /**
   * Runs {@code args} on the local node if it is a command the fast path serves and the node takes
   * it; returns its exit status after printing its output, or {@link #NOT_SERVED} with nothing
   * printed.
   */
  static int run(String[] args) {
    boolean debug = flag("HACK_FASTPATH_DEBUG");
    if (!eligible(args)) {
      note(debug, "not a fast-path command");
      return NOT_SERVED;
    }
    if (flag("HACK_NO_DAEMON")) {
      note(debug, "off (HACK_NO_DAEMON)");
      return NOT_SERVED;
    }
    String build = FastPathWire.buildId();
    if (build == null) {
      note(debug, "off (not running from a jar)");
      return NOT_SERVED;
    }
    Path home;
    try {
      home = HackHome.fromEnvironment().root();
    } catch (RuntimeException e) {
      note(debug, "off (HACK_HOME is not a path)");
      return NOT_SERVED;
    }
    Reply reply = request(FastPathWire.socket(home), build, home.toString(), args);
    if (reply.refusal != null) {
      note(debug, reply.refusal);
      return NOT_SERVED;
    }
    if (debug) {
      System.err.println(
          new StringBuilder("hack: fast path: served by the node (pid ")
              .append(reply.nodePid)
              .append(')')
              .toString());
    }
    reply.print(System.out, System.err);
    return reply.exit;
  }

  /**
   * Whether argv names a command the fast path serves. Only a first cut: the node parses argv with
   * the real command line and refuses the rest (usage errors, {@code --help}).
   */
  static boolean eligible(String[] args) {
    if (args.length < 2) {
      return false;
    }
    String verb = args[1];
    switch (args[0]) {
      case "session":
        return verb.equals("list") || verb.equals("ls");
      case "node":
      case "project":
        return verb.equals("list");
      default:
        return false;
    }
  }

  private static boolean flag(String name) {
    String v = System.getenv(name);
    return v != null && !v.isEmpty() && !v.equals("0");
  }

  private static void note(boolean debug, String why) {
    if (debug) {
      System.err.println("hack: fast path: not used: ".concat(why));
    }
  }

  /** The node's answer: a refusal, or the output in order and the exit status. */
  static final class Reply {
    String refusal;
    long nodePid;
    int exit;
    final List<ByteBuffer> frames = new ArrayList<>();

    static Reply refused(String why) {
      Reply r = new Reply();
      r.refusal = why;
      return r;
    }

    /** Writes the output frames to the streams they came from, in the order they came. */
    void print(PrintStream out, PrintStream err) {
      for (ByteBuffer f : frames) {
        PrintStream to = f.get(0) == FastPathWire.OUT ? out : err;
        to.write(f.array(), f.arrayOffset() + 1, f.limit() - 1);
        to.flush();
      }
    }
  }

  /** Sends one request to the node at {@code socket} and collects the whole answer. */
  static Reply request(Path socket, String build, String home, String[] args) {
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException | UnsupportedOperationException e) {
      return Reply.refused("no unix domain sockets here");
    }
    Watchdog watchdog = null;
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
      watchdog = new Watchdog(ch, ACCEPT_TIMEOUT_MILLIS);
      watchdog.start();
      FastPathWire.write(ch, FastPathWire.REQUEST, encode(build, home, args));
      ByteBuffer first = FastPathWire.read(ch, FastPathWire.MAX_REQUEST);
      if (first.get(0) == FastPathWire.REFUSE) {
        first.position(1);
        return Reply.refused("refused by the node: ".concat(FastPathWire.getString(first)));
      }
      if (first.get(0) != FastPathWire.ACCEPT) {
        return Reply.refused("unexpected answer from the node");
      }
      first.position(1);
      long waitMillis = first.getLong();
      long nodePid = first.getLong();
      watchdog.extend(waitMillis);
      Reply reply = new Reply();
      reply.nodePid = nodePid;
      long total = 0;
      while (true) {
        ByteBuffer f = FastPathWire.read(ch, FastPathWire.MAX_OUTPUT + 1);
        byte type = f.get(0);
        if (type == FastPathWire.OUT || type == FastPathWire.ERR) {
          total += f.limit() - 1;
          if (total > FastPathWire.MAX_OUTPUT) {
            return Reply.refused("too much output");
          }
          reply.frames.add(f);
        } else if (type == FastPathWire.EXIT) {
          reply.exit = f.getInt(1);
          return reply;
        } else if (type == FastPathWire.REFUSE) {
          f.position(1);
          return Reply.refused("refused by the node: ".concat(FastPathWire.getString(f)));
        } else {
          return Reply.refused("unexpected answer from the node");
        }
      }
    } catch (IOException | RuntimeException e) {
      if (watchdog != null && watchdog.fired) {
        return Reply.refused("the node did not answer in time");
      }
      String why = e.getMessage();
      return Reply.refused(
          new StringBuilder("cannot talk to the node at ")
              .append(socket)
              .append(": ")
              .append(why == null ? e.getClass().getName() : why)
              .toString());
    } finally {
      if (watchdog != null) {
        watchdog.finish();
      }
      try {
        ch.close();
      } catch (IOException e) {
        // closing a unix socket we only read from: nothing is lost
      }
    }
  }

  private static ByteBuffer encode(String build, String home, String[] args) {
    byte[][] strings = new byte[4 + args.length][];
    strings[0] = FastPathWire.utf8(build);
    strings[1] = FastPathWire.utf8(home);
    strings[2] = FastPathWire.utf8(charset("sun.stdout.encoding"));
    strings[3] = FastPathWire.utf8(charset("sun.stderr.encoding"));
    int size = 8;
    for (int i = 0; i < args.length; i++) {
      strings[4 + i] = FastPathWire.utf8(args[i]);
    }
    for (byte[] s : strings) {
      size += 4 + s.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    b.putInt(FastPathWire.MAGIC);
    for (int i = 0; i < 4; i++) {
      FastPathWire.putString(b, strings[i]);
    }
    b.putInt(args.length);
    for (int i = 4; i < strings.length; i++) {
      FastPathWire.putString(b, strings[i]);
    }
    return b.flip();
  }

  /**
   * The charset this JVM's {@code System.out} (or {@code err}) and picocli's writers encode with:
   * the JDK's property if set, else the default charset.
   */
  private static String charset(String property) {
    String name = System.getProperty(property);
    return name != null ? name : Charset.defaultCharset().name();
  }

  /** Closes the socket when the node takes longer than it should, so no read blocks forever. */
  private static final class Watchdog extends Thread {
    private final SocketChannel ch;
    private volatile long deadline;
    private volatile boolean done;
    volatile boolean fired;

    Watchdog(SocketChannel ch, long millis) {
      super("hack-fastpath-watchdog");
      setDaemon(true);
      this.ch = ch;
      this.deadline = System.nanoTime() + millis * 1_000_000L;
    }

    void extend(long millis) {
      deadline = System.nanoTime() + Math.max(0, Math.min(millis, 86_400_000L)) * 1_000_000L;
    }

    void finish() {
      done = true;
      interrupt();
    }

    @Override
    public void run() {
      while (!done) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fired = true;
          try {
            ch.close(); // wakes the blocked read with AsynchronousCloseException
          } catch (IOException e) {
            // already closing: the read fails either way
          }
          return;
        }
        try {
          Thread.sleep(left / 1_000_000L + 1);
        } catch (InterruptedException e) {
          return; // finish(): the request is over
        }
      }
    }
  }
}
