/**
 * The application's HTTP front: {@code GET /health}, {@code GET /metrics} (Prometheus), and HTTP bridges
 * to loopkit's event-bus services ({@code GET /blocking}, {@code POST /fetch}).
 */
package dev.loopkit.http;
