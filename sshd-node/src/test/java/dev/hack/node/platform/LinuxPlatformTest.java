package dev.hack.node.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.unix.UnixPtyProcess;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Linux's implementation against the real thing: the kernel, the C headers, real programs. */
@EnabledOnOs(OS.LINUX)
class LinuxPlatformTest {
  @TempDir Path dir;

  @Test
  void theBootIdIsOneStableUuidAndAProcessDirectoryIsWhereItRuns() throws Exception {
    String boot = Platform.current().bootId().orElseThrow();
    assertThat(boot).matches("[0-9a-f-]{36}");
    assertThat(Platform.current().bootId()).hasValue(boot);
    Path where = Files.createDirectories(dir.resolve("a dir"));
    Process p = new ProcessBuilder("sleep", "30").directory(where.toFile()).start();
    try {
      assertThat(Platform.current().workingDirectory(p.pid())).hasValue(where.toRealPath());
    } finally {
      p.destroyForcibly().waitFor();
    }
    assertThat(Platform.current().workingDirectory(p.pid())).isEmpty(); // gone
  }

  @Test
  void aZombieDoesNotRunThoughProcessHandleCallsItAlive() throws Exception {
    // sh backgrounds a short sleep, then becomes a long sleep that never waits for it: the short
    // one ends as a zombie, as a node does whose exit its reparenting init has not reaped yet
    Process parent =
        new ProcessBuilder("sh", "-c", "sleep 0.1 & echo $!; exec sleep 30")
            .redirectErrorStream(true)
            .start();
    try {
      long child =
          Long.parseLong(
              new java.io.BufferedReader(
                      new java.io.InputStreamReader(parent.getInputStream(), UTF_8))
                  .readLine()
                  .strip());
      assertThat(Platform.current().isRunning(child)).isTrue();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (Platform.current().isRunning(child) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Platform.current().isRunning(child)).isFalse();
      assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive)).hasValue(true);
      assertThat(Platform.current().isRunning(parent.pid())).isTrue();
    } finally {
      parent.destroyForcibly().waitFor();
    }
    assertThat(Platform.current().isRunning(parent.pid())).isFalse();
    assertThat(Platform.current().isRunning(0)).isFalse();
  }

  @Test
  void anExitDescriptorTurnsReadableWhenTheProgramEnds() throws Exception {
    Process p = new ProcessBuilder("cat").start();
    int fd = Platform.current().exitDescriptor(p.pid()).orElseThrow();
    try {
      int[] set = {fd, Posix.POLLIN};
      assertThat(Posix.poll(set, 1, 0)).as("running: not readable").isZero();
      p.getOutputStream().close(); // cat reads the end of its input and exits
      set[1] = Posix.POLLIN;
      assertThat(Posix.poll(set, 1, 10_000)).isEqualTo(1);
      assertThat(set[1] >>> 16 & Posix.POLLIN).isEqualTo(Posix.POLLIN);
      assertThat(p.waitFor()).isZero();
    } finally {
      Posix.close(fd);
    }
    assertThat(Platform.current().exitDescriptor(-1)).isEmpty();
  }

  /** libc calls this test needs and the node does not. */
  interface TestC extends com.sun.jna.Library {
    TestC C = com.sun.jna.Native.load(com.sun.jna.Platform.C_LIBRARY_NAME, TestC.class);

    int prctl(int option, Object... args);

    int waitpid(int pid, int[] status, int options);
  }

  @Test
  void anEndedProgramIsReapedThroughItsExitDescriptorOrByWaitingForIt() throws Exception {
    // the programs must be children that nothing else reaps (the JDK reaps each Process it
    // started at once): sh starts two and exits, and they become this JVM's, as its subreaper
    int prSetChildSubreaper = 36;
    assertThat(TestC.C.prctl(prSetChildSubreaper, 1L, 0L, 0L, 0L)).isZero();
    int[] pids = new int[3];
    int[] fds = {-1, -1};
    Process sh = null;
    try {
      Path fifo = dir.resolve("fifo");
      assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
      // the JDK closes sh's stdin when sh exits: the reader waits on a fifo instead
      sh =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "(read x < \"$0\"; exit 3) >/dev/null & echo $!; sleep 600 >/dev/null & echo $!;"
                      + " (read x < \"$0\"; exit 7) >/dev/null & echo $!",
                  fifo.toString())
              .start();
      String[] lines = new String(sh.getInputStream().readAllBytes(), UTF_8).strip().split("\n");
      assertThat(sh.waitFor()).isZero();
      for (int i = 0; i < 2; i++) {
        pids[i] = Integer.parseInt(lines[i].strip());
        fds[i] = Platform.current().exitDescriptor(pids[i]).orElseThrow();
      }
      assertThat(Platform.current().reap(fds[0])).as("still running").isEmpty();
      new java.io.FileOutputStream(fifo.toFile()).close(); // the reader's input ends: exit 3
      ProcessHandle.of(pids[1]).orElseThrow().destroyForcibly(); // SIGKILL
      for (int fd : fds) {
        int[] set = {fd, Posix.POLLIN};
        assertThat(Posix.poll(set, 1, 10_000)).isEqualTo(1);
      }
      assertThat(Platform.current().reap(fds[0])).hasValue(3);
      assertThat(Platform.current().reap(fds[1])).hasValue(128 + 9);
      // reaped: gone for good, so no other wait gets it
      int[] status = new int[1];
      assertThat(TestC.C.waitpid(pids[0], status, 0)).isEqualTo(-1);
      assertThat(Platform.current().reap(fds[1])).isEmpty();
      // where there is no exit descriptor: a blocking wait, which reaps too
      pids[2] = Integer.parseInt(lines[2].strip());
      assertThat(Posix.waitForExit(pids[2])).isEqualTo(7);
      assertThat(Posix.waitForExit(pids[2])).as("reaped").isEqualTo(-1);
    } finally {
      TestC.C.prctl(prSetChildSubreaper, 0L, 0L, 0L, 0L);
      for (int fd : fds) {
        if (fd >= 0) {
          Posix.close(fd);
        }
      }
      for (int pid : pids) {
        if (pid > 0) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    }
  }

  @Test
  void thisMachineIsLinux() {
    assertThat(Platform.current()).isSameAs(LinuxPlatform.INSTANCE);
    assertThat(Platform.current().name()).isEqualTo("linux");
    assertThat(Platform.current().initSystem()).isEqualTo(Platform.InitSystem.SYSTEMD);
  }

  @Test
  void theNumbersAndLayoutsAreThoseOfTheCHeaders() throws Exception {
    Assumptions.assumeTrue(onPath("cc"), "no C compiler");
    Path c = dir.resolve("numbers.c");
    Files.writeString(
        c,
        """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <sys/ioctl.h>
        #include <fcntl.h>
        #include <unistd.h>
        #include <poll.h>
        #include <signal.h>
        #include <errno.h>
        int main(void) {
          printf("sockaddr_un %zu\\n", sizeof(struct sockaddr_un));
          printf("sun_path %zu\\n", sizeof(((struct sockaddr_un *)0)->sun_path));
          printf("msghdr %zu\\n", sizeof(struct msghdr));
          printf("msg_iov %zu\\n", offsetof(struct msghdr, msg_iov));
          printf("msg_iovlen %zu\\n", offsetof(struct msghdr, msg_iovlen));
          printf("msg_iovlen_size %zu\\n", sizeof(((struct msghdr *)0)->msg_iovlen));
          printf("msg_control %zu\\n", offsetof(struct msghdr, msg_control));
          printf("msg_controllen %zu\\n", offsetof(struct msghdr, msg_controllen));
          printf("cmsg_len_size %zu\\n", sizeof(((struct cmsghdr *)0)->cmsg_len));
          printf("CMSG_LEN_4 %zu\\n", (size_t) CMSG_LEN(4));
          printf("CMSG_SPACE_4 %zu\\n", (size_t) CMSG_SPACE(4));
          printf("CMSG_SPACE_12 %zu\\n", (size_t) CMSG_SPACE(12));
          printf("SOL_SOCKET %d\\n", SOL_SOCKET);
          printf("SCM_RIGHTS %d\\n", SCM_RIGHTS);
          printf("SOCK_CLOEXEC %d\\n", SOCK_CLOEXEC);
          printf("MSG_CMSG_CLOEXEC %d\\n", MSG_CMSG_CLOEXEC);
          printf("F_DUPFD_CLOEXEC %d\\n", F_DUPFD_CLOEXEC);
          printf("F_GETFD %d\\n", F_GETFD);
          printf("F_SETFD %d\\n", F_SETFD);
          printf("FD_CLOEXEC %d\\n", FD_CLOEXEC);
          printf("TIOCSWINSZ %lu\\n", (unsigned long) TIOCSWINSZ);
          printf("_SC_ARG_MAX %d\\n", _SC_ARG_MAX);
          printf("POLLIN %d\\n", POLLIN);
          printf("POLLOUT %d\\n", POLLOUT);
          printf("pollfd %zu\\n", sizeof(struct pollfd));
          printf("EINTR %d\\n", EINTR);
          printf("EIO %d\\n", EIO);
          printf("SIGUSR1 %d\\n", SIGUSR1);
          printf("SIGUSR2 %d\\n", SIGUSR2);
          printf("SIGCONT %d\\n", SIGCONT);
          printf("SIGTSTP %d\\n", SIGTSTP);
          printf("SIGWINCH %d\\n", SIGWINCH);
          return 0;
        }
        """);
    Path exe = dir.resolve("numbers");
    RealProcesses.Ran cc = RealProcesses.run(List.of("cc", "-o", exe.toString(), c.toString()));
    assertThat(cc.status()).as(cc.output()).isZero();
    Map<String, Long> h = new HashMap<>();
    for (String line : RealProcesses.run(List.of(exe.toString())).output().split("\n")) {
      String[] kv = line.split(" ");
      h.put(kv[0], Long.parseLong(kv[1]));
    }

    SocketLayout l = SocketLayout.LINUX;
    assertThat((long) l.sockaddrSize()).isEqualTo(h.get("sockaddr_un"));
    assertThat((long) l.sunPathSize()).isEqualTo(h.get("sun_path"));
    assertThat((long) l.msghdrSize()).isEqualTo(h.get("msghdr"));
    assertThat((long) SocketLayout.MSG_IOV).isEqualTo(h.get("msg_iov"));
    assertThat((long) SocketLayout.MSG_IOVLEN).isEqualTo(h.get("msg_iovlen"));
    assertThat(l.lengthsAreLong() ? 8L : 4L).isEqualTo(h.get("msg_iovlen_size"));
    assertThat((long) SocketLayout.MSG_CONTROL).isEqualTo(h.get("msg_control"));
    assertThat((long) SocketLayout.MSG_CONTROLLEN).isEqualTo(h.get("msg_controllen"));
    assertThat((long) l.cmsgLenSize()).isEqualTo(h.get("cmsg_len_size"));
    assertThat((long) l.cmsgLen(4)).isEqualTo(h.get("CMSG_LEN_4"));
    assertThat((long) l.cmsgSpace(4)).isEqualTo(h.get("CMSG_SPACE_4"));
    assertThat((long) l.cmsgSpace(12)).isEqualTo(h.get("CMSG_SPACE_12"));
    assertThat((long) l.solSocket()).isEqualTo(h.get("SOL_SOCKET"));
    assertThat((long) SocketLayout.SCM_RIGHTS).isEqualTo(h.get("SCM_RIGHTS"));
    assertThat((long) l.sockCloexec()).isEqualTo(h.get("SOCK_CLOEXEC"));
    assertThat((long) l.msgCmsgCloexec()).isEqualTo(h.get("MSG_CMSG_CLOEXEC"));

    assertThat((long) LinuxPlatform.F_DUPFD_CLOEXEC).isEqualTo(h.get("F_DUPFD_CLOEXEC"));
    assertThat((long) Variadic.F_GETFD).isEqualTo(h.get("F_GETFD"));
    assertThat((long) Variadic.F_SETFD).isEqualTo(h.get("F_SETFD"));
    assertThat((long) Variadic.FD_CLOEXEC).isEqualTo(h.get("FD_CLOEXEC"));
    assertThat(LinuxPlatform.TIOCSWINSZ).isEqualTo(h.get("TIOCSWINSZ"));
    assertThat((long) LinuxPlatform.SC_ARG_MAX).isEqualTo(h.get("_SC_ARG_MAX"));
    assertThat((long) Posix.POLLIN).isEqualTo(h.get("POLLIN"));
    assertThat((long) Posix.POLLOUT).isEqualTo(h.get("POLLOUT"));
    assertThat(h.get("pollfd")).isEqualTo(8L); // Posix.poll's two ints
    assertThat((long) Posix.EINTR).isEqualTo(h.get("EINTR"));
    assertThat((long) Posix.EIO).isEqualTo(h.get("EIO"));
    Platform p = LinuxPlatform.INSTANCE;
    for (String s : List.of("USR1", "USR2", "CONT", "TSTP", "WINCH")) {
      assertThat((long) p.signalNumber(s)).as(s).isEqualTo(h.get("SIG" + s));
    }
  }

  @Test
  void tpgidIsTheSixthFieldAfterTheLastParenthesisOfTheName() {
    String stat = "4242 (a) (b) c) S 1 4242 4242 34816 5151 4194560 0 0";
    assertThat(LinuxPlatform.tpgidOfStat(stat)).hasValue(5151);
    assertThat(LinuxPlatform.tpgidOfStat("7 (bash) S 1 7 7 0 -1 4194560")).isEmpty();
    assertThat(LinuxPlatform.tpgidOfStat("not a stat line")).isEmpty();
  }

  @Test
  void aDuplicateIsAnotherDescriptorForTheSameTerminalMarkedCloseOnExec() throws Exception {
    PtyProcess p = cat();
    try {
      int master = ((UnixPtyProcess) p).getPty().getMasterFD();
      int dup = Platform.current().duplicateCloseOnExec(master);
      assertThat(dup).isGreaterThan(2).isNotEqualTo(master);
      try {
        assertThat(Variadic.C.fcntl(dup, Variadic.F_GETFD) & Variadic.FD_CLOEXEC).isEqualTo(1);
        byte[] hello = "through the duplicate\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(Posix.write(dup, hello, hello.length)).isEqualTo(hello.length);
        RealProcesses.Output out = new RealProcesses.Output(p.getInputStream());
        out.await("through the duplicate");
      } finally {
        Posix.close(dup);
      }
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  @Test
  void aWindowSizeSetOnTheMasterIsWhatTheProgramSees() throws Exception {
    PtyProcess p =
        new PtyProcessBuilder(new String[] {"sh", "-c", "read line; stty size; read line"})
            .setInitialColumns(80)
            .setInitialRows(24)
            .start();
    try {
      RealProcesses.Output out = new RealProcesses.Output(p.getInputStream());
      int master = ((UnixPtyProcess) p).getPty().getMasterFD();
      assertThat(Platform.current().setWindowSize(master, 123, 45)).isTrue();
      p.getOutputStream().write('\n');
      p.getOutputStream().flush();
      out.await("45 123");
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
    assertThat(Platform.current().setWindowSize(-1, 80, 24)).isFalse();
  }

  @Test
  void argMaxIsWhatGetconfSays() throws Exception {
    Assumptions.assumeTrue(onPath("getconf"), "no getconf");
    String getconf = RealProcesses.run(List.of("getconf", "ARG_MAX")).output().strip();
    assertThat(Platform.current().argMax()).isEqualTo(Long.parseLong(getconf));
  }

  @Test
  void thePeerOfAUnixSocketIsThisProcesssUser() throws Exception {
    Path socket = dir.resolve("s.sock");
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
          SocketChannel accepted = server.accept()) {
        assertThat(Platform.current().peerUser(accepted)).contains(Files.getOwner(socket));
        assertThat(Platform.current().peerUser(client)).contains(Files.getOwner(socket));
      }
    }
  }

  @Test
  void signalsHaveLinuxsNumbers() {
    Platform p = LinuxPlatform.INSTANCE;
    assertThat(p.signalNumber("HUP")).isEqualTo(1);
    assertThat(p.signalNumber("SIGKILL")).isEqualTo(9);
    assertThat(p.signalNumber("TERM")).isEqualTo(15);
    assertThat(p.signalName(10)).isEqualTo("SIGUSR1");
    assertThat(p.signalName(30)).isEqualTo("SIGPWR");
    assertThat(p.signalName(0)).isNull();
    assertThat(p.signalName(32)).isNull();
    assertThatThrownBy(() -> p.signalNumber("INFO")).hasMessageContaining("INFO");
  }

  private static PtyProcess cat() throws Exception {
    return new PtyProcessBuilder(new String[] {"cat"}).start();
  }

  private static boolean onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
        return true;
      }
    }
    return false;
  }
}
