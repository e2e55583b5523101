/** @file Helpers for the backend tests: a seeded generator, and running a kernel on a device. */

// The test harness (default device, fixtures) as every kernel test sees it.
import "../util.js";
import { ITEMSIZE } from "../../kernel/ir/dtype.js";
import type { HostData } from "../../kernel/ir/rules.js";
import type { Kernel } from "../../kernel/codegen/exp.js";
import type { Device } from "../../kernel/backend/device.js";

/** A seeded generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs a kernel on a device's backend over host inputs; returns the outputs' bytes as typed arrays. */
export function runKernel(device: Device, k: Kernel, inputs: readonly HostData[]): HostData[] {
  const b = device.backend;
  const exe = b.compile(k);
  const ins = inputs.map((d) => {
    const buf = b.alloc(d.byteLength);
    b.write(buf, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    return buf;
  });
  const outs = k.outputs.map((o) => b.alloc(k.size * ITEMSIZE[o.dtype]));
  b.dispatch(exe, ins, outs);
  const res = outs.map((buf, i) => b.read(buf, k.outputs[i].dtype, k.size));
  for (const buf of [...ins, ...outs]) b.free(buf);
  return res;
}

