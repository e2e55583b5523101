/**
 * @file Sorting, searching and set functions over lax.sort (jax/_src/numpy/{sorting,setops}.py):
 * sort, argsort, searchsorted, nonzero/flatnonzero/argwhere and unique with JAX's `size=` and
 * `fill_value=` (static output sizes, so they work under jit), and the order statistics median,
 * quantile, percentile.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { concreteOrError } from "../ir/errors.js";
import { defaultInt, isFloat, toInexact } from "../ir/dtype.js";
import { type ArrayLike, J, asarray, canonicalizeAxis, convert, reductionAxes, typedScalar, promoteDtypes, shapeOf } from "./coerce.js";
import { ravel, moveaxis, reshape, expandDims, stack } from "./shape.js";
import { sum, any as anyR, cumsum } from "./reductions.js";
import { take } from "./indexing.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";


/** `jnp.sort(a, axis=-1, stable=True, descending=False)`; axis null sorts the flattened array. */
export function sort(x: ArrayLike, opts: { axis?: number | null; stable?: boolean; descending?: boolean; kind?: string | null } = {}): JaxValue {
  let a = asarray(x);
  if (opts.axis === null) a = ravel(a);
  if (a.ndim === 0) throw new ValueError("sort: cannot sort a 0-dimensional array");
  const axis = canonicalizeAxis(opts.axis ?? -1, a.ndim);
  const r = P.sortMulti([a], axis, opts.stable ?? true, 1)[0];
  return J(opts.descending ? P.rev(r, [axis]) : r);
}

/** `jnp.argsort(a, axis=-1, stable=True, descending=False)`: a stable sort of (keys, iota). */
export function argsort(x: ArrayLike, opts: { axis?: number | null; stable?: boolean; descending?: boolean; kind?: string | null } = {}): JaxValue {
  let a: Value = asarray(x);
  if (opts.axis === null) a = ravel(J(a));
  const shape = getAval(a).shape;
  if (shape.length === 0) throw new ValueError("argsort: cannot sort a 0-dimensional array");
  const axis = canonicalizeAxis(opts.axis ?? -1, shape.length);
  const n = shape[axis];
  if (opts.descending) a = P.rev(a, [axis]);
  const iota = P.iota(defaultInt(), shape, axis);
  let idx = P.sortMulti([a, iota], axis, opts.stable ?? true, 1)[1];
  // Descending: the ascending order of the reversed array, read backwards, indexes the original.
  if (opts.descending) idx = P.sub(typedScalar(n - 1, defaultInt(), true), P.rev(idx, [axis]));
  return J(idx);
}

/**
 * `jnp.searchsorted(a, v, side='left')`: for each v, the number of elements of sorted 1-D `a`
 * below it (left) or at most it (right) — JAX's compare_all method.
 */
export function searchsorted(a: ArrayLike, v: ArrayLike, opts: { side?: "left" | "right"; sorter?: ArrayLike | null } = {}): JaxValue {
  let arr = asarray(a);
  if (arr.ndim !== 1) throw new ValueError(`a should be 1-dimensional, got shape (${arr.shape.join(", ")})`);
  if (opts.sorter != null) arr = take(arr, opts.sorter);
  const side = opts.side ?? "left";
  if (side !== "left" && side !== "right") throw new ValueError(`${JSON.stringify(side)} is an invalid value for keyword 'side'`);
  const [aa, vv] = promoteDtypes(arr, v).map((t) => J(t));
  const ve = expandDims(vv, -1);
  const shape = [...vv.shape, aa.shape[0]];
  const ab = P.broadcastInDim(aa, shape, [shape.length - 1]);
  const vb = P.broadcastInDim(ve, shape, shape.map((_, i) => i));
  const cmp = side === "left" ? P.lt(ab, vb) : P.le(ab, vb);
  return sum(cmp, { axis: -1, dtype: defaultInt() });
}

/** A concrete count, or JAX's ConcretizationTypeError for a traced one (a data-dependent size). */
function concreteCount(v: JaxValue, fn: string): number {
  const c = concreteOrError(v, `The size argument of jnp.${fn} must be statically specified to use jnp.${fn} within JAX transformations.`);
  return Number(typeof c === "object" ? c.item() : c);
}

/** The flat positions of the true elements, first `size` of them, the rest `fill` (a stable sort of !mask). */
function truePositions(mask: JaxValue, size: number | null, fill: number): { pos: JaxValue; count: JaxValue; size: number } {
  const flat = ravel(mask);
  const n = flat.size;
  const count = sum(flat, { dtype: defaultInt() });
  const k = size ?? concreteCount(count, "nonzero");
  const it = defaultInt();
  const keys = P.sub(typedScalar(1, it, true), convert(flat, it, false));
  let pos = n ? P.sortMulti([keys, P.iota(it, [n], 0)], 0, true, 1)[1] : P.iota(it, [0], 0);
  if (k <= n) pos = P.slice(pos, [0], [k], null);
  else pos = P.pad(pos, typedScalar(fill, it, false), [[0, k - n, 0]]);
  const valid = P.lt(P.iota(it, [k], 0), count);
  pos = P.select(valid, pos, P.broadcastInDim(typedScalar(fill, it, false), [k], []));
  return { pos: J(pos), count, size: k };
}

/** `jnp.nonzero(a, size=None, fill_value=None)`: one index array per dimension. */
export function nonzero(x: ArrayLike, opts: { size?: number | null; fill_value?: number | readonly number[] | null } = {}): JaxValue[] {
  const a = asarray(x);
  if (a.ndim === 0) throw new ValueError("Calling nonzero on 0d arrays is not allowed. Use jnp.atleast_1d(scalar).nonzero() instead.");
  const mask = isBoolArray(a) ? a : J(P.ne(a, typedScalar(0, a.dtype, true)));
  const { pos, size } = truePositions(mask, opts.size ?? null, -1);
  const it = defaultInt();
  const fills = opts.fill_value == null ? a.shape.map(() => 0) : typeof opts.fill_value === "number" ? a.shape.map(() => opts.fill_value as number) : [...opts.fill_value];
  if (fills.length !== a.ndim) throw new ValueError(`fill_value must be a scalar or a tuple of length ${a.ndim}; got ${JSON.stringify(opts.fill_value)}`);
  const valid = P.ge(pos, typedScalar(0, it, true));
  let stride = 1;
  const out: JaxValue[] = new globalThis.Array(a.ndim);
  for (let d = a.ndim - 1; d >= 0; d--) {
    const q = stride === 1 ? pos : P.div(pos, typedScalar(stride, it, true));
    const coord = d === 0 ? q : P.rem(q, typedScalar(a.shape[d], it, true));
    out[d] = J(P.select(valid, coord, P.broadcastInDim(typedScalar(fills[d], it, false), [size], [])));
    stride *= a.shape[d];
  }
  return out;
}
const isBoolArray = (a: JaxValue): boolean => a.dtype === "bool";

export const flatnonzero = (x: ArrayLike, opts: { size?: number | null; fill_value?: number | null } = {}): JaxValue => nonzero(ravel(x), opts)[0];

/** `jnp.argwhere(a, size=None, fill_value=None)`: the nonzero indices as rows. */
export function argwhere(x: ArrayLike, opts: { size?: number | null; fill_value?: number | null } = {}): JaxValue {
  const a = asarray(x);
  const parts = nonzero(a.ndim === 0 ? reshape(a, [1]) : a, opts);
  if (a.ndim === 0) return reshape(parts[0], [parts[0].size, 0]);
  return stack(parts, { axis: 1 });
}

/**
 * `jnp.unique(ar, return_index, return_inverse, return_counts, size=None, fill_value=None)` over
 * the flattened array. With `size`, the output has exactly that many entries, padded with
 * `fill_value` (default: the smallest unique value), as JAX does.
 */
export function unique(x: ArrayLike, opts: { return_index?: boolean; return_inverse?: boolean; return_counts?: boolean; axis?: number | null; equal_nan?: boolean; size?: number | null; fill_value?: number | null } = {}): JaxValue | JaxValue[] {
  if (opts.axis != null) throw new ValueError("jnp.unique: axis is not supported here; flatten the array or use axis=None");
  const a = ravel(x);
  const n = a.size;
  const it = defaultInt();
  const [sorted, perm] = n ? P.sortMulti([a, P.iota(it, [n], 0)], 0, true, 1).map((v) => J(v)) : [a, J(P.iota(it, [0], 0))];
  let mask: Value;
  if (n === 0) mask = P.broadcastInDim(typedScalar(true, "bool", false), [0], []);
  else {
    const cur = P.slice(sorted, [1], [n], null), prev = P.slice(sorted, [0], [n - 1], null);
    let diff = P.ne(cur, prev);
    if (isFloat(a.dtype) && (opts.equal_nan ?? true)) diff = P.and(diff, P.not(P.and(P.ne(cur, cur), P.ne(prev, prev))));
    mask = P.concatenate([P.broadcastInDim(typedScalar(true, "bool", false), [1], []), diff], 0);
  }
  const { pos, count, size } = truePositions(J(mask), opts.size ?? null, n);
  const idxSafe = J(P.min(pos, typedScalar(Math.max(n - 1, 0), it, true)));
  const valid = P.lt(P.iota(it, [size], 0), count);
  let values: Value = n ? take(sorted, idxSafe, { axis: 0, mode: "clip" }) : sorted;
  if (n && size) {
    const fill = opts.fill_value ?? null;
    const fillV = fill === null ? P.broadcastInDim(P.slice(sorted, [0], [1], null), [size], [0]) : P.broadcastInDim(typedScalar(fill, a.dtype, false), [size], []);
    values = P.select(valid, values, fillV);
  }
  const outs: JaxValue[] = [J(values)];
  if (opts.return_index) outs.push(n ? J(P.select(valid, take(perm, idxSafe, { mode: "clip" }), P.broadcastInDim(typedScalar(0, it, false), [size], []))) : J(P.iota(it, [0], 0)));
  if (opts.return_inverse) {
    const group = n ? P.sub(cumsum(convert(mask, it, false)), typedScalar(1, it, true)) : P.iota(it, [0], 0);
    const back = n ? P.sortMulti([perm, group], 0, true, 1)[1] : group;
    // Shaped like the input (JAX, as NumPy 2), not flattened.
    outs.push(reshape(J(back), shapeOf(x)));
  }
  if (opts.return_counts) {
    const next = J(P.concatenate([P.slice(pos, [1], [size], null), P.broadcastInDim(typedScalar(n, it, false), [1], [])], 0));
    const nextValid = P.select(P.lt(P.iota(it, [size], 0), P.sub(count, typedScalar(1, it, true))), next, P.broadcastInDim(typedScalar(n, it, false), [size], []));
    outs.push(J(P.select(valid, P.sub(nextValid, pos), P.broadcastInDim(typedScalar(0, it, false), [size], []))));
  }
  return outs.length === 1 ? outs[0] : outs;
}

type QuantileMethod = "linear" | "lower" | "higher" | "nearest" | "midpoint";

/**
 * `jnp.quantile(a, q, axis=None, method='linear', keepdims=False)`: sort along the axis, then
 * interpolate between neighbours; any NaN in a slice makes its result NaN.
 */
export function quantile(x: ArrayLike, q: ArrayLike, opts: { axis?: number | readonly number[] | null; method?: QuantileMethod; keepdims?: boolean; interpolation?: QuantileMethod } = {}): JaxValue {
  let a = asarray(x);
  const dtype = toInexact(a.dtype);
  a = J(convert(a, dtype, false));
  const qa = J(convert(asarray(q), dtype, false));
  if (qa.ndim > 1) throw new ValueError("q must be zero- or one-dimensional");
  const method = opts.method ?? opts.interpolation ?? "linear";
  if (!["linear", "lower", "higher", "nearest", "midpoint"].includes(method)) throw new ValueError(`method can only be 'linear', 'lower', 'higher', 'midpoint', or 'nearest'; got ${method}`);
  const origShape = a.shape;
  const axes = reductionAxes(opts.axis ?? null, a.ndim);
  // Reduced axes move last and merge into one.
  const kept = origShape.map((_, i) => i).filter((i) => !axes.includes(i));
  const moved = J(P.transpose(a, [...kept, ...axes]));
  const keptShape = kept.map((i) => origShape[i]);
  const n = axes.reduce((k, i) => k * origShape[i], 1);
  if (n === 0) throw new ValueError("quantile of an empty axis");
  const flat = reshape(moved, [...keptShape, n]);
  const sorted = J(P.sortMulti([flat], keptShape.length, true, 1)[0]);
  const lit = (v: number): Value => typedScalar(v, dtype, true);
  const pos = P.mul(qa, lit(n - 1));
  const lo = P.floor(pos), hi = P.ceil(pos);
  const it = defaultInt();
  const at = (i: Value): JaxValue => take(sorted, J(P.clamp(typedScalar(0, it, false), convert(i, it, false), typedScalar(n - 1, it, false))), { axis: keptShape.length, mode: "clip" });
  const vlo = at(lo), vhi = at(hi);
  let r: Value;
  switch (method) {
    case "lower": r = vlo; break;
    case "higher": r = vhi; break;
    case "nearest": r = at(P.round(pos, 1)); break;
    case "midpoint": r = P.mul(P.add(vlo, vhi), lit(0.5)); break;
    default: {
      const wHi = P.sub(pos, lo);
      const shapeR = getAval(vlo).shape;
      const w = getAval(wHi).ndim ? P.broadcastInDim(wHi, shapeR, [shapeR.length - 1]) : wHi;
      r = P.add(P.mul(vlo, P.sub(lit(1), w)), P.mul(vhi, w));
    }
  }
  // NaNs sort last: a NaN anywhere in the slice makes the result NaN.
  if (isFloat(dtype)) {
    const hasNan = anyR(P.ne(flat, flat), { axis: -1 });
    const rs = getAval(r).shape;
    const hn = qa.ndim ? P.broadcastInDim(hasNan, rs, keptShape.map((_, i) => i)) : hasNan;
    r = P.select(hn, P.broadcastInDim(lit(NaN), rs, []), r);
  }
  // Results have q's axis first (NumPy's layout).
  let out = J(qa.ndim ? moveaxis(J(r), -1, 0) : r);
  if (opts.keepdims) {
    const kshape = origShape.map((d, i) => (axes.includes(i) ? 1 : d));
    out = reshape(out, [...qa.shape, ...kshape]);
  }
  return out;
}

export const percentile = (x: ArrayLike, q: ArrayLike, opts: { axis?: number | readonly number[] | null; method?: QuantileMethod; keepdims?: boolean } = {}): JaxValue => {
  const qa = asarray(q);
  return quantile(x, J(P.div(convert(qa, toInexact(qa.dtype), false), typedScalar(100, toInexact(qa.dtype), true))), opts);
};

/** `jnp.median(a, axis=None, keepdims=False)`: the midpoint quantile at 0.5. */
export const median = (x: ArrayLike, opts: { axis?: number | readonly number[] | null; keepdims?: boolean } = {}): JaxValue =>
  quantile(x, 0.5, { ...opts, method: "midpoint" });
