/**
 * Concurrent fetch: asyncio's {@code gather} over aiohttp requests, on Vert.x, with the holes closed —
 * losers cancelled down to the socket, total (not idle) deadlines, bounded queues, an SSRF-safe host policy
 * checked on resolved addresses and every redirect hop.
 *
 * <ul>
 *   <li>{@link dev.loopkit.fetch.FetchVerticle}: the event-bus service on {@code loopkit.fetch} (and behind
 *   {@code POST /fetch});</li>
 *   <li>{@link dev.loopkit.fetch.FetchEngine}: the same engine from Java, without the bus;</li>
 *   <li>{@link dev.loopkit.fetch.FetchOptions}: limits, deadlines and the host policy, strictly validated;</li>
 *   <li>{@link dev.loopkit.fetch.FetchRequest}, {@link dev.loopkit.fetch.FetchReply},
 *   {@link dev.loopkit.fetch.FetchResult}, {@link dev.loopkit.fetch.FetchMode},
 *   {@link dev.loopkit.fetch.FetchErrorCode}: the request/reply contract.</li>
 * </ul>
 * Machinery (limiter, exchanges, host rules, URL parsing) lives in {@code impl}. See the README, section Concurrent fetch.
 */
package dev.loopkit.fetch;
