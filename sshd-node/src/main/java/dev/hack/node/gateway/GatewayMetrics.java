package dev.hack.node.gateway;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counters behind {@code /v1/metrics} and {@code /metrics}. */
final class GatewayMetrics {
  final AtomicLong requests = new AtomicLong();
  final AtomicInteger streamsActive = new AtomicInteger();
  final AtomicLong streamsOpened = new AtomicLong();
  final AtomicLong streamBytesSent = new AtomicLong();
  final Map<Integer, AtomicLong> errors = new ConcurrentHashMap<>();

  void countError(int status) {
    errors.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
  }

  void streamOpened() {
    streamsOpened.incrementAndGet();
    streamsActive.incrementAndGet();
  }

  void streamClosed() {
    streamsActive.decrementAndGet();
  }
}
