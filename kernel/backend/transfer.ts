/**
 * @file Moving arrays between devices and waiting for them: `devicePut(x, device)` (a copy of the
 * bytes, CPU ⇄ WebGPU), `devicesOf(x)` (JAX's `x.devices()`), `blockUntilReady(x)`.
 */

import { type Value, Tracer } from "../ir/core.js";
import { treeLeaves } from "../ir/pytree.js";
import { Array as KArray } from "./array.js";
import type { Device } from "./device.js";
import { toArray } from "./eager.js";

/**
 * `x` on `device`: a copy of its bytes when it is elsewhere (storage is byte-identical on every
 * backend: float16 as its bits, bools as bytes). With a device the result is committed to it (JAX's
 * device_put(x, device)); without, it is `x` (a Python-like value becomes an array on the default
 * device), uncommitted.
 * Tracers pass through: inside a transformation, placement is the computation's business.
 */
export function devicePut(x: Value, device?: Device): Value {
  if (x instanceof Tracer) return x;
  if (!device) return x instanceof KArray ? x : toArray(x);
  const a = toArray(x, device);
  const commit = (c: KArray): KArray => {
    c.committed = true;
    return c;
  };
  // An array over several devices (sharded) is assembled on this one.
  if (a.devices().length > 1) return commit(a.copyTo(device));
  // A new array (moved here, or made from a scalar), or `x` itself, committed as a new reference.
  if (a !== x) return commit(a);
  return a.committed ? a : commit(a.withAval(a.aval));
}

/** The devices holding `x` (JAX's `x.devices()`). */
export function devicesOf(x: KArray): Set<Device> {
  return new Set(x.devices());
}

/** Waits until the work producing the arrays of the pytree `x` has finished; returns `x`. */
export function blockUntilReady<T>(x: T): T {
  for (const leaf of treeLeaves(x)) if (leaf instanceof KArray) leaf.blockUntilReady();
  return x;
}
