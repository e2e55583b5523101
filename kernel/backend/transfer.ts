/**
 * @file Moving arrays between devices and waiting for them: `devicePut(x, device)` (a copy of the
 * bytes, CPU ⇄ WebGPU), `devicesOf(x)` (JAX's `x.devices()`), `blockUntilReady(x)`.
 */

import { type Value, Tracer } from "../ir/core.js";
import { ITEMSIZE } from "../ir/dtype.js";
import { treeLeaves } from "../ir/pytree.js";
import { Array as KArray, RcBuffer } from "./array.js";
import { type Device, defaultDevice } from "./device.js";
import { toArray } from "./eager.js";

/**
 * A copy of `x` on `device` (`x` itself when it is already there). Storage is byte-identical on
 * every backend (float16 as its bits, bools as bytes), so the copy is the raw bytes. Tracers pass
 * through: inside a transformation, placement is the computation's business.
 */
export function devicePut(x: Value, device: Device = defaultDevice()): Value {
  if (x instanceof Tracer) return x;
  const a = toArray(x, device);
  if (a.device === device && a.devices().length === 1) return a;
  const bytes = a.size * ITEMSIZE[a.dtype];
  const data = a.data();
  const buf = device.backend.alloc(bytes);
  device.backend.write(buf, new Uint8Array(data.buffer, data.byteOffset, bytes));
  return new KArray(a.aval, new RcBuffer(device, buf));
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
