/**
 * @file The elementwise primitives of `jax.lax`: unary math (unary.ts), binary arithmetic and
 * bitwise ops (binary.ts), comparisons, select_n and clamp (select.ts), bitcast_convert_type and
 * stop_gradient (bitcast.ts). Importing this module registers their stanzas.
 */

export * from "./unary.js";
export * from "./binary.js";
export * from "./select.js";
export * from "./bitcast.js";
