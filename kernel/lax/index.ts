/** @file `jax.lax`: every primitive's stanza is registered by importing this module. */

export * from "./elementwise.js";
export * from "./structural.js";
