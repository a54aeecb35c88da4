package dev.loopkit.cluster.impl;

import dev.loopkit.bus.LogValues;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;

/** Whether a configured host is an address of this machine (loopback, or bound to one of its interfaces). */
public final class LocalAddresses {

  private LocalAddresses() {
  }

  /** @return why {@code host} is not a usable address of this machine, or {@code null} when it is */
  public static String problem(String host) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return "cannot be resolved: " + LogValues.quote(host) + " — name an address of this machine (e.g. 127.0.0.1, or its private IP)";
    }
    for (InetAddress a : addresses) {
      if (a.isAnyLocalAddress()) {
        return LogValues.quote(host) + " is the wildcard address: Hazelcast and the event bus need one address they bind to and "
          + "other nodes reach — name an address of this machine (e.g. its private IP)";
      }
      if (a.isLoopbackAddress()) {
        return null;
      }
      try {
        if (NetworkInterface.getByInetAddress(a) != null) {
          return null;
        }
      } catch (SocketException e) {
        return "cannot list this machine's network interfaces: " + e.getMessage();
      }
    }
    return LogValues.quote(host) + " is not an address of this machine (" + describe(addresses) + " is bound to none of its "
      + "network interfaces) — name one of its own addresses; the other nodes go in \"members\"";
  }

  private static String describe(InetAddress[] addresses) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < addresses.length && i < 3; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(addresses[i].getHostAddress());
    }
    return sb.toString();
  }
}
