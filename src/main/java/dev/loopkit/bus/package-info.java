/**
 * The event-bus contract in one place: {@link dev.loopkit.bus.Addresses addresses},
 * {@link dev.loopkit.bus.Headers headers}, {@link dev.loopkit.bus.FailureCode failure codes} and the
 * {@link dev.loopkit.bus.Replies reply helpers} every loopkit consumer uses, plus
 * {@link dev.loopkit.bus.BusRequest}, an event-bus request that a {@link dev.loopkit.async.CancelScope}
 * can cancel (its reply consumer and timer are released at once).
 */
package dev.loopkit.bus;
