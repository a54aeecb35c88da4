/**
 * Fetch engine machinery: {@code FetchEngineImpl} (client, pool, calls), {@code Call} (modes, results,
 * loser cancellation), {@code Exchange} (one request hop by hop: policy, slot, connection, body cap, reset),
 * {@code Limiter} (global/per-host slots, bounded queue), {@code HostRules} (SSRF policy), {@code Target}
 * (URL parsing), {@code Prepared} (request validation), {@code Bodies}, {@code HandoffCodec}. Not API.
 */
package dev.loopkit.fetch.impl;
