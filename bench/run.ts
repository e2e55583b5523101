/**
 * @file The benchmark command (bench/run.sh): our kernel (eager and jit, on each device asked
 * for) side by side with NumPy, PyTorch (2 threads) and @jax-js/jax (wasm), in one run. Prints
 * a table and the ratios issue 4 sets targets for; saves JSON under bench/results/.
 *
 *   bash bench/run.sh [--devices cpu,webgpu] [--sizes 1e4,1e6,1e7] [--repeats 10] [--only TEXT] [--no-refs]
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import "../kernel/index.js";
import { type Case, ourCases, overheadCases } from "./cases.js";
import { jaxjsCases } from "./jaxjs.js";
import { type Device, cpuDevice } from "../kernel/backend/device.js";
import { Array as KArray } from "../kernel/backend/array.js";
import { treeLeaves } from "../kernel/ir/pytree.js";

interface Run {
  case: string;
  impl: string;
  method: string;
  device: string;
  times_ms: number[];
  median_ms: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]) {
  const opts = { devices: ["cpu"], sizes: [1e4, 1e6, 1e7], repeats: 10, only: "", refs: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--devices") opts.devices = val().split(",");
    else if (a === "--sizes") opts.sizes = val().split(",").map(Number);
    else if (a === "--repeats") opts.repeats = Number(val());
    else if (a === "--only") opts.only = val();
    else if (a === "--no-refs") opts.refs = false;
    else throw new Error(`unknown option ${a} (see bench/run.ts)`);
  }
  return opts;
}

/** Devices by name. Other backends register theirs here (e.g. the WebGPU backend's discovery). */
export const benchDevices = new Map<string, () => Promise<Device>>([["cpu", async () => cpuDevice()]]);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Waits for device work behind a result (arrays on asynchronous backends expose blockUntilReady),
 * then releases it, as the Python front end's reference counting does when a result is dropped
 * (the TypeScript API otherwise waits for garbage collection to recycle buffers).
 */
async function blockOurs(x: unknown): Promise<void> {
  for (const l of treeLeaves(x)) {
    const b = (l as { blockUntilReady?: () => unknown }).blockUntilReady;
    if (b) await b.call(l);
    if (l instanceof KArray) l.dispose();
  }
}

async function time(c: Case, repeats: number, block: (x: unknown) => Promise<void>): Promise<number[]> {
  await block(c.run());
  const n = c.slow ? Math.max(3, Math.ceil(repeats / 4)) : repeats;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await block(c.run());
    times.push(performance.now() - t);
  }
  return times;
}

/** Microseconds per call of a tiny case (many calls per sample). */
async function timeOverhead(c: Case, block: (x: unknown) => Promise<void>): Promise<number[]> {
  for (let i = 0; i < 2000; i++) c.run();
  await block(c.run());
  const samples: number[] = [];
  for (let s = 0; s < 7; s++) {
    const t = performance.now();
    for (let i = 0; i < 2000; i++) c.run();
    await block(c.run());
    samples.push(((performance.now() - t) / 2001) * 1000);
  }
  return samples;
}

function refRuns(lib: "numpy" | "torch", sizes: number[], repeats: number): { env: unknown; runs: Run[] } {
  const env = { ...process.env };
  // OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE pin an old kernel on this machine and slow a current
  // NumPy; they are unset for the NumPy command only (ref.py reports the kernel it then runs).
  if (lib === "numpy") {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const out = execFileSync("/usr/bin/python3", [path.join(here, "ref.py"), lib, sizes.join(","), String(repeats)], { env, maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as { env: unknown; runs: Run[] };
}

function printTable(runs: Run[]): void {
  const rows = runs.map((r) => [r.case, r.method, `${r.impl}${r.device !== "cpu" || r.impl === "jaxnb" ? `/${r.device}` : ""}`, r.median_ms.toFixed(3), Math.min(...r.times_ms).toFixed(3)]);
  const head = ["case", "method", "impl", "median", "min"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ");
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const r of rows) console.log(line(r));
}

function ratios(runs: Run[], devices: string[]): string[] {
  const get = (c: string, impl: string, method: string, device = "cpu") => runs.find((r) => r.case === c && r.impl === impl && r.method === method && r.device === device)?.median_ms;
  const out: string[] = [];
  const ratio = (label: string, num: number | undefined, den: number | undefined, target?: number) => {
    if (num === undefined || den === undefined) return;
    const r = num / den;
    out.push(`${label}: ${r.toFixed(2)}x${target !== undefined ? `  (target >= ${target}x: ${r >= target ? "met" : "NOT met"})` : ""}`);
  };
  const cases = [...new Set(runs.map((r) => r.case))];
  for (const d of devices) {
    for (const c of cases) {
      const jitMs = get(c, "jaxnb", "jit", d);
      if (jitMs === undefined) continue;
      const big = c === "f n=10000000";
      ratio(`[${d}] ${c}: our eager / our jit`, get(c, "jaxnb", "eager", d), jitMs, big && d === "cpu" ? 3.5 : undefined);
      ratio(`[${d}] ${c}: numpy / our jit`, get(c, "numpy", "eager"), jitMs, big && d === "cpu" ? 2 : undefined);
      ratio(`[${d}] ${c}: torch / our jit`, get(c, "torch", "eager") ?? get(c, "torch", "autograd"), jitMs, c === "vmap(grad(f)) n=10000000" && d === "cpu" ? 4 : undefined);
      ratio(`[${d}] ${c}: jax-js jit / our jit`, get(c, "jax-js", "jit", "wasm"), jitMs);
    }
    const ov = (m: string) => runs.find((r) => r.case === "dispatch (4 elements)" && r.method === m && r.device === d)?.median_ms;
    const j = ov("jit"), e = ov("eager op");
    if (j !== undefined) out.push(`[${d}] cached jit call overhead: ${j.toFixed(1)} us  (target < 30 us: ${j < 30 ? "met" : "NOT met"})`);
    if (e !== undefined) out.push(`[${d}] eager op overhead: ${e.toFixed(1)} us  (target < 20 us: ${e < 20 ? "met" : "NOT met"})`);
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const keep = (c: { case: string }) => !opts.only || c.case.includes(opts.only);
  const runs: Run[] = [];
  const env: Record<string, unknown> = { node: process.version, date: new Date().toISOString(), repeats: opts.repeats };
  for (const name of opts.devices) {
    const make = benchDevices.get(name);
    if (!make) throw new Error(`unknown device ${name}; known: ${[...benchDevices.keys()].join(", ")}`);
    const device = await make();
    for (const c of ourCases(device, opts.sizes, name !== "cpu" || !opts.only || opts.only.includes("mlp")).filter(keep)) {
      const times = await time(c, opts.repeats, blockOurs);
      runs.push({ case: c.case, impl: "jaxnb", method: c.method, device: name, times_ms: times, median_ms: median(times) });
      console.error(`jaxnb/${name} ${c.case} ${c.method}: ${median(times).toFixed(2)} ms`);
    }
    for (const c of overheadCases(device).filter(keep)) {
      const us = await timeOverhead(c, blockOurs);
      runs.push({ case: c.case, impl: "jaxnb", method: c.method, device: name, times_ms: us, median_ms: median(us) });
    }
  }
  if (opts.refs) {
    for (const lib of ["numpy", "torch"] as const) {
      const r = refRuns(lib, opts.sizes, opts.repeats);
      env[lib] = r.env;
      runs.push(...r.runs.filter(keep));
      console.error(`${lib}: done`);
    }
    const jj = await jaxjsCases(opts.sizes);
    env["jax-js"] = { version: jj.version, device: "wasm" };
    for (const c of jj.cases.filter(keep)) {
      const times = await time(c, opts.repeats, jj.block);
      runs.push({ case: c.case, impl: "jax-js", method: c.method, device: "wasm", times_ms: times, median_ms: median(times) });
      console.error(`jax-js ${c.case} ${c.method}: ${median(times).toFixed(2)} ms`);
    }
  }
  runs.sort((a, b) => a.case.localeCompare(b.case) || a.impl.localeCompare(b.impl) || a.method.localeCompare(b.method));
  console.log("\nTimes in ms (dispatch rows: microseconds per call); medians after a warm-up run.\n");
  printTable(runs);
  console.log("\nRatios (higher is better for us):");
  for (const l of ratios(runs, opts.devices)) console.log(`  ${l}`);
  console.log(`\nNumPy ran with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; its BLAS: ${JSON.stringify((env.numpy as { blas?: unknown } | undefined)?.blas ?? "not run")}`);
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ env, runs }, null, 1));
  console.log(`saved ${path.relative(process.cwd(), file)}`);
}

await main();
