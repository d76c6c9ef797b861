package dev.hack.node.gateway;

import dev.hack.keys.TokenStore;

/** Who made a request: the token's id (never its secret) and scope, and where it came from. */
record Caller(String tokenId, TokenStore.Scope scope, String remote) {}
