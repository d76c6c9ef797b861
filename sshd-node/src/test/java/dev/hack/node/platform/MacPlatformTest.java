package dev.hack.node.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The parts of macOS's implementation that run anywhere: choosing it, reading {@code ps}, Darwin's
 * numbers. Its {@code ps} and Perl helper also run against Linux's in {@link ForegroundGroupTest}
 * and {@link NewSessionTest}; its layouts are in {@link SocketLayoutTest}. The values expected here
 * are those of the macOS headers (xnu {@code bsd/sys/signal.h}, {@code bsd/sys/fcntl.h}, {@code
 * bsd/sys/ttycom.h}, Libc {@code unistd.h}), written out independently of the code's.
 */
class MacPlatformTest {
  @Test
  void thePlatformIsChosenByTheOsName() {
    assertThat(Platform.forOsName("Mac OS X")).isSameAs(MacPlatform.INSTANCE);
    assertThat(Platform.forOsName("Linux")).isSameAs(LinuxPlatform.INSTANCE);
    assertThat(Platform.forOsName("FreeBSD")).isNull();
    assertThat(Platform.forOsName(null)).isNull();
    assertThat(MacPlatform.INSTANCE.name()).isEqualTo("macos");
    assertThat(MacPlatform.INSTANCE.initSystem()).isEqualTo(Platform.InitSystem.LAUNCHD);
  }

  @Test
  void lsofNamesTheDirectoryOnItsNLine() {
    assertThat(MacPlatform.cwdOfLsof("p4242\nfcwd\nn/Users/me/my project\n"))
        .hasValue(java.nio.file.Path.of("/Users/me/my project"));
    assertThat(MacPlatform.cwdOfLsof("")).isEmpty();
  }

  @Test
  void psPrintsOneBlankPaddedNumberOrNothing() {
    assertThat(MacPlatform.tpgidOfPs("  4242\n")).hasValue(4242);
    assertThat(MacPlatform.tpgidOfPs("17")).hasValue(17);
    assertThat(MacPlatform.tpgidOfPs("")).isEmpty(); // no such process: ps prints nothing
    assertThat(MacPlatform.tpgidOfPs("    0\n")).isEmpty(); // macOS: no controlling terminal
    assertThat(MacPlatform.tpgidOfPs("   -1\n")).isEmpty(); // Linux's ps says it so
    assertThat(MacPlatform.tpgidOfPs("TPGID\n  42\n")).isEmpty(); // a header: not this format
    assertThat(MacPlatform.tpgidOfPs("ps: illegal option")).isEmpty();
  }

  @Test
  void theIoctlAndFcntlAndSysconfNumbersAreDarwins() {
    assertThat(MacPlatform.TIOCSWINSZ).isEqualTo(0x80087467L); // _IOW('t', 103, struct winsize)
    assertThat(MacPlatform.ioctlWrite('t', 103, 8)).isEqualTo(0x80087467L);
    assertThat(MacPlatform.F_DUPFD_CLOEXEC).isEqualTo(67);
    assertThat(MacPlatform.SC_ARG_MAX).isEqualTo(1);
  }

  @Test
  void signalsHaveDarwinsNumbers() {
    Platform mac = MacPlatform.INSTANCE;
    assertThat(mac.signalNumber("HUP")).isEqualTo(1);
    assertThat(mac.signalNumber("INT")).isEqualTo(2);
    assertThat(mac.signalNumber("QUIT")).isEqualTo(3);
    assertThat(mac.signalNumber("KILL")).isEqualTo(9);
    assertThat(mac.signalNumber("TERM")).isEqualTo(15);
    assertThat(mac.signalNumber("TSTP")).isEqualTo(18);
    assertThat(mac.signalNumber("CONT")).isEqualTo(19);
    assertThat(mac.signalNumber("SIGUSR1")).isEqualTo(30);
    assertThat(mac.signalNumber("USR2")).isEqualTo(31);
    assertThat(mac.signalNumber("WINCH")).isEqualTo(28);
    assertThat(mac.signalName(10)).isEqualTo("SIGBUS"); // Linux's SIGUSR1
    assertThat(mac.signalName(29)).isEqualTo("SIGINFO");
    assertThat(mac.signalName(32)).isNull();
    assertThatThrownBy(() -> mac.signalNumber("PWR")).hasMessageContaining("PWR");
  }

  @Test
  void theHelperIsTheSystemsPerlEndingItsOptions() {
    List<String> helper = MacPlatform.INSTANCE.newSessionCommand();
    if (!helper.isEmpty()) { // where /usr/bin/perl is (NewSessionTest runs it)
      assertThat(helper)
          .containsExactly("/usr/bin/perl", "-e", MacPlatform.NEW_SESSION_SCRIPT, "--");
    }
  }
}
