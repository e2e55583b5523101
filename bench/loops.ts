/**
 * @file Loop benchmark (run at the end of bench/run.sh): time per iteration of control flow
 * inside jit and eagerly — a fori_loop of gradient descent on a small least-squares problem, a
 * fori_loop over 1000 floats, a while_loop with a data-dependent predicate, a cumulative scan,
 * and cond inside a jitted loop body — on each device asked for, next to the same loops written
 * in NumPy and PyTorch (one Python iteration per step, as their users write them).
 *
 *   npx tsx bench/loops.ts [--devices cpu,webgpu] [--repeats 5] [--only TEXT] [--no-refs]
 */

import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import "../kernel/index.js";
import * as lax from "../kernel/lax/index.js";
import { jit } from "../kernel/jit/index.js";
import { grad } from "../kernel/ad/index.js";
import type { Value } from "../kernel/ir/core.js";
import { Array as KArray } from "../kernel/backend/array.js";
import { type Device, cpuDevice, setDefaultDevice, webgpuDevices, webgpuUnavailable } from "../kernel/backend/device.js";

const here = path.dirname(fileURLToPath(import.meta.url));

/** A loop case: `run` performs `iters` iterations and returns the result. */
interface LoopCase {
  readonly name: string;
  readonly iters: number;
  run(): unknown;
}

const N = 1000;

function cases(device: Device): LoopCase[] {
  const lin = (n: number, lo: number, hi: number): KArray =>
    KArray.fromHost(Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1)), [n], "float32", { device });
  const x0 = lin(N, -1, 1);
  // Least squares: loss(w) = mean((A w - b)^2) with A: 64x16, gradient descent with step 0.01.
  const A = KArray.fromHost(Float32Array.from({ length: 64 * 16 }, (_, i) => Math.sin(i * 0.37)), [64, 16], "float32", { device });
  const b = lin(64, -2, 2);
  const w0 = KArray.fromHost(new Float32Array(16), [16], "float32", { device });
  const loss = (w: Value): Value => {
    const r = lax.sub(lax.dotGeneral(A, w, [[[1], [0]], [[], []]]), b);
    return lax.div(lax.reduceSum(lax.mul(r, r), [0]), 64);
  };
  const g = grad(loss) as (w: Value) => Value;
  const gd = jit((w: Value) => lax.foriLoop(0, 1000, (_i: Value, v: Value) => lax.sub(v, lax.mul(0.01, g(v))), w));
  const elementwise = jit((x: Value) => lax.foriLoop(0, 1000, (_i: Value, v: Value) => lax.add(lax.mul(v, 0.999), lax.mul(lax.sin(v), 0.001)), x));
  const eagerFori = (x: Value) => lax.foriLoop(0, 1000, (_i: Value, v: Value) => lax.add(lax.mul(v, 0.999), lax.mul(lax.sin(v), 0.001)), x);
  // x halves until its norm falls below 1e-30: 55 iterations, decided on the device.
  const whileCase = jit((x: Value) => lax.whileLoop(
    ([, v]: [Value, Value]) => lax.gt(lax.reduceSum(lax.mul(v, v), [0]), 1e-30),
    ([k, v]: [Value, Value]): [Value, Value] => [lax.add(k, 1), lax.mul(v, 0.5)],
    [KArray.scalar(0, "int32", false, device) as Value, x],
  ));
  const cumsum = jit((xs: Value) => lax.scan((c: Value, x: Value) => { const s = lax.add(c, x); return [s, s]; }, KArray.scalar(0, "float32", false, device) as Value, xs));
  const condLoop = jit((x: Value) => lax.foriLoop(0, 1000, (i: Value, v: Value) =>
    lax.cond(lax.eq(lax.rem(i, 2), 0), (u: Value) => lax.mul(u, 1.001), (u: Value) => lax.sub(u, 0.001), v) as Value, x));
  return [
    { name: "jit fori_loop gradient descent (64x16 least squares)", iters: 1000, run: () => gd(w0) },
    { name: "jit fori_loop elementwise (1000 floats)", iters: 1000, run: () => elementwise(x0) },
    { name: "eager fori_loop elementwise (1000 floats)", iters: 1000, run: () => eagerFori(x0) },
    { name: "jit while_loop data-dependent (1000 floats)", iters: 55, run: () => whileCase(x0) },
    { name: "jit scan cumulative sum (1000 steps)", iters: 1000, run: () => cumsum(x0) },
    { name: "jit fori_loop with cond (1000 floats)", iters: 1000, run: () => condLoop(x0) },
  ];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function settle(x: unknown): void {
  const leaves = Array.isArray(x) ? x.flat(3) : [x];
  for (const l of leaves) {
    if (l instanceof KArray) {
      l.data();
      l.dispose();
    }
  }
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Median (and best) wall and median CPU (all threads) microseconds per iteration: CPU time and the best run are steadier on a shared machine. */
function timeCase(c: LoopCase, repeats: number): { wall: number; min: number; cpu: number } {
  settle(c.run());
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const c0 = cpuNow(), t = performance.now();
    settle(c.run());
    wall.push(performance.now() - t);
    cpu.push(cpuNow() - c0);
  }
  return { wall: (median(wall) * 1000) / c.iters, min: (Math.min(...wall) * 1000) / c.iters, cpu: (median(cpu) * 1000) / c.iters };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let devices = ["cpu"];
  let repeats = 5;
  let refs = true;
  let only = "";
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--devices") devices = argv[++i].split(",");
    else if (argv[i] === "--repeats") repeats = Number(argv[++i]);
    else if (argv[i] === "--no-refs") refs = false;
    else if (argv[i] === "--only") only = argv[++i];
    else throw new Error(`unknown option ${argv[i]} (see bench/loops.ts)`);
  }
  const rows: [string, string, string, string, string][] = [];
  for (const name of devices) {
    let device: Device;
    if (name === "cpu") device = cpuDevice();
    else {
      const d = webgpuDevices()[0];
      if (!d) throw new Error(`no WebGPU device: ${webgpuUnavailable()}`);
      device = d;
    }
    setDefaultDevice(device);
    for (const c of cases(device).filter((k) => k.name.includes(only))) {
      const t = timeCase(c, repeats);
      rows.push([c.name, `jaxnb/${name}`, t.wall.toFixed(1), t.min.toFixed(1), t.cpu.toFixed(1)]);
      console.error(`${c.name} [${name}]: ${t.wall.toFixed(1)} us/iteration (cpu ${t.cpu.toFixed(1)})`);
    }
  }
  if (refs) {
    for (const lib of ["numpy", "torch"]) {
      const out = JSON.parse(execFileSync("/usr/bin/python3", [path.join(here, "loops_ref.py"), lib, String(repeats)]).toString()) as { name: string; us: number; min_us: number; cpu_us: number }[];
      for (const r of out.filter((k) => k.name.includes(only))) rows.push([r.name, lib, r.us.toFixed(1), r.min_us.toFixed(1), r.cpu_us.toFixed(1)]);
    }
  }
  const head = ["loop", "impl", "us/iteration", "best", "cpu us/iteration"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ");
  console.log(line(head));
  for (const r of rows) console.log(line(r));
}

await main();
process.exit(0);
