/**
 * @file Shared pieces of the linalg primitives: batched matrix helpers written with lax primitives
 * (transpose of the last two axes, matmul, tril/triu, eye, diagonal, blocks), input checks, the
 * batching rule (batch dims to the front), and the per-matrix driver of the host lowerings.
 */

import { type Value, TypedScalar, bind, bind1, getAval } from "../ir/core.js";
import type { DType } from "../ir/dtype.js";
import { ShapedArray, type Shape, prod, shapeStr } from "../ir/shape.js";
import { type BatchRule, type HostArray, type MaybeZero, Zero } from "../ir/rules.js";
import { bdimAtFront, tangentAval } from "./helpers.js";
import { broadcastInDim, broadcastedIota, convertElementType, reduceSum, transpose } from "./structural.js";
import { slice } from "./slicing.js";
import { dotGeneral } from "./dot.js";
import { readHost, writeHost } from "./host.js";
import type { Mat } from "./linalg_host.js";
import { mat } from "./linalg_host.js";

// ---- batched matrix helpers (lax ops over the last two dims) -------------------------------------

export const shapeOf = (x: Value): Shape => getAval(x).shape;
export const dtypeOf = (x: Value): DType => getAval(x).dtype;
export const add = (a: Value, b: Value) => bind1("add", [a, b]);
export const sub = (a: Value, b: Value) => bind1("sub", [a, b]);
export const mul = (a: Value, b: Value) => bind1("mul", [a, b]);
export const div = (a: Value, b: Value) => bind1("div", [a, b]);
export const neg = (a: Value) => bind1("neg", [a]);
export const full = (shape: Shape, v: number, dtype: DType) => broadcastInDim(new TypedScalar(v, dtype, false), shape, []);

/** Swaps the last two axes (JAX's _T). */
export function mT(x: Value): Value {
  const nd = shapeOf(x).length;
  return transpose(x, [...Array(nd - 2).keys(), nd - 1, nd - 2]);
}

/** Batched matrix product over the last two axes (leading axes are batch dims of both). */
export function matmul(a: Value, b: Value): Value {
  const nd = shapeOf(a).length;
  const batch = [...Array(nd - 2).keys()];
  return dotGeneral(a, b, [[[nd - 1], [nd - 2]], [batch, batch]]);
}

/** A mask of the last two axes of `shape`: keep (row, col) where col − row ≤ k (tril) or ≥ k (triu). */
export function triMask(shape: Shape, k: number, lower: boolean): Value {
  const nd = shape.length;
  const mn = shape.slice(nd - 2);
  const rows = broadcastedIota("int32", mn, 0), cols = broadcastedIota("int32", mn, 1);
  const diff = sub(cols, rows);
  const m = bind1(lower ? "le" : "ge", [diff, full([...mn], k, "int32")]);
  return broadcastInDim(m, shape, [nd - 2, nd - 1]);
}
export const keep = (x: Value, mask: Value) => bind1("select_n", [mask, full(shapeOf(x), 0, dtypeOf(x)), x]);
/** The lower triangle from diagonal k down (JAX's _tril). */
export const tril = (x: Value, k = 0): Value => keep(x, triMask(shapeOf(x), k, true));
/** The upper triangle from diagonal k up (JAX's _triu). */
export const triu = (x: Value, k = 0): Value => keep(x, triMask(shapeOf(x), k, false));

/** The n×n identity, broadcast to a batch shape. */
export function eye(n: number, dtype: DType, batch: Shape = []): Value {
  const e = convertElementType(bind1("eq", [broadcastedIota("int32", [n, n], 0), broadcastedIota("int32", [n, n], 1)]), dtype);
  return broadcastInDim(e, [...batch, n, n], [batch.length, batch.length + 1]);
}

/** The diagonal of square matrices [..., n, n] → [..., n]. */
export function diagonal(x: Value): Value {
  const s = shapeOf(x);
  return reduceSum(mul(x, eye(s[s.length - 1], dtypeOf(x), s.slice(0, -2))), [s.length - 1]);
}

/** (x + xᵀ) / 2 (JAX's symmetrize). */
export const symmetrize = (x: Value): Value => div(add(x, mT(x)), full(shapeOf(x), 2, dtypeOf(x)));

/** `x[..., a:b, c:d]` on the last two axes. */
export function block(x: Value, r0: number, r1: number, c0: number, c1: number): Value {
  const s = shapeOf(x);
  const nb = s.length - 2;
  return slice(x, [...Array(nb).fill(0), r0, c0], [...s.slice(0, nb), r1, c1], null);
}

// ---- shared rules ----------------------------------------------------------------------------------

/** Checks float dtype and rank ≥ `rank` of each input; returns the batch shape (equal for all inputs). */
export function linalgInputs(name: string, avals: ShapedArray[], ranks: number[]): Shape {
  let batch: Shape | null = null;
  avals.forEach((a, i) => {
    if (a.ndim < ranks[i]) throw new TypeError(`Input ${i} to ${name} must have rank at least ${ranks[i]}, but got shape=${shapeStr(a.shape)}`);
    if (!(a.dtype === "float32" || a.dtype === "float64")) {
      throw new TypeError(`${name} does not accept dtype ${a.dtype}. Accepted dtypes are subtypes of floating (float32, float64).`);
    }
    const b = a.shape.slice(0, a.ndim - ranks[i]);
    if (batch && batch.length !== b.length) {
      throw new TypeError(`All inputs to ${name} must have the same number of batch dimensions, but got [${avals.map((x, k) => x.ndim - ranks[k]).join(", ")}] batch dimensions for the inputs.`);
    }
    batch = batch ?? b;
  });
  if (avals.length > 1 && avals.some((a) => a.dtype !== avals[0].dtype)) {
    throw new TypeError(`${name} requires arguments to have the same dtypes, got ${avals.map((a) => a.dtype).join(", ")}.`);
  }
  return batch ?? [];
}

/** JAX's expand_dims_batcher: every batch dim to the front (unbatched operands broadcast). */
export const expandDimsBatcher = (prim: string): BatchRule => (args, dims, p, size) => {
  const outs = bind(prim, args.map((a, i) => bdimAtFront(a, dims[i], size)), p);
  return [outs, outs.map(() => 0)];
};

/** Runs `fn` on each matrix of a batch (the last two dims of every input), concatenating the outputs. */
export function perMatrix(ins: HostArray[], outs: { shape: Shape; dtype: DType }[], fn: (mats: Mat[]) => ArrayLike<number>[]): HostArray[] {
  const vals = ins.map(readHost);
  const batch = prod(ins[0].shape.slice(0, -2));
  const inSizes = ins.map((h) => h.shape.slice(-2));
  const outVals = outs.map((o) => new Float64Array(prod(o.shape)));
  const outStride = outs.map((o) => (batch === 0 ? 0 : prod(o.shape) / batch));
  for (let b = 0; b < batch; b++) {
    const mats = ins.map((_, i) => {
      const [m, n] = inSizes[i];
      return mat(m, n, vals[i].slice(b * m * n, (b + 1) * m * n));
    });
    fn(mats).forEach((r, o) => outVals[o].set(r, b * outStride[o]));
  }
  return outs.map((o, i) => ({ data: writeHost(outVals[i], o.dtype), shape: o.shape, dtype: o.dtype }));
}

export const jvpZeros = (outs: Value[]): MaybeZero[] => outs.map((o) => new Zero(tangentAval(getAval(o))));
