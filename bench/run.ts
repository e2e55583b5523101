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
import { handWrittenCases, webgpuBenchDevice } from "./webgpu.js";
import { type Device, cpuDevice, setDefaultDevice } from "../kernel/backend/device.js";
import { Array as KArray } from "../kernel/backend/array.js";
import { treeLeaves } from "../kernel/ir/pytree.js";

interface Run {
  case: string;
  impl: string;
  method: string;
  device: string;
  times_ms: number[];
  median_ms: number;
  /** CPU time of the process (all threads) per repeat: steadier than wall time on a shared machine. */
  cpu_ms: number[];
  median_cpu_ms: number;
}

interface Timed {
  wall: number[];
  cpu: number[];
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const run = (c: { case: string; method: string }, impl: string, device: string, t: Timed): Run => ({
  case: c.case, impl, method: c.method, device, times_ms: t.wall, median_ms: median(t.wall), cpu_ms: t.cpu, median_cpu_ms: median(t.cpu),
});

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
export const benchDevices = new Map<string, () => Promise<Device>>([["cpu", async () => cpuDevice()], ["webgpu", webgpuBenchDevice]]);

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

async function time(c: Case, repeats: number, block: (x: unknown) => Promise<void>): Promise<Timed> {
  await block(c.run());
  const n = c.slow ? Math.max(3, Math.ceil(repeats / 4)) : repeats;
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = cpuNow(), t = performance.now();
    await block(c.run());
    wall.push(performance.now() - t);
    cpu.push(cpuNow() - c0);
  }
  return { wall, cpu };
}

/** Microseconds per call of a tiny case (many calls per sample). */
async function timeOverhead(c: Case, block: (x: unknown) => Promise<void>): Promise<Timed> {
  for (let i = 0; i < 2000; i++) c.run();
  await block(c.run());
  const wall: number[] = [], cpu: number[] = [];
  for (let s = 0; s < 7; s++) {
    const c0 = cpuNow(), t = performance.now();
    for (let i = 0; i < 2000; i++) c.run();
    await block(c.run());
    wall.push(((performance.now() - t) / 2001) * 1000);
    cpu.push(((cpuNow() - c0) / 2001) * 1000);
  }
  return { wall, cpu };
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
  const rows = runs.map((r) => [
    r.case, r.method, `${r.impl}${r.device !== "cpu" || r.impl === "jaxnb" ? `/${r.device}` : ""}`,
    r.median_ms.toFixed(3), Math.min(...r.times_ms).toFixed(3), r.median_cpu_ms.toFixed(3),
  ]);
  const head = ["case", "method", "impl", "median", "min", "cpu median"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i >= 3 ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ");
  console.log(line(head));
  console.log(w.map((n) => "-".repeat(n)).join("  "));
  for (const r of rows) console.log(line(r));
}

function ratios(runs: Run[], devices: string[], measure: "median_ms" | "median_cpu_ms"): string[] {
  const get = (c: string, impl: string, method: string, device = "cpu") => runs.find((r) => r.case === c && r.impl === impl && r.method === method && r.device === device)?.[measure];
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
      // Issue 4: jit on WebGPU within 1.25x of a hand-written WGSL kernel of the same function.
      ratio(`[${d}] ${c}: hand-written WGSL / our jit`, get(c, "jaxnb", "hand-written wgsl", d), jitMs, big ? 0.8 : undefined);
      ratio(`[${d}] ${c}: hand-written WGSL with our math / our jit`, get(c, "jaxnb", "hand-written wgsl, our math", d), jitMs);
    }
    const ov = (m: string) => runs.find((r) => r.case === "dispatch (4 elements)" && r.method === m && r.device === d)?.[measure];
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
    // Arrays made without a device (constants inside grad, say) should land on the benchmarked one.
    setDefaultDevice(device);
    const extra = name === "webgpu" ? handWrittenCases(device, opts.sizes) : [];
    for (const c of [...ourCases(device, opts.sizes, name !== "cpu" || !opts.only || opts.only.includes("mlp")), ...extra].filter(keep)) {
      const t = await time(c, opts.repeats, blockOurs);
      runs.push(run(c, "jaxnb", name, t));
      console.error(`jaxnb/${name} ${c.case} ${c.method}: ${median(t.wall).toFixed(2)} ms`);
    }
    for (const c of overheadCases(device).filter(keep)) {
      runs.push(run(c, "jaxnb", name, await timeOverhead(c, blockOurs)));
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
      const t = await time(c, opts.repeats, jj.block);
      runs.push(run(c, "jax-js", "wasm", t));
      console.error(`jax-js ${c.case} ${c.method}: ${median(t.wall).toFixed(2)} ms`);
    }
  }
  runs.sort((a, b) => a.case.localeCompare(b.case) || a.impl.localeCompare(b.impl) || a.method.localeCompare(b.method));
  console.log("\nTimes in ms (dispatch rows: microseconds per call); medians after a warm-up run. 'cpu' is the");
  console.log("process's CPU time (all its threads): on a busy shared machine it is steadier than wall time.\n");
  printTable(runs);
  for (const m of ["median_ms", "median_cpu_ms"] as const) {
    console.log(`\nRatios on ${m === "median_ms" ? "wall" : "CPU"} time (higher is better for us):`);
    for (const l of ratios(runs, opts.devices, m)) console.log(`  ${l}`);
  }
  const load = (await import("node:os")).loadavg()[0];
  console.log(`\nLoad average at the end: ${load.toFixed(1)} on ${(await import("node:os")).cpus().length} cores${load > 2.5 ? " (busy: compare CPU-time ratios)" : ""}.`);
  console.log(`NumPy ran with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset; its BLAS: ${JSON.stringify((env.numpy as { blas?: unknown } | undefined)?.blas ?? "not run")}`);
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ env, runs }, null, 1));
  console.log(`saved ${path.relative(process.cwd(), file)}`);
}

await main();
