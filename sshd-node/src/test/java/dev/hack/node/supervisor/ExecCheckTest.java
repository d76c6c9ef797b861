package dev.hack.node.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The one limit no client can reach through a door of its own (the gateway takes 1 MiB, SSH 64 KiB
 * of command line, and the total is 2 MiB): many variables each under the per-string limit.
 */
class ExecCheckTest {
  @Test
  void argumentsAndEnvironmentOverTheTotalAreRefusedNamingTheLargestVariable() {
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      env.put("V" + i, "x".repeat(100_000));
    }
    env.put("BIGGEST", "x".repeat(120_000));

    String why = ExecCheck.tooLarge(List.of("true"), env);

    assertThat(why)
        .startsWith("the arguments and environment take ")
        .contains("over this node's limit of ")
        .contains("(the largest variable is 'BIGGEST', 120008 bytes)")
        .endsWith("(Argument list too long)")
        .doesNotContain("xxxx");
    assertThat(ExecCheck.tooLarge(List.of("true"), Map.of("SMALL", "x".repeat(100_000)))).isNull();
  }
}
