/**
 * @file Helpers for the lax primitive tests: running a NumPy fixture table on every device, and
 * checking derivatives and batching numerically — JVPs against central finite differences in
 * float64, VJPs and linear transposes by the identity <ct, f(t)> = <fᵀ(ct), t>, and vmap against
 * a loop over the batch.
 */

import assert from "node:assert/strict";
import { Array } from "../../kernel/backend/array.js";
import { type Device, setDefaultDevice } from "../../kernel/backend/device.js";
import { type Value } from "../../kernel/ir/core.js";
import { type DType, config, isFloat } from "../../kernel/ir/dtype.js";
import { prod, stridesOf } from "../../kernel/ir/shape.js";
import { jvp, vjp, linearTranspose } from "../../kernel/ad/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture, testDevices } from "../util.js";

export interface FixtureCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: FixtureArray[];
  outputs: FixtureArray[];
}

export type OpFn = (args: Value[], params: Record<string, unknown>, device: Device) => Value | Value[];

/** Runs every case of `<area>.json` whose op is in `ops` on every test device; fails on unknown ops. */
export function runFixtureCases(area: string, ops: Record<string, OpFn>, tol: Record<string, { rtol: number; atol: number }> = {}): void {
  const { cases } = loadFixture<{ cases: FixtureCase[] }>(area);
  it(`covers every op of the ${area} fixtures`, () => {
    assert.deepEqual([...new Set(cases.map((c) => c.op))].filter((op) => !ops[op]), []);
  });
  for (const device of testDevices()) {
    describe(`NumPy references on ${device.toString()}`, () => {
      // Arrays made without array inputs (iota, constants) go to the default device.
      before(() => setDefaultDevice(device));
      after(() => setDefaultDevice(null));
      for (const c of cases) {
        it(c.name, () => {
          const ins = c.inputs.map((a) => fromFixture(a, device));
          const got = ops[c.op](ins, c.params, device);
          const outs = globalThis.Array.isArray(got) ? got : [got];
          assert.equal(outs.length, c.outputs.length, "number of outputs");
          c.outputs.forEach((want, i) => assertClose(outs[i], want, { msg: `${c.name} output ${i}`, ...(tol[c.op] ?? {}) }));
        });
      }
    });
  }
}

// ---- seeded random host data ------------------------------------------------------------------

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

/** Uniform numbers in [lo, hi). */
export const uniform = (n: number, r: () => number, lo = -2, hi = 2): number[] => globalThis.Array.from({ length: n }, () => lo + (hi - lo) * r());

export const f64 = (data: readonly number[], shape: readonly number[]): Array => Array.fromHost([...data], shape, "float64");
export const arrayOf = (data: readonly number[], shape: readonly number[], dtype: DType): Array => Array.fromHost([...data], shape, dtype);

const asList = (v: unknown): Value[] => (globalThis.Array.isArray(v) ? (v as Value[]) : [v as Value]);
const nums = (v: Value): number[] => (v as Array).toNumbers();
const dotp = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i], 0);

/** Runs `body` with 64-bit types enabled (restored afterwards). */
export function withX64<R>(body: () => R): R {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    return body();
  } finally {
    config.enableX64 = prev;
  }
}

export interface GradCheckOptions {
  /** Indices of the arguments to differentiate (the others are held constant, e.g. integer indices). */
  argnums?: number[];
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

/**
 * Checks forward mode against central finite differences, and reverse mode against forward mode:
 * for random tangents t and cotangents c, jvp(f)(x; t) ≈ (f(x + εt) − f(x − εt)) / 2ε and
 * <c, jvp(f)(x; t)> = <vjp(f)(x; c), t>. Call inside withX64 with float64 arguments.
 */
export function checkGrads(f: (...xs: Value[]) => Value | Value[], args: Array[], opts: GradCheckOptions = {}): void {
  const argnums = opts.argnums ?? args.map((_, i) => i).filter((i) => isFloat(args[i].dtype));
  const eps = opts.eps ?? 1e-6, rtol = opts.rtol ?? 1e-6, atol = opts.atol ?? 1e-6;
  const r = rng(opts.seed ?? 7);
  const tangents = argnums.map((i) => uniform(args[i].size, r, -1, 1));
  const g = (...diff: Value[]) => {
    const full = [...args] as Value[];
    argnums.forEach((i, k) => (full[i] = diff[k]));
    return f(...full);
  };
  const primals = argnums.map((i) => args[i]);
  const tArrays = argnums.map((i, k) => f64(tangents[k], args[i].shape));
  const [, tOut] = jvp((...xs: Value[]) => g(...xs), primals, tArrays) as [unknown, unknown];
  const shift = (s: number) => argnums.map((i, k) => f64(args[i].toNumbers().map((x, j) => x + s * eps * tangents[k][j]), args[i].shape));
  const plus = asList(g(...shift(1))), minus = asList(g(...shift(-1)));
  const jv = asList(tOut);
  plus.forEach((p, o) => {
    const fd = nums(p).map((x, j) => (x - nums(minus[o])[j]) / (2 * eps));
    const got = nums(jv[o]);
    fd.forEach((want, j) => {
      assert.ok(Math.abs(got[j] - want) <= atol + rtol * Math.abs(want), `jvp output ${o} element ${j}: got ${got[j]}, finite differences ${want}`);
    });
  });
  // Reverse mode: the transpose identity against the forward tangents just checked.
  const [out, pullback] = vjp((...xs: Value[]) => g(...xs), primals) as [unknown, (ct: unknown) => unknown[]];
  const outs = asList(out);
  const cts = outs.map((o) => uniform((o as Array).size, r, -1, 1));
  const ctArrays = outs.map((o, k) => f64(cts[k], (o as Array).shape));
  const inCts = pullback(globalThis.Array.isArray(out) ? ctArrays : ctArrays[0]) as Value[];
  const lhs = cts.reduce((s, c, k) => s + dotp(c, nums(jv[k])), 0);
  const rhs = tangents.reduce((s, t, k) => s + dotp(nums(inCts[k]), t), 0);
  assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs)), `vjp: <ct, jvp t> = ${lhs} but <vjp ct, t> = ${rhs}`);
}

/**
 * Checks that `f` (linear in its float64 arguments) and its transpose satisfy
 * <ct, f(t)> = <fᵀ(ct), t> for random t and ct.
 */
export function checkTranspose(f: (...xs: Value[]) => Value, shapes: number[][], seed = 11): void {
  const r = rng(seed);
  const ts = shapes.map((s) => uniform(prod(s), r, -1, 1));
  const tArrays = ts.map((t, i) => f64(t, shapes[i]));
  const out = f(...tArrays) as Array;
  const ct = uniform(out.size, r, -1, 1);
  const back = linearTranspose(f, ...tArrays)(f64(ct, out.shape)) as Value[];
  back.forEach((b, i) => assert.deepEqual([...(b as Array).shape], shapes[i], `transpose output ${i} shape`));
  const lhs = dotp(ct, out.toNumbers());
  const rhs = back.reduce((s: number, b, i) => s + dotp(nums(b), ts[i]), 0);
  assert.ok(Math.abs(lhs - rhs) <= 1e-9 * (1 + Math.abs(lhs)), `<ct, f(t)> = ${lhs} but <fᵀ(ct), t> = ${rhs}`);
}

// ---- batching --------------------------------------------------------------------------------

/** Element `i` along `axis` of an array (the axis removed), on the host. */
function takeAxis(x: Array, axis: number, i: number): Array {
  const st = stridesOf(x.shape);
  const shape = x.shape.filter((_, k) => k !== axis);
  const sub = stridesOf(shape);
  const src = x.toNumbers();
  const data = globalThis.Array.from({ length: prod(shape) }, (_, j) => {
    let off = i * st[axis];
    shape.forEach((_, k) => (off += (Math.floor(j / sub[k]) % shape[k]) * st[k < axis ? k : k + 1]));
    return src[off];
  });
  return Array.fromHost(data, shape, x.dtype);
}

/**
 * Checks vmap(f, inAxes) against calling f on each slice of the batch and comparing the results
 * with the slices of the batched output (out axis 0).
 */
export function checkBatch(f: (...xs: Value[]) => Value | Value[], args: Array[], inAxes: (number | null)[]): void {
  const size = args.find((_, i) => inAxes[i] !== null)!.shape[inAxes.find((a) => a !== null)!];
  const batched = asList(vmap(f, inAxes)(...args));
  for (let b = 0; b < size; b++) {
    const slice = args.map((a, i) => (inAxes[i] === null ? a : takeAxis(a, inAxes[i] as number, b)));
    const want = asList(f(...slice));
    want.forEach((w, o) => {
      const got = takeAxis(batched[o] as Array, 0, b);
      const wa = w as Array;
      assertClose(got, { shape: [...wa.shape], dtype: wa.dtype, data: wa.toNumbers() }, { msg: `batch element ${b} output ${o}`, rtol: 1e-6, atol: 1e-6 });
    });
  }
}
