package dev.loopkit.config;

/**
 * Marks a verticle that deploys an application from a config — {@link dev.loopkit.MainVerticle} and its
 * subclasses. Such a verticle is never a valid {@code verticles.<name>.class}: deployed by the application
 * it belongs to, it would deploy the application again, and again, forever. {@link VerticleSpec#read}
 * refuses it at validation, before anything is deployed.
 */
public interface ApplicationVerticle {
}
