/**
 * Headless terminal screen model: {@link dev.hack.node.screen.VtScreen} follows an application's
 * output like an xterm-compatible terminal would, so that a client attaching later can be sent a
 * repaint of the current screen instead of a replay of the whole output.
 */
package dev.hack.node.screen;
