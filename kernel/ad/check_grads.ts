/**
 * @file `checkGrads` (JAX's `jax.test_util.check_grads`): compares forward- and reverse-mode
 * derivatives with central finite differences along one random direction, recursively up to
 * `order`, with JAX's default gradient tolerances. Run it in float64 (x64 on) for tight checks.
 * The numerical side works on host copies of the values, so this module reads concrete arrays.
 */

import { JaxValue, getAval } from "../ir/core.js";
import { type DType, isFloat } from "../ir/dtype.js";
import { treeDefEqual, treeDefStr, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { Array } from "../backend/array.js";
import { jvp, vjp } from "./api.js";

/** JAX's default_gradient_tolerance. */
const GRAD_TOL: Partial<Record<DType, number>> = { bfloat16: 1e-1, float16: 1e-2, float32: 2e-3, float64: 1e-5 };

export interface CheckGradsOptions {
  modes?: readonly ("fwd" | "rev")[];
  atol?: number;
  rtol?: number;
  /** Finite-difference step (JAX's EPS = 1e-4). */
  eps?: number;
}

/** A leaf on the host: its numbers, shape and dtype. */
interface Host {
  data: number[];
  shape: readonly number[];
  dtype: DType;
}

function toHost(x: unknown): Host {
  if (typeof x === "number" || typeof x === "boolean") return { data: [Number(x)], shape: [], dtype: getAval(x).dtype };
  if (x instanceof Array) return { data: x.toNumbers(), shape: x.shape, dtype: x.dtype };
  if (x instanceof JaxValue) throw new TypeError(`checkGrads needs concrete values, got ${String(x)}`);
  throw new TypeError(`checkGrads: ${String(x)} is not an array`);
}

const fromHost = (h: Host): Array => Array.fromHost(h.data, h.shape, h.dtype);
const mapTree = (t: unknown, f: (h: Host) => Host): unknown => {
  const [leaves, def] = treeFlatten(t);
  return treeUnflatten(def, leaves.map((l) => fromHost(f(toHost(l)))));
};

/** A seeded standard-normal generator (mulberry32 + Box–Muller), for reproducible directions. */
function normalRng(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const randLike = (rng: () => number) => (h: Host): Host => ({ ...h, data: h.data.map(() => rng()) });

/** (f(x + eps·t) − f(x − eps·t)) / 2eps, with inf − inf taken as 0 (JAX's numerical_jvp). */
function numericalJvp(f: (...a: unknown[]) => unknown, primals: unknown[], tangents: unknown[], eps: number): unknown {
  const shift = (sign: number): unknown[] => {
    const [ps, def] = treeFlatten(primals);
    const [ts] = treeFlatten(tangents);
    return treeUnflatten(def, ps.map((p, i) => {
      const hp = toHost(p), ht = toHost(ts[i]);
      return fromHost({ ...hp, data: hp.data.map((v, k) => v + sign * eps * ht.data[k]) });
    })) as unknown[];
  };
  const pos = f(...shift(1));
  const neg = f(...shift(-1));
  const [pl, def] = treeFlatten(pos);
  const [nl] = treeFlatten(neg);
  return treeUnflatten(def, pl.map((p, i) => {
    const hp = toHost(p), hn = toHost(nl[i]);
    return fromHost({ ...hp, data: hp.data.map((v, k) => (v === hn.data[k] ? 0 : v - hn.data[k]) * (0.5 / eps)) });
  }));
}

/** JAX's check_close: per leaf, |a − b| ≤ atol·size + rtol·size·|b| with the dtype's tolerance. */
function checkClose(xs: unknown, ys: unknown, opts: CheckGradsOptions, msg: string): void {
  const [xl, xd] = treeFlatten(xs);
  const [yl, yd] = treeFlatten(ys);
  if (!treeDefEqual(xd, yd)) throw new Error(`${msg}: tree structures differ: ${treeDefStr(xd)} vs ${treeDefStr(yd)}`);
  xl.forEach((x, i) => {
    const a = toHost(x), b = toHost(yl[i]);
    if (a.data.length !== b.data.length) throw new Error(`${msg}: shapes differ: (${a.shape.join(", ")}) vs (${b.shape.join(", ")})`);
    const tol = Math.max(GRAD_TOL[a.dtype] ?? 0, GRAD_TOL[b.dtype] ?? 0);
    const atol = (opts.atol ?? tol) * a.data.length;
    const rtol = (opts.rtol ?? tol) * b.data.length;
    a.data.forEach((v, k) => {
      const w = b.data[k];
      const ok = Number.isNaN(w) ? Number.isNaN(v) : v === w || Math.abs(v - w) <= atol + rtol * Math.abs(w);
      if (!ok) throw new Error(`${msg}: element ${k} of leaf ${i}: got ${v}, expected ${w} (atol ${atol}, rtol ${rtol})`);
    });
  });
}

/** Σ x·y over the leaves of two trees. */
function innerProd(xs: unknown, ys: unknown): number {
  const [xl] = treeFlatten(xs);
  const [yl] = treeFlatten(ys);
  let s = 0;
  xl.forEach((x, i) => {
    const a = toHost(x).data, b = toHost(yl[i]).data;
    a.forEach((v, k) => (s += v * b[k]));
  });
  return s;
}

type F = (...a: unknown[]) => unknown;

function checkJvp(f: F, args: unknown[], opts: CheckGradsOptions, eps: number, msg: string): void {
  const tangents = mapTree(args, randLike(normalRng(0))) as unknown[];
  const [vOut, tOut] = jvp(f as never, args, tangents);
  checkClose(vOut, f(...args), opts, `${msg} primal`);
  checkClose(tOut, numericalJvp(f, args, tangents, eps), opts, `${msg} tangent`);
}

function checkVjp(f: F, args: unknown[], opts: CheckGradsOptions, eps: number, msg: string): void {
  const rng = normalRng(0);
  const [vOut, vjpFun] = vjp(f as never, args) as [unknown, (ct: unknown) => unknown];
  checkClose(vOut, f(...args), opts, `${msg} primal`);
  const tangent = mapTree(args, randLike(rng)) as unknown[];
  const tangentOut = numericalJvp(f, args, tangent, eps);
  const cotangent = mapTree(vOut, randLike(rng));
  const cotangentOut = vjpFun(cotangent);
  const ip = innerProd(tangent, cotangentOut);
  const expected = innerProd(tangentOut, cotangent);
  checkClose(Array.fromHost([ip], [], "float64"), Array.fromHost([expected], [], "float64"), { ...opts, atol: opts.atol ?? tolOf(args), rtol: opts.rtol ?? tolOf(args) }, `${msg} cotangent projection`);
}

/** The gradient tolerance of the arguments' dtypes (the inner products are host float64). */
function tolOf(args: unknown[]): number {
  return Math.max(...treeFlatten(args)[0].map((l) => GRAD_TOL[toHost(l).dtype] ?? 0));
}

/**
 * Checks the derivatives of `f` at `args` against finite differences: JVPs ("fwd") and VJPs
 * ("rev"), and for `order` 2 the derivatives of the JVP and VJP functions themselves. Throws an
 * Error naming the failing check ("JVP tangent", "VJP of JVP cotangent projection", …).
 */
export function checkGrads(f: F, args: readonly unknown[], order: number, opts: CheckGradsOptions = {}): void {
  const modes = opts.modes ?? ["fwd", "rev"];
  const eps = opts.eps ?? 1e-4;
  for (const l of treeFlatten(args)[0]) {
    const d = toHost(l).dtype;
    if (!isFloat(d)) throw new TypeError(`checkGrads needs floating-point arguments, got ${d}`);
  }
  const go = (g: F, xs: unknown[], k: number, msg: string): void => {
    if (modes.includes("fwd")) {
      const m = msg ? `JVP of ${msg}` : "JVP";
      checkJvp(g, xs, opts, eps, m);
      if (k > 1) go((p, t) => jvp(g as never, p as unknown[], t as unknown[]), [xs, xs], k - 1, m);
    }
    if (modes.includes("rev")) {
      const m = msg ? `VJP of ${msg}` : "VJP";
      checkVjp(g, xs, opts, eps, m);
      if (k > 1) {
        go((...ys) => {
          const [out, pullback] = vjp(g as never, ys) as [unknown, (ct: unknown) => unknown];
          return pullback(out);
        }, xs, k - 1, m);
      }
    }
  };
  go(f, [...args], order, "");
}

