/**
 * @file Exhaustive accuracy sweeps of the CPU's WebAssembly SIMD math (too long for the test
 * suite: minutes): every float32 in a range (both signs) through the real compiled kernel, plain
 * or with fused multiply-add, against float64 Math rounded to float32; prints the worst error in
 * ulps per function. This is the check behind the range reductions' pieces in wasmmath.ts.
 *
 *   npx tsx test/backend/wasmmath-sweep.ts [fma|plain] [name…]
 */

import { type Exp, type Kernel, binary, gidx, load, unary } from "../../kernel/codegen/exp.js";
import { setFma } from "../../kernel/codegen/relaxed.js";
import { compileWasm } from "../../kernel/codegen/wasm.js";

/** Elements per call: a multiple of every kernel's step (24). */
const BLOCK = 49152;
const x = load(0, "float32", gidx());
const bits = (v: number): number => new Int32Array(Float32Array.of(v).buffer)[0];

interface Case {
  name: string;
  outputs: Exp[];
  refs: ((v: number) => number)[];
  /** Float32 bit patterns [lo, hi) of |x|, swept with both signs. */
  lo: number;
  hi: number;
  /** Every `stride`-th bit pattern. */
  stride: number;
  /** Lane 0 of every iteration set to this (to force sin/cos's float64 reduction on small lanes). */
  poison?: number;
}

const cosRange = { lo: bits(1e-3), hi: bits(33554432), stride: 1 };
const CASES: Case[] = [
  { name: "exp", outputs: [unary("exp", x)], refs: [Math.exp], lo: bits(2 ** -20), hi: bits(89), stride: 1 },
  { name: "exp pair", outputs: [unary("exp", x), unary("exp", unary("neg", x))], refs: [Math.exp, (v) => Math.exp(-v)], lo: bits(2 ** -20), hi: bits(86.9), stride: 1 },
  { name: "sin", outputs: [unary("sin", x)], refs: [Math.sin], ...cosRange },
  { name: "cos", outputs: [unary("cos", x)], refs: [Math.cos], ...cosRange },
  { name: "sin, cos (shared)", outputs: [unary("sin", x), unary("cos", x)], refs: [Math.sin, Math.cos], ...cosRange },
  { name: "cos (float64 reduction)", outputs: [unary("cos", x)], refs: [Math.cos], lo: bits(1e-3), hi: bits(8192), stride: 1, poison: 1e4 },
  { name: "sin (float64 reduction)", outputs: [unary("sin", x)], refs: [Math.sin], lo: bits(1e-3), hi: bits(8192), stride: 1, poison: 1e4 },
  { name: "tanh", outputs: [unary("tanh", x)], refs: [Math.tanh], lo: bits(2 ** -20), hi: bits(20), stride: 3 },
  { name: "logistic", outputs: [unary("logistic", x)], refs: [(v) => 1 / (1 + Math.exp(-v))], lo: bits(2 ** -20), hi: bits(100), stride: 3 },
  { name: "log", outputs: [unary("log", binary("mul", x, x))], refs: [(v) => Math.log(Math.fround(v * v))], lo: bits(1e-15), hi: bits(1e15), stride: 5 },
];

const MIN_NORMAL = 1.1754943508222875e-38;
const f = new Float32Array(1), b = new Int32Array(f.buffer);
const ordered = (v: number): number => {
  f[0] = v;
  return b[0] < 0 ? -(b[0] & 0x7fffffff) : b[0];
};

function sweep(c: Case, fma: boolean): void {
  const k: Kernel = { name: c.name, inputs: [{ dtype: "float32", size: BLOCK }], outputs: c.outputs.map((exp) => ({ dtype: "float32", exp })), size: BLOCK, shape: [BLOCK] };
  setFma(fma);
  const w = compileWasm(k);
  setFma(null);
  if (!w) throw new Error(`${c.name}: not a WebAssembly kernel`);
  const mem = new WebAssembly.Memory({ initial: Math.ceil((4 * BLOCK * (1 + c.outputs.length)) / 65536), maximum: 64, shared: true });
  const kernel = new WebAssembly.Instance(new WebAssembly.Module(w.bytes), { m: { sin: Math.sin, cos: Math.cos, mem } }).exports.kernel as (...a: number[]) => void;
  const inBits = new Int32Array(mem.buffer, 0, BLOCK), inF = new Float32Array(mem.buffer, 0, BLOCK);
  const outs = c.outputs.map((_, m) => new Float32Array(mem.buffer, 4 * BLOCK * (1 + m), BLOCK));
  const worst = c.outputs.map(() => ({ ulps: 0, at: NaN }));
  const t0 = Date.now();
  let count = 0;
  for (const sign of [0, 0x80000000 | 0]) {
    for (let start = c.lo; start < c.hi; start += BLOCK * c.stride) {
      let n = 0;
      for (let p = start; n < BLOCK && p < c.hi; p += c.stride) inBits[n++] = p | sign;
      for (let i = n; i < BLOCK; i++) inBits[i] = inBits[0];
      if (c.poison !== undefined) for (let i = 0; i < BLOCK; i += w.step) inF[i] = c.poison;
      kernel(BLOCK, BLOCK, 0, ...outs.map((o) => o.byteOffset));
      for (let i = 0; i < n; i++) {
        const v = inF[i];
        if (c.poison !== undefined && i % w.step === 0) continue;
        count++;
        for (let m = 0; m < outs.length; m++) {
          const want = Math.fround(c.refs[m](v)), got = outs[m][i];
          let u: number;
          if (Number.isNaN(want) || Number.isNaN(got)) u = Number.isNaN(want) && Number.isNaN(got) ? 0 : Infinity;
          else if (Math.abs(want) < MIN_NORMAL) u = Math.abs(got - want) < MIN_NORMAL ? 0 : Infinity;
          else u = Math.abs(ordered(got) - ordered(want));
          if (u > worst[m].ulps) worst[m] = { ulps: u, at: v };
        }
      }
    }
  }
  const report = worst.map((w, m) => `${c.refs.length > 1 ? `#${m} ` : ""}${w.ulps} ulp${Number.isNaN(w.at) ? "" : ` at ${w.at}`}`).join(", ");
  console.log(`${fma ? "fma  " : "plain"} ${c.name.padEnd(26)} ${String(count).padStart(10)} inputs: worst ${report} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

const [mode = "fma", ...names] = process.argv.slice(2);
for (const c of CASES) if (!names.length || names.includes(c.name)) sweep(c, mode === "fma");
