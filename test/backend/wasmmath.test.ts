/**
 * @file Accuracy of the CPU's WebAssembly SIMD math (kernel/codegen/wasmmath.ts) over sweeps of
 * float32 inputs: every result within a bound, in float32 ulps, of JavaScript's float64 Math
 * rounded to float32. The sweeps cover each function's fast mode and general mode (blocks with
 * a NaN, an infinity or an out-of-range lane run again in general mode), and sin/cos up to 1e7
 * and beyond 2^25, where they reduce in float64 or call Math. Eager and jit use this thread's
 * default (fused multiply-add where relaxed SIMD has it, kernel/codegen/relaxed.ts); the same
 * kernels are also compiled each way, plain and fused, on a backend of their own.
 * (test/backend/wasmmath-sweep.ts runs the exhaustive sweeps.)
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as lax from "../../kernel/lax/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { compiledProgram, jit } from "../../kernel/jit/index.js";
import { CpuBackend, type CpuExecutable } from "../../kernel/backend/cpu.js";
import type { Kernel } from "../../kernel/codegen/exp.js";
import { fmaAvailable, setFma, useFma } from "../../kernel/codegen/relaxed.js";
import { compileWasm } from "../../kernel/codegen/wasm.js";
import { f32Ulps } from "../jit/ulps.js";

/** Deterministic uniform floats in [lo, hi), rounded to float32. */
function uniform(n: number, lo: number, hi: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround(lo + ((hi - lo) * s) / 4294967296));
  }
  return out;
}

/** Float32 values next to the multiples of π/2 (where sin or cos passes through zero), up to `max`. */
function nearHalfPiMultiples(max: number, count: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < count; j++) {
    const k = Math.round(((j + 1) / count) ** 2 * (max / (Math.PI / 2)));
    const c = Math.fround(k * (Math.PI / 2));
    out.push(c, -c, nextUp(c), nextDown(c));
  }
  return out;
}

const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
function nextUp(x: number): number {
  f32[0] = x;
  i32[0] += x >= 0 ? 1 : -1;
  return f32[0];
}
function nextDown(x: number): number {
  f32[0] = x;
  i32[0] -= x >= 0 ? 1 : -1;
  return f32[0];
}

interface Sweep {
  name: string;
  fn: (x: Value) => Value;
  ref: (x: number) => number;
  ulps: number;
  inputs: number[];
}

const MIN_NORMAL = 1.1754943508222875e-38;
const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0];

const SWEEPS: Sweep[] = [
  { name: "exp", fn: lax.exp, ref: Math.exp, ulps: 1, inputs: [...uniform(40000, -87, 87, 1), ...uniform(20000, -1, 1, 2), ...uniform(4000, -104, 89, 3)] },
  { name: "exp (subnormal results, overflow)", fn: lax.exp, ref: Math.exp, ulps: 1, inputs: [...uniform(8000, -103.9, -86, 4), ...uniform(2000, 86, 89, 5), ...SPECIALS] },
  { name: "log", fn: lax.log, ref: Math.log, ulps: 2, inputs: [...uniform(40000, 0, 10, 6), ...uniform(20000, 0.5, 2, 7), ...uniform(8000, 0, 1e30, 8), 1e-40, 1.4e-45, -1, ...SPECIALS] },
  { name: "sin", fn: lax.sin, ref: Math.sin, ulps: 2, inputs: [...uniform(40000, -10, 10, 9), ...uniform(20000, -8192, 8192, 10), ...uniform(20000, -1e7, 1e7, 11), ...nearHalfPiMultiples(1e7, 2000)] },
  { name: "cos", fn: lax.cos, ref: Math.cos, ulps: 2, inputs: [...uniform(40000, -10, 10, 12), ...uniform(20000, -8192, 8192, 13), ...uniform(20000, -1e7, 1e7, 14), ...nearHalfPiMultiples(1e7, 2000)] },
  { name: "sin beyond 2^25 (general mode: Math.sin)", fn: lax.sin, ref: Math.sin, ulps: 2, inputs: [...uniform(4000, 3.4e7, 1e30, 15), ...uniform(4000, -1e3, 1e3, 16), ...SPECIALS] },
  { name: "cos beyond 2^25 (general mode: Math.cos)", fn: lax.cos, ref: Math.cos, ulps: 2, inputs: [...uniform(4000, -1e30, -3.4e7, 15), ...uniform(4000, -1e3, 1e3, 16), ...SPECIALS] },
  // One reduction for both; the product's error is at most the sum of theirs plus a rounding.
  { name: "sin(x)·cos(x) (shared reduction)", fn: (x) => lax.mul(lax.sin(x), lax.cos(x)), ref: (x) => Math.sin(x) * Math.cos(x), ulps: 5, inputs: [...uniform(20000, -1e7, 1e7, 23), ...uniform(20000, -10, 10, 24), ...uniform(100, 3.4e7, 1e9, 25), ...SPECIALS] },
  { name: "tanh", fn: lax.tanh, ref: Math.tanh, ulps: 1, inputs: [...uniform(40000, -12, 12, 17), ...uniform(20000, -1, 1, 18), ...uniform(4000, -1e4, 1e4, 19), ...SPECIALS] },
  { name: "logistic", fn: lax.logistic, ref: logistic, ulps: 2, inputs: [...uniform(40000, -20, 20, 20), ...uniform(8000, -110, 110, 21), ...SPECIALS] },
];

/**
 * The worst error of `got` against float64 `ref` rounded to float32 (NaN must match NaN). Results
 * in the subnormal range may be off by up to the smallest normal (XLA's CPU flushes them to zero).
 */
function worst(xs: number[], got: number[], ref: (x: number) => number): { ulps: number; at: number } {
  let w = { ulps: 0, at: -1 };
  xs.forEach((x, i) => {
    const want = Math.fround(ref(Math.fround(x))), g = got[i];
    let u: number;
    if (Number.isNaN(want) || Number.isNaN(g)) u = Number.isNaN(want) && Number.isNaN(g) ? 0 : Infinity;
    else if (Math.abs(want) < MIN_NORMAL) u = Math.abs(g - want) < MIN_NORMAL ? 0 : Infinity;
    else u = f32Ulps(g, want);
    if (u > w.ulps) w = { ulps: u, at: i };
  });
  return w;
}

describe("CPU WebAssembly SIMD math: sweeps against float64 Math", () => {
  for (const s of SWEEPS) {
    for (const mode of ["eager", "jit"] as const) {
      it(`${s.name} (${mode}, ${s.inputs.length} inputs): within ${s.ulps} ulp`, () => {
        const x = Array.fromHost(Float32Array.from(s.inputs), [s.inputs.length], "float32");
        const got = ((mode === "jit" ? jit(s.fn)(x) : s.fn(x)) as Array).toNumbers();
        const w = worst(s.inputs, got, s.ref);
        const x0 = Math.fround(s.inputs[w.at]);
        assert.ok(w.ulps <= s.ulps, `${s.name}(${x0}) = ${got[w.at]}, want ${Math.fround(s.ref(x0))}: ${w.ulps} ulp`);
      });
    }
  }

  it("sin/cos: sizes that are not a multiple of the vector width, and a NaN in one block only", () => {
    const xs = uniform(16384 * 3 + 5, -20, 20, 22);
    xs[20000] = NaN;
    const x = Array.fromHost(Float32Array.from(xs), [xs.length], "float32");
    const got = (jit((v: Value) => lax.cos(v))(x) as Array).toNumbers();
    const w = worst(xs, got, Math.cos);
    assert.ok(w.ulps <= 2, `cos(${xs[w.at]}) = ${got[w.at]}: ${w.ulps} ulp`);
    assert.ok(Number.isNaN(got[20000]));
  });

  it("row reductions over math run rows with a rare lane again in general mode (the others stay fast)", () => {
    const [rows, cols] = [6, 77];
    const xs = uniform(rows * cols, -3, 3, 26);
    xs[2 * cols + 40] = 95; // exp overflows: this row's sum is inf
    xs[4 * cols + 3] = -100; // exp is subnormal here: general mode, a finite sum
    const x = Array.fromHost(Float32Array.from(xs), [rows, cols], "float32");
    const fn = (v: Value): Value => lax.reduceSum(lax.exp(v), [1]);
    const l = jit(fn).lower(x);
    const prog = compiledProgram(l.jaxpr, l.device) as unknown as { steps: { exe?: CpuExecutable }[] };
    assert.deepEqual(prog.steps.filter((s) => s.exe).map((s) => s.exe!.kind), ["wasm"]);
    const got = (jit(fn)(x) as Array).toNumbers();
    for (let r = 0; r < rows; r++) {
      let want = 0;
      for (let c = 0; c < cols; c++) want += Math.exp(Math.fround(xs[r * cols + c]));
      if (!Number.isFinite(Math.fround(want))) assert.equal(got[r], Infinity, `row ${r}`);
      else assert.ok(Math.abs(got[r] - want) <= 1e-5 * Math.abs(want), `row ${r}: got ${got[r]}, want ${want}`);
    }
  });

  it("exp(x) and exp(-x) in one kernel (one shared reduction): both within 1 ulp, rare lanes in general mode", () => {
    const xs = [...uniform(40000, -87, 87, 27), ...uniform(4000, -1, 1, 28), ...uniform(2000, -104, 104, 29), ...SPECIALS];
    const x = Array.fromHost(Float32Array.from(xs), [xs.length], "float32");
    const fn = (v: Value): Value[] => [lax.exp(v), lax.exp(lax.neg(v))];
    const l = jit(fn).lower(x);
    const prog = compiledProgram(l.jaxpr, l.device) as unknown as { steps: { exe?: CpuExecutable }[] };
    assert.deepEqual(prog.steps.filter((s) => s.exe).map((s) => s.exe!.kind), ["wasm"]);
    const [pos, neg] = (jit(fn)(x) as Array[]).map((a) => a.toNumbers());
    for (const [name, got, ref] of [["exp(x)", pos, Math.exp], ["exp(-x)", neg, (v: number) => Math.exp(-v)]] as const) {
      const w = worst(xs, got, ref);
      assert.ok(w.ulps <= 1, `${name} at x = ${Math.fround(xs[w.at])}: got ${got[w.at]}: ${w.ulps} ulp`);
    }
  });
});

/** The one compiled kernel of jit(fn) on x. */
function kernelOf(fn: (x: Value) => Value | Value[], x: Array): Kernel {
  const l = jit(fn).lower(x);
  const prog = compiledProgram(l.jaxpr, l.device) as unknown as { steps: { exe?: CpuExecutable }[] };
  const exes = prog.steps.filter((s) => s.exe).map((s) => s.exe!);
  assert.equal(exes.length, 1);
  return exes[0].kernel;
}

/** Runs `kernel` compiled plain or fused on a fresh CPU backend (its cache is its own). */
function runEach(kernel: Kernel, xs: number[], fma: boolean): number[][] {
  const be = new CpuBackend();
  setFma(fma);
  let exe: CpuExecutable;
  try {
    exe = be.compile(kernel);
  } finally {
    setFma(null);
  }
  assert.equal(exe.kind, "wasm");
  const input = be.alloc(4 * xs.length);
  be.write(input, new Uint8Array(Float32Array.from(xs).buffer));
  const outs = kernel.outputs.map(() => be.alloc(4 * xs.length));
  be.dispatch(exe, [input], outs);
  return outs.map((o) => [...be.read(o, "float32", xs.length)] as number[]);
}

const RELAXED_MADD = [0xfd, 0x85, 0x02];
const hasRelaxed = (bytes: Uint8Array): boolean => bytes.some((b, i) => RELAXED_MADD.every((c, k) => bytes[i + k] === c));

describe("CPU WebAssembly SIMD math: plain and with fused multiply-add", () => {
  it("this machine has fused multiply-add (relaxed SIMD, enabled at run time), and JAXNB_CPU_FMA=0 turns it off", () => {
    // The development and CI machines are x64 with FMA3; where that changes, this says so first.
    assert.equal(fmaAvailable(), true);
    assert.equal(useFma(), process.env.JAXNB_CPU_FMA !== "0");
    const relaxed = new URL("../../kernel/codegen/relaxed.ts", import.meta.url).href;
    const script = `import(${JSON.stringify(relaxed)}).then((m) => console.log(m.fmaAvailable(), m.useFma()))`;
    const repo = fileURLToPath(new URL("../..", import.meta.url));
    const off = execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: repo, env: { ...process.env, JAXNB_CPU_FMA: "0" }, encoding: "utf8" });
    assert.equal(off.trim(), "true false");
  });

  it("fused kernels use relaxed_madd; plain ones do not", () => {
    const x = Array.fromHost(Float32Array.from(uniform(1000, -5, 5, 30)), [1000], "float32");
    const kernel = kernelOf((v) => lax.mul(lax.exp(lax.neg(lax.mul(v, v))), lax.cos(lax.exp(lax.mul(v, v)))), x);
    for (const fma of [false, true]) {
      setFma(fma);
      try {
        assert.equal(hasRelaxed(compileWasm(kernel)!.bytes), fma);
      } finally {
        setFma(null);
      }
    }
  });

  const pairs: [string, (v: Value) => Value[], ((v: number) => number)[], number][] = [
    ["exp(x), exp(-x)", (v) => [lax.exp(v), lax.exp(lax.neg(v))], [Math.exp, (v) => Math.exp(-v)], 1],
    ["sin(x), cos(x) (shared reduction)", (v) => [lax.sin(v), lax.cos(v)], [Math.sin, Math.cos], 2],
  ];
  const cases: [string, (v: Value) => Value[], ((v: number) => number)[], number, number[]][] = [
    ...SWEEPS.map((s): [string, (v: Value) => Value[], ((v: number) => number)[], number, number[]] => [s.name, (v) => [s.fn(v)], [s.ref], s.ulps, s.inputs]),
    ...pairs.map(([name, fn, refs, ulps]): [string, (v: Value) => Value[], ((v: number) => number)[], number, number[]] =>
      [name, fn, refs, ulps, [...uniform(20000, -87, 87, 31), ...uniform(20000, -1e7, 1e7, 32), ...nearHalfPiMultiples(1e7, 1000), ...uniform(100, 3.4e7, 1e9, 33), ...SPECIALS]]),
  ];
  for (const [name, fn, refs, ulps, inputs] of cases) {
    for (const fma of [false, true]) {
      it(`${name} (${fma ? "fused multiply-add" : "plain"}, ${inputs.length} inputs): within ${ulps} ulp`, () => {
        const x = Array.fromHost(Float32Array.from(inputs), [inputs.length], "float32");
        const got = runEach(kernelOf(fn, x), inputs, fma);
        got.forEach((g, m) => {
          const w = worst(inputs, g, refs[m]);
          const x0 = Math.fround(inputs[w.at]);
          assert.ok(w.ulps <= ulps, `${name} #${m} at ${x0} = ${g[w.at]}, want ${Math.fround(refs[m](x0))}: ${w.ulps} ulp`);
        });
      });
    }
  }
});
