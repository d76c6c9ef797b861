/**
 * What differs between the systems hack runs on, and every native call: {@link
 * dev.hack.node.platform.Platform} ({@link dev.hack.node.platform.LinuxPlatform}, {@link
 * dev.hack.node.platform.MacPlatform}) for what the caller needs done ("the foreground group of
 * this process", "start this in a session of its own", "who is on the other end of this socket"),
 * {@link dev.hack.node.platform.Posix} for the libc calls that are the same on both, and {@link
 * dev.hack.node.platform.UnixSocket} for passing descriptors.
 *
 * <p>The wall: nothing outside this package uses JNA, {@code jdk.net}'s socket options, {@code
 * /proc}, {@code setsid} or {@code os.name} (cli's {@code ArchitectureTest} and {@code
 * LinuxOnlyCallsTest}), and this package uses nothing of hack. docs/platforms.md says what each
 * system does and what of macOS is untested.
 */
package dev.hack.node.platform;
