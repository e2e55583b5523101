/**
 * @file Per-operation overhead on WebGPU (issue 4): an eager `add` of two 1000-element float32
 * arrays, a cached jit call of a 3-op function, and one iteration of a jitted `lax.fori_loop`
 * (100 iterations per call), each in a loop closed by a readback. Prints wall and CPU (this
 * process, all threads: the calling thread plus the GPU thread and Dawn/lavapipe's) µs per op.
 *
 *   npx tsx bench/webgpu-overhead.ts [--n 2000] [--repeats 5] [--gpu-only]
 */

import "../kernel/index.js";
import * as lax from "../kernel/lax/index.js";
import { Array } from "../kernel/backend/array.js";
import { type Device, cpuDevice, webgpuDevices, webgpuUnavailable } from "../kernel/backend/device.js";
import { jit } from "../kernel/jit/index.js";
import type { Value } from "../kernel/ir/core.js";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("n", 2000);
const REPEATS = arg("repeats", 5);

interface Row { readonly what: string; readonly wall: number; readonly cpu: number }

/** Median µs per op (wall and process CPU) of `repeats` runs of `ops` ops by `run`. */
function measure(what: string, ops: number, run: () => void): Row {
  run(); // compile, warm the caches
  const walls: number[] = [], cpus: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    run();
    const t1 = performance.now(), c1 = process.cpuUsage(c0);
    walls.push(((t1 - t0) * 1000) / ops);
    cpus.push((c1.user + c1.system) / ops);
  }
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return { what, wall: med(walls), cpu: med(cpus) };
}

function rows(device: Device): Row[] {
  const x = Array.fromHost(Float32Array.from({ length: 1000 }, (_, i) => i / 1000), [1000], "float32", { device });
  const y = Array.fromHost(Float32Array.from({ length: 1000 }, (_, i) => 1 - i / 1000), [1000], "float32", { device });
  const eager = () => {
    let acc: Value = x;
    for (let i = 0; i < N; i++) acc = lax.add(acc, y);
    (acc as Array).data();
  };
  const f = jit((a: Value, b: Value) => lax.sin(lax.add(lax.mul(a, b), a)));
  const cached = () => {
    let acc: Value = x;
    for (let i = 0; i < N; i++) acc = f(acc, y);
    (acc as Array).data();
  };
  const loop = jit((a: Value) => lax.foriLoop(0, 100, (_i: Value, v: Value) => lax.add(lax.mul(v, 0.999), lax.mul(lax.sin(v), 0.001)), a));
  const calls = Math.max(1, Math.round(N / 100));
  const fori = () => {
    let acc: Value = x;
    for (let i = 0; i < calls; i++) acc = loop(acc);
    (acc as Array).data();
  };
  return [
    measure("eager add (1000 f32)", N, eager),
    measure("cached jit call (3 ops)", N, cached),
    measure("fori_loop iteration", calls * 100, fori),
  ];
}

const gpu = webgpuDevices()[0];
if (!gpu) throw new Error(`no WebGPU device: ${webgpuUnavailable()}`);
console.log("| device | what | wall µs/op | CPU µs/op |\n|---|---|---|---|");
for (const d of process.argv.includes("--gpu-only") ? [gpu] : [cpuDevice(), gpu]) for (const r of rows(d)) console.log(`| ${d.platform} | ${r.what} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} |`);
