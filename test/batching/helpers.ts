/**
 * @file Host-side helpers for batching tests: seeded random arrays, slicing one element out of a
 * batch and stacking results along an axis, so that `vmap(f)` can be compared with a loop.
 */

import { Array } from "../../kernel/backend/array.js";
import type { DType } from "../../kernel/ir/dtype.js";
import { isFloat, isBool, isUnsignedInt } from "../../kernel/ir/dtype.js";
import { stridesOf, prod } from "../../kernel/ir/shape.js";
import type { Value } from "../../kernel/ir/core.js";

/** A small deterministic generator (mulberry32). */
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

/** Where random values are drawn from (domains of functions like log, asin, acosh, shifts). */
export type Domain = "any" | "pos" | "unit" | "ge1" | "nz" | "small" | "shift" | {
  readonly lo: number;
  readonly hi: number;
  /** Whole numbers only (also for float dtypes). */
  readonly int?: boolean;
};

export function randomData(n: number, dtype: DType, r: () => number, dom: Domain = "any"): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    if (isBool(dtype)) out.push(u < 0.5 ? 0 : 1);
    else if (typeof dom === "object") out.push(isFloat(dtype) && !dom.int ? dom.lo + u * (dom.hi - dom.lo) : Math.floor(dom.lo + u * (dom.hi - dom.lo + 1)));
    else if (!isFloat(dtype)) {
      const lo = dom === "shift" ? 0 : isUnsignedInt(dtype) || dom === "pos" ? 1 : dom === "nz" ? 1 : -5;
      const hi = dom === "shift" ? 7 : 6;
      const v = Math.floor(lo + u * (hi - lo + 1));
      out.push(dom === "nz" && !isUnsignedInt(dtype) && r() < 0.5 ? -v : v);
    } else {
      switch (dom) {
        case "pos": out.push(0.25 + 2.75 * u); break;
        case "unit": out.push(-0.9 + 1.8 * u); break;
        case "ge1": out.push(1 + 2 * u); break;
        case "nz": out.push((0.5 + 1.5 * u) * (r() < 0.5 ? -1 : 1)); break;
        case "small": out.push(-1 + 2 * u); break;
        default: out.push(-2 + 4 * u);
      }
    }
  }
  return out;
}

export function randomArray(shape: readonly number[], dtype: DType, r: () => number, dom: Domain = "any"): Array {
  return Array.fromHost(randomData(prod(shape), dtype, r, dom), shape, dtype);
}

/** A host copy of an array: shape, dtype and row-major numbers. */
export interface HostNd {
  shape: number[];
  dtype: string;
  data: number[];
}

export function toHost(x: Value): HostNd {
  if (!(x instanceof Array)) throw new TypeError(`expected a concrete Array, got ${String(x)}`);
  return { shape: [...x.shape], dtype: x.dtype, data: x.toNumbers() };
}

/** Element `i` along `axis` of a host array (the axis removed). */
export function takeAxis(x: HostNd, axis: number, i: number): HostNd {
  const st = stridesOf(x.shape);
  const shape = x.shape.filter((_, k) => k !== axis);
  const n = prod(shape);
  const data = new globalThis.Array<number>(n);
  const sub = stridesOf(shape);
  for (let j = 0; j < n; j++) {
    let rem = j;
    let off = i * st[axis];
    shape.forEach((_, k) => {
      const c = Math.floor(rem / sub[k]);
      rem -= c * sub[k];
      off += c * st[k < axis ? k : k + 1];
    });
    data[j] = x.data[off];
  }
  return { shape, dtype: x.dtype, data };
}

/** Stacks equal-shaped host arrays along a new `axis`. */
export function stackAxis(xs: readonly HostNd[], axis: number): HostNd {
  const inner = xs[0].shape;
  const shape = [...inner];
  shape.splice(axis, 0, xs.length);
  const st = stridesOf(shape);
  const n = prod(shape);
  const data = new globalThis.Array<number>(n);
  const sub = stridesOf(inner);
  xs.forEach((x, b) => {
    for (let j = 0; j < x.data.length; j++) {
      let rem = j;
      let off = b * st[axis];
      inner.forEach((_, k) => {
        const c = Math.floor(rem / sub[k]);
        rem -= c * sub[k];
        off += c * st[k < axis ? k : k + 1];
      });
      data[off] = x.data[j];
    }
  });
  return { shape, dtype: xs[0].dtype, data };
}

export const fromHostNd = (x: HostNd): Array => Array.fromHost(x.data, x.shape, x.dtype as DType);

/** Asserts equal shapes and dtypes and values within tolerance (NaN equals NaN, infinities exact). */
export function assertHostClose(got: HostNd, want: HostNd, tol: { rtol: number; atol: number }, msg: string): void {
  const fail = (what: string) => {
    throw new Error(`${msg}: ${what}`);
  };
  if (got.shape.join(",") !== want.shape.join(",")) fail(`shape (${got.shape.join(", ")}) != (${want.shape.join(", ")})`);
  if (got.dtype !== want.dtype) fail(`dtype ${got.dtype} != ${want.dtype}`);
  got.data.forEach((a, i) => {
    const e = want.data[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) fail(`element ${i}: got ${a}, want ${e}`);
  });
}
