/**
 * @file jnp's reductions (jax/_src/numpy/reductions.py): sum, prod, max, min, all, any, mean,
 * var, std, argmax/argmin, cumulative sums and products, the nan-ignoring variants, ptp,
 * count_nonzero and average, with NumPy's axis/keepdims/dtype/where/initial and JAX's dtypes
 * (bools and narrow ints sum in the default int; mean of ints is the default float).
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import {
  type DType, defaultInt, defaultUint, isBool, isFloat, isSignedInt, isUnsignedInt, ITEMSIZE, toInexact,
} from "../ir/dtype.js";
import { prod as shapeProd } from "../ir/shape.js";
import {
  type ArrayLike, type DTypeLike, J, asarray, canonicalizeAxis, convert, dtypeArg, reductionAxes, typedScalar, toValue,
  promoteShapes, resultKind, optNum, broadcastTo,
} from "./coerce.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

export type Axis = number | readonly number[] | null;

export interface ReduceOpts {
  axis?: Axis;
  dtype?: DTypeLike | null;
  keepdims?: boolean;
  initial?: number | boolean | null;
  where?: ArrayLike | null;
  promote_integers?: boolean;
}

/** bools and ints narrower than the default int accumulate in the default int (JAX, not NumPy's int64). */
function promotedIntType(d: DType): DType {
  if (isBool(d)) return defaultInt();
  if (isUnsignedInt(d) && ITEMSIZE[d] < ITEMSIZE[defaultUint()]) return defaultUint();
  if (isSignedInt(d) && ITEMSIZE[d] < ITEMSIZE[defaultInt()]) return defaultInt();
  return d;
}

/** The init value of a reduction in a dtype (the identity, or the extreme for max/min). */
function identityOf(kind: "sum" | "prod" | "max" | "min", d: DType): number | boolean {
  if (kind === "sum") return isBool(d) ? false : 0;
  if (kind === "prod") return isBool(d) ? true : 1;
  if (isBool(d)) return kind === "min";
  if (isFloat(d)) return kind === "max" ? -Infinity : Infinity;
  const lim = d === "int32" ? [-2147483648, 2147483647] : d === "uint32" ? [0, 4294967295] : d === "int8" ? [-128, 127] : d === "uint8" ? [0, 255] : d === "int16" ? [-32768, 32767] : d === "uint16" ? [0, 65535] : [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  return kind === "max" ? lim[0] : lim[1];
}

const REDUCE: Record<"sum" | "prod" | "max" | "min", { op: (x: Value, axes: number[]) => Value; boolOp: (x: Value, axes: number[]) => Value; bin: (a: Value, b: Value) => Value }> = {
  sum: { op: P.reduceSum, boolOp: P.reduceOr, bin: P.add },
  prod: { op: P.reduceProd, boolOp: P.reduceAnd, bin: P.mul },
  max: { op: P.reduceMax, boolOp: P.reduceOr, bin: P.max },
  min: { op: P.reduceMin, boolOp: P.reduceAnd, bin: P.min },
};

/** Puts size-1 axes back where `axes` were reduced (lax.expand_dims = broadcast_in_dim). */
function keepDims(r: Value, shape: readonly number[], axes: number[]): Value {
  const out = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return P.broadcastInDim(r, out, kept);
}

/** JAX's _reduction: dtype handling, where-masking, initial, keepdims. */
function reduction(name: string, kind: keyof typeof REDUCE, x: ArrayLike, opts: ReduceOpts, hasIdentity: boolean, promoteInts: boolean): JaxValue {
  let a = toValue(x);
  if (!(a instanceof JaxValue)) a = asarray(a);
  const aval = getAval(a);
  const axes = reductionAxes(opts.axis, aval.ndim);
  let resultDtype = opts.dtype ? dtypeArg(opts.dtype) : aval.dtype;
  if (!opts.dtype && promoteInts && (opts.promote_integers ?? true)) resultDtype = promotedIntType(resultDtype);
  // float16 sums and products are computed in float32, as JAX does.
  const computeDtype: DType = (kind === "sum" || kind === "prod") && (resultDtype === "float16" || resultDtype === "bfloat16") ? "float32" : resultDtype;
  if (!hasIdentity && opts.initial == null && opts.where != null) {
    throw new ValueError(`reduction operation ${name} does not have an identity, so to use a where mask one has to specify 'initial'`);
  }
  if (!hasIdentity && opts.initial == null && axes.some((i) => aval.shape[i] === 0)) {
    throw new ValueError(`zero-size array to reduction operation ${name} which has no identity`);
  }
  let v = convert(a, computeDtype, aval.weakType);
  const { op, boolOp, bin } = REDUCE[kind];
  if (opts.where != null) {
    const init = typedScalar(identityOf(kind, computeDtype), computeDtype, true);
    const [m, vv] = promoteShapes(name, convert(toValue(opts.where), "bool", false), v);
    v = P.select(broadcastLike(m, getAval(vv).shape), vv, P.broadcastInDim(init, getAval(vv).shape, []));
    if (!shapeEqual(getAval(v).shape, aval.shape)) throw new ValueError(`${name}: where mask of shape must broadcast to the array's shape`);
  }
  let r = axes.length ? (isBool(computeDtype) ? boolOp : op)(v, axes) : v;
  if (opts.initial != null) r = bin(r, typedScalar(opts.initial, computeDtype, true));
  if (opts.keepdims) r = keepDims(r, aval.shape, axes);
  return J(convert(r, resultDtype, getAval(r).weakType));
}

const shapeEqual = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const broadcastLike = (m: Value, shape: readonly number[]): Value => (getAval(m).ndim === 0 && shape.length ? P.broadcastInDim(m, shape, []) : m);

export const sum = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => reduction("sum", "sum", x, opts, true, true);
export const prod = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => reduction("prod", "prod", x, opts, true, true);
export const max = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => reduction("max", "max", x, opts, false, false);
export const min = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => reduction("min", "min", x, opts, false, false);
export const amax = max;
export const amin = min;

/** all/any: truth values reduced with and/or. */
function boolReduction(name: string, kind: "prod" | "sum", x: ArrayLike, opts: ReduceOpts): JaxValue {
  const a = asarray(x);
  const b = isBool(a.dtype) ? a : P.ne(a, typedScalar(0, a.dtype, true));
  return reduction(name, kind, b, { ...opts, dtype: null, initial: null }, true, false);
}
export const all = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => boolReduction("all", "prod", x, opts);
export const any = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => boolReduction("any", "sum", x, opts);

/** The number of elements a reduction over `axes` combines (or the where-mask's count). */
function countOf(a: Value, opts: ReduceOpts, axes: number[], dtype: DType): Value {
  if (opts.where != null) return sum(broadcastTo(asarray(opts.where), getAval(a).shape), { axis: opts.axis, keepdims: opts.keepdims, dtype });
  return typedScalar(axes.reduce((n, i) => n * getAval(a).shape[i], 1), dtype, true);
}

/** mean: the sum in the inexact result type divided by the count. */
export function mean(x: ArrayLike, opts: Omit<ReduceOpts, "initial"> = {}): JaxValue {
  const a = asarray(x);
  const resultDtype = opts.dtype ? dtypeArg(opts.dtype) : toInexact(a.dtype);
  const compute: DType = resultDtype === "float16" || resultDtype === "bfloat16" ? "float32" : resultDtype;
  const axes = reductionAxes(opts.axis, a.ndim);
  const s = sum(a, { axis: opts.axis, keepdims: opts.keepdims, where: opts.where, dtype: compute });
  return J(convert(P.div(s, countOf(a, opts, axes, compute)), resultDtype, s.weakType));
}

export interface VarOpts extends Omit<ReduceOpts, "initial"> {
  ddof?: number;
  correction?: number;
}

/** var: the mean squared deviation, divided by N - ddof. */
export function variance(x: ArrayLike, opts: VarOpts = {}): JaxValue {
  const a = asarray(x);
  const ddof = Number(optNum(opts.correction ?? opts.ddof ?? 0));
  const resultDtype = opts.dtype ? dtypeArg(opts.dtype) : toInexact(a.dtype);
  const compute: DType = resultDtype === "float16" || resultDtype === "bfloat16" ? "float32" : resultDtype;
  const axes = reductionAxes(opts.axis, a.ndim);
  const ac = convert(a, compute, a.weakType);
  const centered = P.sub(ac, mean(ac, { axis: opts.axis, keepdims: true, where: opts.where, dtype: compute }));
  const sq = P.mul(centered, centered);
  const total = sum(sq, { axis: opts.axis, keepdims: opts.keepdims, where: opts.where, dtype: compute });
  const n = countOf(a, opts, axes, compute);
  const denom = P.max(P.sub(n, typedScalar(ddof, compute, true)), typedScalar(0, compute, true));
  return J(convert(P.div(total, denom), resultDtype, total.weakType));
}
export { variance as var };

export function std(x: ArrayLike, opts: VarOpts = {}): JaxValue {
  const v = variance(x, opts);
  return J(P.sqrt(v));
}

/** argmax/argmin: the first index of the extreme (NaN counts as the extreme); axis null flattens. */
function argReduce(name: "argmax" | "argmin", x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean }): JaxValue {
  let a: Value = asarray(x);
  let aval = getAval(a);
  const flat = opts.axis == null;
  if (flat) {
    a = aval.ndim === 1 ? a : P.reshape(a, [aval.size]);
    aval = getAval(a);
  }
  const axis = flat ? 0 : canonicalizeAxis(opts.axis as number, aval.ndim);
  if (aval.shape[axis] === 0) throw new ValueError(`attempt to get ${name} of an empty sequence`);
  const f = name === "argmax" ? P.argmax : P.argmin;
  let r = f(a, axis, defaultInt());
  if (opts.keepdims) {
    const orig = getAval(asarray(x)).shape;
    r = flat ? P.reshape(r, orig.map(() => 1)) : keepDims(r, aval.shape, [axis]);
  }
  return J(r);
}
export const argmax = (x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean } = {}): JaxValue => argReduce("argmax", x, opts);
export const argmin = (x: ArrayLike, opts: { axis?: number | null; keepdims?: boolean } = {}): JaxValue => argReduce("argmin", x, opts);

/** cumsum/cumprod (and cummax/cummin): axis null flattens; bools and narrow ints accumulate in the default int. */
function cumulative(f: (x: Value, axis: number) => Value, promote: boolean, x: ArrayLike, opts: { axis?: number | null; dtype?: DTypeLike | null }): JaxValue {
  let a: Value = asarray(x);
  let aval = getAval(a);
  if (opts.axis == null) {
    a = aval.ndim === 1 ? a : P.reshape(a, [aval.size]);
    aval = getAval(a);
  }
  const axis = canonicalizeAxis(opts.axis ?? 0, aval.ndim);
  let dtype = opts.dtype ? dtypeArg(opts.dtype) : aval.dtype;
  if (!opts.dtype && (promote || isBool(dtype))) dtype = promotedIntType(dtype);
  a = convert(a, dtype, aval.weakType);
  if (aval.shape[axis] === 0) return J(a);
  return J(f(a, axis));
}
export const cumsum = (x: ArrayLike, opts: { axis?: number | null; dtype?: DTypeLike | null } = {}): JaxValue => cumulative(P.cumsum, true, x, opts);
export const cumprod = (x: ArrayLike, opts: { axis?: number | null; dtype?: DTypeLike | null } = {}): JaxValue => cumulative(P.cumprod, true, x, opts);
export const cumulativeSum = cumsum;
export const cumulativeProd = cumprod;

// ---- nan-ignoring reductions -------------------------------------------------------------------------

const isnanV = (a: Value): Value => P.ne(a, a);

/** Replaces NaNs by `v` (a no-op for non-floats). */
function nanTo(a: JaxValue, v: number): Value {
  if (!isFloat(a.dtype)) return a;
  return P.select(isnanV(a), P.broadcastInDim(typedScalar(v, a.dtype, true), a.shape, []), a);
}

export const nansum = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => sum(nanTo(asarray(x), 0), opts);
export const nanprod = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => prod(nanTo(asarray(x), 1), opts);

/** nanmax/nanmin: NaN only where every element is NaN. */
function nanExtreme(kind: "max" | "min", x: ArrayLike, opts: ReduceOpts): JaxValue {
  const a = asarray(x);
  const f = kind === "max" ? max : min;
  if (!isFloat(a.dtype)) return f(a, opts);
  const out = f(nanTo(a, kind === "max" ? -Infinity : Infinity), opts);
  const allNan = all(isnanV(a), { axis: opts.axis, keepdims: opts.keepdims });
  return J(P.select(allNan, P.broadcastInDim(typedScalar(NaN, out.dtype, true), out.shape, []), out));
}
export const nanmax = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => nanExtreme("max", x, opts);
export const nanmin = (x: ArrayLike, opts: ReduceOpts = {}): JaxValue => nanExtreme("min", x, opts);

/** nanmean: the sum of the non-NaN elements over their count. */
export function nanmean(x: ArrayLike, opts: Omit<ReduceOpts, "initial"> = {}): JaxValue {
  const a = asarray(x);
  if (!isFloat(a.dtype)) return mean(a, opts);
  const resultDtype = opts.dtype ? dtypeArg(opts.dtype) : a.dtype;
  const count = sum(P.not(isnanV(a)), { axis: opts.axis, keepdims: opts.keepdims, where: opts.where, dtype: resultDtype });
  const total = nansum(a, { axis: opts.axis, keepdims: opts.keepdims, where: opts.where, dtype: resultDtype });
  return J(P.div(total, count));
}

/** ptp: max - min along the axes. */
export function ptp(x: ArrayLike, opts: { axis?: Axis; keepdims?: boolean } = {}): JaxValue {
  const a = asarray(x);
  return J(P.sub(max(a, opts), min(a, opts)));
}

/** count_nonzero: the number of elements ≠ 0, as the default int. */
export function countNonzero(x: ArrayLike, opts: { axis?: Axis; keepdims?: boolean } = {}): JaxValue {
  const a = asarray(x);
  const nz = isBool(a.dtype) ? a : P.ne(a, typedScalar(0, a.dtype, true));
  return sum(nz, { ...opts, dtype: defaultInt() });
}

/**
 * average(a, axis, weights, returned, keepdims): the weighted mean; with `returned`, also the
 * sum of weights. 1-D weights along a single axis broadcast along it, as in NumPy.
 */
export function average(x: ArrayLike, opts: { axis?: Axis; weights?: ArrayLike | null; returned?: boolean; keepdims?: boolean } = {}): JaxValue | [JaxValue, JaxValue] {
  const a = asarray(x);
  if (opts.weights == null) {
    const avg = mean(a, { axis: opts.axis, keepdims: opts.keepdims });
    if (!opts.returned) return avg;
    const axes = reductionAxes(opts.axis, a.ndim);
    const n = axes.reduce((k, i) => k * a.shape[i], 1);
    return [avg, J(P.broadcastInDim(typedScalar(n, avg.dtype, false), avg.shape, []))];
  }
  let w = asarray(opts.weights);
  const dtype = toInexact(resultKind(a, w).dtype);
  if (!shapeEqual(w.shape, a.shape)) {
    if (opts.axis == null) throw new TypeError("Axis must be specified when shapes of a and weights differ.");
    if (w.ndim !== 1) throw new TypeError("1D weights expected when shapes of a and weights differ.");
    const ax = canonicalizeAxis(opts.axis as number, a.ndim);
    if (w.shape[0] !== a.shape[ax]) throw new ValueError("Length of weights not compatible with specified axis.");
    w = J(P.broadcastInDim(w, a.shape, [ax]));
  }
  const ac = convert(a, dtype, false), wc = convert(w, dtype, false);
  const wsum = sum(wc, { axis: opts.axis, keepdims: opts.keepdims });
  const avg = J(P.div(sum(P.mul(ac, wc), { axis: opts.axis, keepdims: opts.keepdims }), wsum));
  return opts.returned ? [avg, wsum] : avg;
}


export const size = (x: ArrayLike): number => shapeProd(asarray(x).shape);
