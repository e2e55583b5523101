/** @file `jax.lax`: every primitive's stanza is registered by importing this module. */

export * from "./elementwise.js";
export * from "./structural.js";
export * from "./slicing.js";
export * from "./gather.js";
export * from "./scatter.js";
export * from "./reduce.js";
export * from "./cumulative.js";
export * from "./sort.js";
export * from "./control.js";
export * from "./dot.js";
export * from "./linalg.js";
export * from "./debug.js";
