/**
 * @file Statistics beyond the basic reductions (jax/_src/numpy/reductions.py, lax_numpy.py):
 * nan-ignoring variance and argmax/argmin, covariance and correlation, bincount and histogram
 * (a scatter-add into static bins), the trapezoidal rule, Vandermonde matrices and isin.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { type DType, defaultInt, isFloat, isInt, toInexact } from "../ir/dtype.js";
import { type ArrayLike, type DTypeLike, J, asarray, convert, dtypeArg, typedScalar, optNum, concreteInt, promoteDtypesInexact } from "./coerce.js";
import { type Axis, all, any, argmax, argmin, max, min, mean, nanmean, sum } from "./reductions.js";
import { atleast2d, concatenate, expandDims, ravel, sliceAxis, squeeze } from "./shape.js";
import { linspace } from "./creation.js";
import { matmul } from "./products.js";
import { power, equal, logicalNot } from "./elementwise.js";
import { searchsorted } from "./sorting.js";
import { diff } from "./misc.js";
import { canonicalizeAxis } from "./coerce.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

const isnan = (a: Value): Value => P.ne(a, a);
const full = (shape: readonly number[], v: number, dtype: DType): Value => P.broadcastInDim(typedScalar(v, dtype, false), shape, []);

/** nanvar: the variance of the non-NaN elements (NaN where fewer than ddof + 1 remain). */
export function nanvar(x: ArrayLike, opts: { axis?: Axis; dtype?: DTypeLike | null; ddof?: number; keepdims?: boolean; where?: ArrayLike | null } = {}): JaxValue {
  const a0 = asarray(x);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : toInexact(a0.dtype);
  const a = J(convert(a0, dtype, false));
  const m = nanmean(a, { axis: opts.axis, keepdims: true, where: opts.where });
  const centered = P.sub(a, P.broadcastInDim(m, a.shape, a.shape.map((_, i) => i)));
  const sq = P.select(isnan(a), full(a.shape, 0, dtype), P.mul(centered, centered));
  const count = sum(logicalNot(J(isnan(a))), { axis: opts.axis, keepdims: opts.keepdims, where: opts.where, dtype });
  const n = P.sub(count, typedScalar(Number(optNum(opts.ddof ?? 0)), dtype, true));
  const empty = P.le(n, typedScalar(0, dtype, true));
  const total = sum(J(sq), { axis: opts.axis, keepdims: opts.keepdims, where: opts.where });
  const shape = getAval(total).shape;
  const r = P.div(total, P.select(empty, full(shape, 1, dtype), n));
  return J(P.select(empty, full(shape, NaN, dtype), r));
}

export const nanstd = (x: ArrayLike, opts: { axis?: Axis; dtype?: DTypeLike | null; ddof?: number; keepdims?: boolean; where?: ArrayLike | null } = {}): JaxValue =>
  J(P.sqrt(nanvar(x, opts)));

/** nanargmax/nanargmin: NaNs never win; a slice of NaNs only gives -1. */
function nanArg(which: "max" | "min", x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean }): JaxValue {
  const a = asarray(x);
  const f = which === "max" ? argmax : argmin;
  if (!isFloat(a.dtype)) return f(a, opts);
  const mask = isnan(a);
  const filled = P.select(mask, full(a.shape, which === "max" ? -Infinity : Infinity, a.dtype), a);
  const r = f(J(filled), opts);
  const allNan = all(J(mask), { axis: opts.axis, keepdims: opts.keepdims });
  return J(P.select(allNan, full(r.shape, -1, r.dtype), r));
}
export const nanargmax = (x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean } = {}): JaxValue => nanArg("max", x, opts);
export const nanargmin = (x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean } = {}): JaxValue => nanArg("min", x, opts);

/** cov(m, y=None, rowvar=True, bias=False, ddof=None): the covariance of the variables (rows by default). */
export function cov(m: ArrayLike, opts: { y?: ArrayLike | null; rowvar?: boolean; bias?: boolean; ddof?: number | null } = {}): JaxValue {
  const [mv] = promoteDtypesInexact(m);
  let X = atleast2d(J(mv));
  if (X.ndim > 2) throw new ValueError("m has more than 2 dimensions");
  const rowvar = opts.rowvar ?? true;
  if (!rowvar && X.shape[0] !== 1) X = J(P.transpose(X, [1, 0]));
  if (opts.y != null) {
    let Y = atleast2d(J(promoteDtypesInexact(opts.y)[0]));
    if (!rowvar && Y.shape[0] !== 1) Y = J(P.transpose(Y, [1, 0]));
    X = concatenate([X, Y], { axis: 0 });
  }
  const n = X.shape[1];
  const ddof = Number(optNum(opts.ddof ?? (opts.bias ? 0 : 1)));
  const centered = J(P.sub(X, P.broadcastInDim(mean(X, { axis: 1 }), X.shape, [0])));
  const c = matmul(centered, J(P.transpose(centered, [1, 0])));
  return squeeze(J(P.div(c, typedScalar(Math.max(n - ddof, 0), c.dtype, true))));
}

/** corrcoef(x, y=None, rowvar=True): the covariance normalized by the standard deviations, clipped to [-1, 1]. */
export function corrcoef(x: ArrayLike, opts: { y?: ArrayLike | null; rowvar?: boolean } = {}): JaxValue {
  const c = cov(x, { y: opts.y, rowvar: opts.rowvar });
  if (c.ndim === 0) return J(P.div(c, c));
  const d = P.sqrt(sliceDiag(c));
  const n = c.shape[0];
  const r = P.div(P.div(c, P.broadcastInDim(d, [n, n], [0])), P.broadcastInDim(d, [n, n], [1]));
  const one = typedScalar(1, c.dtype, true), minus = typedScalar(-1, c.dtype, true);
  return J(P.clamp(minus, r, one));
}
const sliceDiag = (c: JaxValue): Value => {
  const n = c.shape[0];
  return P.slice(P.reshape(c, [n * n]), [0], [n * n], [n + 1]);
};

/**
 * bincount(x, weights=None, minlength=0, length=None): counts (or summed weights) of each
 * non-negative integer. The output length must be static: `length`, or from concrete x.
 */
export function bincount(x: ArrayLike, opts: { weights?: ArrayLike | null; minlength?: number; length?: number | null } = {}): JaxValue {
  const a = ravel(x);
  if (!isInt(a.dtype)) throw new TypeError(`bincount: x argument must have an integer type; got ${a.dtype}`);
  const minlength = concreteInt(opts.minlength ?? 0, "minlength");
  const length = opts.length != null ? concreteInt(opts.length, "length")
    : Math.max(minlength, a.size ? concreteInt(J(P.add(max(a), typedScalar(1, a.dtype, true))), "The length of bincount (max(x) + 1)") : 0);
  const w = opts.weights == null ? J(full(a.shape, 1, defaultInt())) : ravel(opts.weights);
  const zeros = J(full([length], 0, w.dtype));
  return zeros.at([a]).add(w);
}

/**
 * histogram(a, bins=10, range=None, weights=None, density=None): JAX's counts (in the weights'
 * float dtype) and the bin edges; the last bin includes its right edge.
 */
export function histogram(x: ArrayLike, opts: { bins?: number | ArrayLike; range?: readonly [number, number] | null; weights?: ArrayLike | null; density?: boolean | null } = {}): [JaxValue, JaxValue] {
  const a = ravel(promoteDtypesInexact(x)[0] as JaxValue);
  const dtype = a.dtype;
  const bins = opts.bins ?? 10;
  let edges: JaxValue;
  if (typeof bins === "number") {
    const nb = concreteInt(bins, "bins");
    let lo: Value, hi: Value;
    if (opts.range) [lo, hi] = opts.range.map((v) => typedScalar(v, dtype, false));
    else [lo, hi] = [min(a), max(a)];
    // An empty range widens to ±0.5, as NumPy does.
    const same = P.eq(lo, hi);
    lo = P.select(same, P.sub(lo, typedScalar(0.5, dtype, true)), lo);
    hi = P.select(same, P.add(hi, typedScalar(0.5, dtype, true)), hi);
    edges = linspace(J(lo), J(hi), { num: nb + 1, dtype }) as JaxValue;
  } else {
    edges = J(convert(asarray(bins), dtype, false));
  }
  const ne = edges.size;
  const w = opts.weights == null ? J(full(a.shape, 1, dtype)) : J(convert(ravel(opts.weights), dtype, false));
  let idx = searchsorted(edges, a, { side: "right" });
  // The last edge belongs to the last bin; values beyond the edges land in dropped slots.
  const lastEdge = P.broadcastInDim(P.reshape(P.slice(edges, [ne - 1], [ne], null), []), a.shape, []);
  idx = J(P.select(P.eq(a, lastEdge), full(a.shape, ne - 1, idx.dtype), idx));
  let counts = J(sliceAxis(J(full([ne + 1], 0, dtype)).at([idx]).add(w), 0, 1, ne));
  if (opts.density) {
    const widths = diff(edges);
    counts = J(P.div(counts, P.mul(sum(counts), widths)));
  }
  return [counts, edges];
}

/** trapezoid(y, x=None, dx=1.0, axis=-1): the trapezoidal rule along an axis. */
export function trapezoid(y: ArrayLike, opts: { x?: ArrayLike | null; dx?: number; axis?: number } = {}): JaxValue {
  const yv = J(promoteDtypesInexact(y)[0]);
  const axis = canonicalizeAxis(opts.axis ?? -1, yv.ndim);
  const n = yv.shape[axis];
  const avg = P.mul(P.add(sliceAxis(yv, axis, 1, n), sliceAxis(yv, axis, 0, n - 1)), typedScalar(0.5, yv.dtype, true));
  let d: Value;
  if (opts.x != null) {
    const xv = J(convert(asarray(opts.x), yv.dtype, false));
    const dx = diff(xv, { axis: xv.ndim === 1 ? 0 : axis });
    d = xv.ndim === 1 ? P.broadcastInDim(dx, getAval(avg).shape, [axis]) : dx;
  } else {
    d = typedScalar(Number(optNum(opts.dx ?? 1)), yv.dtype, true);
  }
  return sum(J(P.mul(avg, d)), { axis });
}

/** vander(x, N=None, increasing=False): columns of powers of x. */
export function vander(x: ArrayLike, opts: { N?: number | null; increasing?: boolean } = {}): JaxValue {
  const xv = asarray(x);
  if (xv.ndim !== 1) throw new ValueError("x must be a one-dimensional array");
  const n = opts.N == null ? xv.size : concreteInt(opts.N, "N");
  if (n < 0) throw new ValueError("N must be nonnegative");
  let io: Value = P.iota(defaultInt(), [n], 0);
  if (!opts.increasing) io = P.sub(typedScalar(n - 1, defaultInt(), true), io);
  return power(expandDims(xv, -1), expandDims(J(io), 0));
}

/** isin(element, test_elements, invert=False): whether each element occurs among the test elements. */
export function isin(element: ArrayLike, testElements: ArrayLike, opts: { assume_unique?: boolean; invert?: boolean } = {}): JaxValue {
  const e = asarray(element);
  const t = ravel(testElements);
  const found = any(equal(expandDims(e, -1), t), { axis: -1 });
  return opts.invert ? logicalNot(found) : found;
}
