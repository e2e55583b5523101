/**
 * @file The post's comparison (bench/run.sh runs it after the main table): its function on 10⁷
 * points of linspace(-4, 4), by the four methods — Baseline (eager), JIT, Sharding (eager on the
 * input split over N CPU devices), Sharding + JIT — with N = 1, 2, 4. Prints a table and the
 * ratios issue 6 sets targets for; saves JSON under bench/results/ next to the main results.
 *
 *   npx tsx bench/sharding.ts [--size 1e7] [--repeats 5] [--devices 1,2,4]
 *
 * Each device beyond the first runs on its own thread; with more devices than cores the threads
 * share the cores, so N = 4 on a 2-core machine is expected to be no faster than N = 2.
 */

import { availableParallelism, loadavg } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import "../kernel/index.js";
import * as sh from "../kernel/sharding/index.js";
import { Array as KArray } from "../kernel/backend/array.js";
import { cpuDevices } from "../kernel/backend/device.js";
import { jit } from "../kernel/jit/index.js";
import { f, fEager } from "./cases.js";

interface Run {
  method: string;
  devices: number;
  times_ms: number[];
  median_ms: number;
  /** CPU time of the whole process (every thread) per run: the work, whatever the machine's load. */
  median_cpu_ms: number;
}

function parseArgs(argv: string[]) {
  const opts = { size: 1e7, repeats: 5, devices: [1, 2, 4] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--size") opts.size = Number(val());
    else if (a === "--repeats") opts.repeats = Number(val());
    else if (a === "--devices") opts.devices = val().split(",").map(Number);
    else throw new Error(`unknown option ${a} (see bench/sharding.ts)`);
  }
  return opts;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Waits for a result and releases it (as Python drops it). */
function done(r: unknown): void {
  const a = r as KArray;
  a.blockUntilReady();
  a.dispose();
}

/**
 * Times each case `repeats` times after a warm-up, in rounds (one run of every case per round),
 * so that changes in the machine's load affect every method alike.
 */
function timeRounds(cases: { fn: () => unknown }[], repeats: number): { wall: number[]; cpu: number[] }[] {
  for (const c of cases) done(c.fn());
  const times = cases.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < repeats; r++) {
    cases.forEach((c, i) => {
      const c0 = process.cpuUsage(), t = performance.now();
      done(c.fn());
      times[i].wall.push(performance.now() - t);
      const u = process.cpuUsage(c0);
      times[i].cpu.push((u.user + u.system) / 1000);
    });
  }
  return times;
}


function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  sh.setCpuDeviceCount(Math.max(...opts.devices));
  const n = opts.size;
  const x = KArray.fromHost(Float32Array.from({ length: n }, (_, i) => -4 + (8 * i) / (n - 1)), [n], "float32", { device: cpuDevices()[0] });
  const jf = jit(f);
  const cases: { method: string; devices: number; fn: () => unknown }[] = [
    { method: "Baseline", devices: 1, fn: () => fEager(x) },
    { method: "JIT", devices: 1, fn: () => jf(x) },
  ];
  for (const d of opts.devices) {
    const mesh = sh.makeMesh([d], ["x"], { devices: cpuDevices() });
    const y = sh.devicePut(x, new sh.NamedSharding(mesh, sh.P("x")));
    cases.push({ method: "Sharding", devices: d, fn: () => fEager(y) }, { method: "Sharding + JIT", devices: d, fn: () => jf(y) });
  }
  const runs: Run[] = timeRounds(cases, opts.repeats).map((t, i) => ({
    method: cases[i].method, devices: cases[i].devices, times_ms: t.wall, median_ms: median(t.wall), median_cpu_ms: median(t.cpu),
  }));

  // cpu / wall: how many cores the run kept busy (about N with N free cores; less when the machine is loaded).
  const rows = runs.map((r) => [r.method, String(r.devices), r.median_ms.toFixed(1), Math.min(...r.times_ms).toFixed(1), r.median_cpu_ms.toFixed(1), (r.median_cpu_ms / r.median_ms).toFixed(2)]);
  const head = ["method", "devices", "median ms", "min ms", "cpu ms", "cpu/wall"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i >= 1 ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  ");
  console.log(`The post's function on ${n} points (${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)})`);
  console.log(line(head));
  console.log(w.map((k) => "-".repeat(k)).join("  "));
  for (const r of rows) console.log(line(r));

  const get = (m: string, d: number): number | undefined => runs.find((r) => r.method === m && r.devices === d)?.median_ms;
  const ratio = (label: string, num: number | undefined, den: number | undefined, target?: number): void => {
    if (num === undefined || den === undefined) return;
    const r = num / den;
    console.log(`${label}: ${r.toFixed(2)}x${target === undefined ? "" : `  (target >= ${target}x: ${r >= target ? "met" : "NOT met"})`}`);
  };
  console.log("");
  for (const d of opts.devices) {
    ratio(`Baseline / Sharding + JIT (${d} devices)`, get("Baseline", 1), get("Sharding + JIT", d), d === 2 ? 6 : undefined);
    ratio(`JIT (1 device) / Sharding + JIT (${d} devices)`, get("JIT", 1), get("Sharding + JIT", d), d === 2 ? 1.8 : undefined);
    ratio(`Baseline / Sharding (${d} devices)`, get("Baseline", 1), get("Sharding", d));
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `sharding-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify({ env: { node: process.version, cores: availableParallelism(), load: loadavg(), size: n, repeats: opts.repeats }, runs }, null, 1));
  console.log(`\nsaved ${path.relative(process.cwd(), file)}`);
}

main();
