/**
 * @file Numerical helpers: `gradient` (central differences, one-sided at the edges),
 * `geomspace`, `unwrap`, `histogram_bin_edges`, the NaN-ignoring order statistics `nanquantile`,
 * `nanpercentile`, `nanmedian`, and bit packing (`packbits`, `unpackbits`).
 */

import { type JaxValue } from "../ir/core.js";
import { isBool, isInt, isFloat } from "../ir/dtype.js";
import { NotImplementedError, ValueError } from "../lax/errors.js";
import { type ArrayLike, type DTypeLike, J, asarray, canonicalizeAxis, promoteArgsInexact, promoteDtypesInexact, reductionAxes } from "./coerce.js";
import * as np from "./index.js";

/** x[lo:hi] along `axis`. */
const along = (x: JaxValue, axis: number, lo: number | null, hi: number | null): JaxValue =>
  np.getitem(x, [...new Array<null | { slice: [null, null, null] }>(axis).fill({ slice: [null, null, null] }), { slice: [lo, hi, null] }] as never);

/** d/dx along one axis: spacing h a scalar or the coordinates along the axis. */
function gradientAlong(a: JaxValue, h: JaxValue, axis: number): JaxValue {
  const s = (lo: number | null, hi: number | null): JaxValue => along(a, axis, lo, hi);
  let upper = np.subtract(s(1, 2), s(0, 1));
  let lower = np.subtract(s(-1, null), s(-2, -1));
  let inner: JaxValue;
  if (h.ndim === 0) {
    inner = np.divide(np.multiply(np.subtract(s(2, null), s(null, -2)), 0.5), h);
    upper = np.divide(upper, h);
    lower = np.divide(lower, h);
  } else if (h.ndim === 1) {
    if (h.shape[0] !== a.shape[axis]) throw new ValueError("Spacing arrays must have the same length as the dimension along which the gradient is calculated.");
    const hx = np.reshape(h, a.shape.map((d, i) => (i === axis ? d : 1)));
    const sx = (lo: number | null, hi: number | null): JaxValue => along(hx, axis, lo, hi);
    upper = np.divide(upper, np.subtract(sx(1, 2), sx(0, 1)));
    lower = np.divide(lower, np.subtract(sx(-1, null), sx(-2, -1)));
    // Second-order differences on an uneven grid (NumPy's formula).
    const dx1 = np.subtract(sx(1, -1), sx(0, -2)), dx2 = np.subtract(sx(2, null), sx(1, -1));
    const ca = np.divide(np.negative(dx2), np.multiply(dx1, np.add(dx1, dx2)));
    const cb = np.divide(np.subtract(dx2, dx1), np.multiply(dx1, dx2));
    const cc = np.divide(dx1, np.multiply(dx2, np.add(dx1, dx2)));
    inner = np.add(np.add(np.multiply(ca, s(0, -2)), np.multiply(cb, s(1, -1))), np.multiply(cc, s(2, null)));
  } else {
    throw new ValueError("Spacing arrays must be 1D arrays or scalars.");
  }
  return np.concatenate([upper, inner, lower], { axis });
}

/**
 * `jnp.gradient(f, *varargs, axis=None, edge_order=None)`: the derivative along each axis
 * (spacings: none, one for all axes, or one per axis, each a scalar or coordinates); one array
 * for a single axis, else a list.
 */
export function gradient(f: ArrayLike, varargs: readonly ArrayLike[], opts: { axis?: number | readonly number[] | null; edge_order?: number | null } = {}): JaxValue | JaxValue[] {
  if (opts.edge_order != null) throw new NotImplementedError("The 'edge_order' argument to jnp.gradient is not supported.");
  const [a, ...spacing] = promoteDtypesInexact(f, ...varargs).map((v) => J(v));
  const axes = opts.axis == null ? a.shape.map((_, i) => i) : reductionAxes(opts.axis, a.ndim);
  if (!axes.length || Math.min(...axes.map((i) => a.shape[i])) < 2) {
    throw new ValueError("Shape of array too small to calculate a numerical gradient, at least (edge_order + 1) elements are required.");
  }
  let dx: JaxValue[];
  if (spacing.length === 0) dx = axes.map(() => asarray(1.0, { dtype: a.dtype }));
  else if (spacing.length === 1) dx = axes.map(() => spacing[0]);
  else if (spacing.length === axes.length) dx = spacing;
  else throw new TypeError(`Invalid number of spacing arguments ${spacing.length} for axis=${JSON.stringify(opts.axis ?? null)}`);
  const out = axes.map((ax, i) => gradientAlong(a, dx[i], ax));
  return out.length === 1 ? out[0] : out;
}

/** `jnp.geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0)`: a geometric progression (start and stop of one sign). */
export function geomspace(start: ArrayLike, stop: ArrayLike, opts: { num?: number; endpoint?: boolean; dtype?: DTypeLike | null; axis?: number } = {}): JaxValue {
  const [s0, s1] = promoteDtypesInexact(start, stop).map((v) => J(v));
  const sign = np.sign(s0);
  const res = np.multiply(sign, np.logspace(np.log10(np.divide(s0, sign)), np.log10(np.divide(s1, sign)), { num: opts.num ?? 50, endpoint: opts.endpoint ?? true, base: 10 }));
  const moved = (opts.axis ?? 0) !== 0 ? np.moveaxis(res, 0, opts.axis ?? 0) : res;
  return opts.dtype != null ? moved.astype(opts.dtype) : moved;
}

/**
 * `jnp.unwrap(p, discont=None, axis=-1, period=2π)`: jumps between neighbours larger than
 * `discont` (default period/2) removed by adding multiples of `period`.
 */
export function unwrap(p: ArrayLike, opts: { discont?: number | null; axis?: number; period?: number } = {}): JaxValue {
  const [a] = promoteArgsInexact("unwrap", p).map((v) => J(v));
  const axis = canonicalizeAxis(opts.axis ?? -1, a.ndim);
  const period = opts.period ?? 2 * Math.PI;
  const discont = opts.discont ?? period / 2;
  const interval = period / 2;
  const dd = np.diff(a, { axis });
  let ddmod = np.subtract(np.remainder(np.add(dd, interval), period), interval);
  ddmod = np.where(np.logicalAnd(np.equal(ddmod, -interval), np.greater(dd, 0)), interval, ddmod);
  const correct = np.where(np.less(np.abs(dd), discont), 0, np.subtract(ddmod, dd));
  return np.concatenate([along(a, axis, 0, 1), np.add(along(a, axis, 1, null), np.cumsum(correct, { axis }))], { axis });
}

/** `jnp.histogram_bin_edges(a, bins=10, range=None, weights=None)`: the edges histogram would use. */
export function histogramBinEdges(a: ArrayLike, opts: { bins?: number | ArrayLike; range?: readonly [number, number] | null; weights?: ArrayLike | null } = {}): JaxValue {
  if (typeof opts.bins === "string") throw new NotImplementedError("string values for `bins` not implemented.");
  if (opts.range != null && opts.range.length !== 2) throw new ValueError(`\`range\` must be either None or a sequence of scalars, got ${JSON.stringify(opts.range)}`);
  return np.histogram(a, { bins: opts.bins ?? 10, range: opts.range ?? null })[1];
}

type QuantileMethod = "linear" | "lower" | "higher" | "nearest" | "midpoint";

/**
 * `jnp.nanquantile(a, q, axis=None, method='linear', keepdims=False)`: quantiles of the non-NaN
 * values of each slice (NaN where a slice has none). NaNs sort last, so the k-th smallest real
 * value is at k; positions come from each slice's own count.
 */
export function nanquantile(x: ArrayLike, q: ArrayLike, opts: { axis?: number | readonly number[] | null; method?: QuantileMethod; keepdims?: boolean; overwrite_input?: boolean; out?: null } = {}): JaxValue {
  const [a0, q0] = promoteDtypesInexact(x, q).map((v) => J(v));
  const a = a0.astype(isFloat(a0.dtype) ? a0.dtype : "float32");
  const qa = q0.astype(a.dtype);
  if (qa.ndim > 1) throw new ValueError("q must be zero- or one-dimensional");
  const method = opts.method ?? "linear";
  if (!["linear", "lower", "higher", "nearest", "midpoint"].includes(method)) throw new ValueError(`method can only be 'linear', 'lower', 'higher', 'midpoint', or 'nearest'; got ${method}`);
  const axes = reductionAxes(opts.axis ?? null, a.ndim);
  const kept = a.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => a.shape[i]);
  const n = axes.reduce((k, i) => k * a.shape[i], 1);
  if (n === 0) throw new ValueError("quantile of an empty axis");
  const flat = np.reshape(np.transpose(a, { axes: [...kept, ...axes] }), [...keptShape, n]);
  const sorted = np.sort(flat, { axis: -1 });
  const count = np.sum(np.logicalNot(np.isnan(flat)), { axis: -1, keepdims: true, dtype: a.dtype });
  // Positions: one per q, along a new last axis.
  const qs = np.reshape(qa, [...keptShape.map(() => 1), qa.size]);
  const pos = np.multiply(qs, np.maximum(np.subtract(count, 1), 0));
  const at = (i: JaxValue): JaxValue => np.takeAlongAxis(sorted, np.clip(i.astype("int32"), { min: 0, max: n - 1 }), -1);
  const lo = np.floor(pos), hi = np.ceil(pos);
  let r: JaxValue;
  switch (method) {
    case "lower": r = at(lo); break;
    case "higher": r = at(hi); break;
    case "nearest": r = at(np.round(pos)); break;
    case "midpoint": r = np.multiply(np.add(at(lo), at(hi)), 0.5); break;
    default: {
      const w = np.subtract(pos, lo);
      r = np.add(np.multiply(at(lo), np.subtract(1, w)), np.multiply(at(hi), w));
    }
  }
  r = np.where(np.equal(count, 0), NaN, r);
  // q's axis first (NumPy's layout), dropped for a scalar q.
  let out = qa.ndim ? np.moveaxis(r, -1, 0) : np.squeeze(r, { axis: -1 });
  if (opts.keepdims) out = np.reshape(out, [...qa.shape, ...a.shape.map((d, i) => (axes.includes(i) ? 1 : d))]);
  return out;
}

/** `jnp.nanpercentile(a, q, ...)`: nanquantile at q/100. */
export function nanpercentile(x: ArrayLike, q: ArrayLike, opts: { axis?: number | readonly number[] | null; method?: QuantileMethod; keepdims?: boolean; overwrite_input?: boolean; out?: null } = {}): JaxValue {
  const [, qv] = promoteDtypesInexact(x, q).map((v) => J(v));
  return nanquantile(x, np.divide(qv, 100), opts);
}

/** `jnp.nanmedian(a, axis=None, keepdims=False)`: the median of the non-NaN values. */
export function nanmedian(x: ArrayLike, opts: { axis?: number | readonly number[] | null; keepdims?: boolean; overwrite_input?: boolean; out?: null } = {}): JaxValue {
  return nanquantile(x, 0.5, { axis: opts.axis ?? null, keepdims: opts.keepdims ?? false, method: "midpoint" });
}

/** Bits per byte, most significant first ('big') or least ('little'). */
function bitWeights(bitorder: string): number[] {
  if (bitorder !== "big" && bitorder !== "little") throw new ValueError("'order' must be either 'little' or 'big'");
  const w = [128, 64, 32, 16, 8, 4, 2, 1];
  return bitorder === "big" ? w : w.reverse();
}

/** `jnp.packbits(a, axis=None, bitorder='big')`: groups of 8 truth values as uint8 (zero-padded at the end). */
export function packbits(a: ArrayLike, opts: { axis?: number | null; bitorder?: "big" | "little" } = {}): JaxValue {
  let x = asarray(a);
  if (!(isInt(x.dtype) || isBool(x.dtype))) throw new TypeError("Expected an input array of integer or boolean data type");
  const w = bitWeights(opts.bitorder ?? "big");
  if (opts.axis == null) x = np.ravel(x);
  const axis = canonicalizeAxis(opts.axis ?? 0, x.ndim);
  x = np.moveaxis(np.notEqual(x, 0).astype("uint8"), axis, -1);
  const n = x.shape[x.ndim - 1];
  const groups = Math.ceil(n / 8);
  x = np.pad(x, [...x.shape.slice(0, -1).map(() => [0, 0] as [number, number]), [0, groups * 8 - n]]);
  x = np.reshape(x, [...x.shape.slice(0, -1), groups, 8]);
  const packed = np.sum(np.multiply(x, asarray(w, { dtype: "uint8" })), { axis: -1, dtype: "uint8" });
  return np.moveaxis(packed, -1, axis);
}

/** `jnp.unpackbits(a, axis=None, count=None, bitorder='big')`: uint8 bytes as their 8 bits. */
export function unpackbits(a: ArrayLike, opts: { axis?: number | null; count?: number | null; bitorder?: "big" | "little" } = {}): JaxValue {
  let x = asarray(a);
  if (x.dtype !== "uint8") throw new TypeError("Expected an input array of unsigned byte data type");
  const w = asarray(bitWeights(opts.bitorder ?? "big"), { dtype: "uint8" });
  if (opts.axis == null) x = np.ravel(x);
  const axis = canonicalizeAxis(opts.axis ?? 0, x.ndim);
  const bits = np.notEqual(np.bitwiseAnd(np.expandDims(x, -1), w), 0).astype("uint8");
  let out = np.reshape(np.moveaxis(bits, axis, -2), [...np.moveaxis(x, axis, -1).shape.slice(0, -1), x.shape[axis] * 8]);
  if (opts.count != null) {
    const len = out.shape[out.ndim - 1];
    const c = opts.count < 0 ? Math.max(len + opts.count, 0) : opts.count;
    out = c <= len ? np.getitem(out, ["...", { slice: [0, c, null] }]) : np.pad(out, [...out.shape.slice(0, -1).map(() => [0, 0] as [number, number]), [0, c - len]]);
  }
  return np.moveaxis(out, -1, axis);
}
