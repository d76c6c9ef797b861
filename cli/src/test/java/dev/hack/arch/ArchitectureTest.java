package dev.hack.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The walls of docs/architecture.md, checked on the compiled classes of every module (this module
 * sees them all). A rule that fails names the class and the dependency that crossed the wall.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importTheProduct() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ArchitectureTest::notATestJar)
            .importPackages("dev.hack");
  }

  private static boolean notATestJar(Location location) {
    String where = location.toString();
    return !where.contains("-tests.jar") && !where.contains("/test-classes/");
  }

  @Test
  void theDoorsDoNotKnowEachOther() {
    noClasses()
        .that()
        .resideInAPackage("dev.hack.node.ssh..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hack.node.gateway..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("dev.hack.node.gateway..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hack.node.ssh..")
        .check(classes);
  }

  @Test
  void theDoorsReachTheNodeThroughItsContextOnly() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.hack.node.ssh..", "dev.hack.node.gateway..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("dev.hack.node.Node")
        .check(classes);
  }

  @Test
  void theTextIsForEveryDoor() {
    noClasses()
        .that()
        .resideInAPackage("dev.hack.node.text..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hack.node.ssh..",
            "dev.hack.node.gateway..",
            "dev.hack.node.service..",
            "dev.hack.tui..",
            "dev.hack.cli..")
        .check(classes);
  }

  @Test
  void theCoreKnowsNoDoor() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.hack.node.supervisor..",
            "dev.hack.node.jobs..",
            "dev.hack.node.screen..",
            "dev.hack.node.project..",
            "dev.hack.node.mesh..",
            "dev.hack.node.config..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hack.node.ssh..",
            "dev.hack.node.gateway..",
            "dev.hack.node.service..",
            "dev.hack.tui..",
            "dev.hack.cli..")
        .check(classes);
  }

  @Test
  void theServicesKnowNoDoor() {
    noClasses()
        .that()
        .resideInAPackage("dev.hack.node.service..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hack.node.ssh..", "dev.hack.node.gateway..", "dev.hack.tui..", "dev.hack.cli..")
        .check(classes);
  }

  @Test
  void theApiIsALeafThatClientsCanTakeAlone() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.hack.node.api..", "dev.hack.node.client..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hack.node",
            "dev.hack.node.ssh..",
            "dev.hack.node.gateway..",
            "dev.hack.node.supervisor..",
            "dev.hack.node.jobs..",
            "dev.hack.node.mesh..",
            "dev.hack.node.screen..",
            "dev.hack.node.service..",
            "dev.hack.tui..",
            "dev.hack.cli..")
        .check(classes);
  }

  @Test
  void theTuiSeesOnlyTheApi() {
    noClasses()
        .that()
        .resideInAPackage("dev.hack.tui..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.hack.node",
            "dev.hack.node.ssh..",
            "dev.hack.node.gateway..",
            "dev.hack.node.supervisor..",
            "dev.hack.node.jobs..",
            "dev.hack.node.mesh..",
            "dev.hack.node.screen..",
            "dev.hack.node.project..",
            "dev.hack.node.config..",
            "dev.hack.cli..")
        .check(classes);
  }

  @Test
  void nothingButTheCliReachesIntoTheCli() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.hack.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hack.cli..")
        .check(classes);
  }

  /**
   * What differs between Linux and macOS is behind {@code dev.hack.node.platform.Platform}
   * (docs/platforms.md): nothing else calls native code through JNA (fcntl, ioctl, prctl, pipe2,
   * struct layouts, errno values) or reads the JDK's OS-specific socket options ({@code
   * jdk.net.ExtendedSocketOptions.SO_PEERCRED}). pty4j's own classes are pty4j's business. The
   * string-shaped calls ({@code /proc}, {@code setsid}, {@code os.name}) are {@link
   * LinuxOnlyCallsTest}'s.
   */
  @Test
  void onlyThePlatformCallsNativeCodeOrSystemSpecificSocketOptions() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.hack.node.platform..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.sun.jna..", "jdk.net..")
        .because("system-specific calls belong behind dev.hack.node.platform.Platform")
        .check(classes);
  }

  @Test
  void thePlatformIsALeaf() {
    noClasses()
        .that()
        .resideInAPackage("dev.hack.node.platform..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("dev.hack..").and(resideOutsideOfPackage("dev.hack.node.platform..")))
        .check(classes);
  }
}
