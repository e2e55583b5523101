/**
 * @file The rest of jnp's list: differences (diff, ediff1d), 1-D convolution and correlation,
 * interpolation (interp), polynomials (polyval, polyfit) and comparisons of whole arrays
 * (isclose, allclose, array_equal).
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { defaultInt, isFloat } from "../ir/dtype.js";
import { type ArrayLike, J, asarray, canonicalizeAxis, convert, promoteArgsInexact, promoteDtypes, promoteDtypesInexact, typedScalar } from "./coerce.js";
import { concatenate, ravel, stack, sliceAxis } from "./shape.js";
import { all } from "./reductions.js";
import { take } from "./indexing.js";
import { searchsorted } from "./sorting.js";
import { matmul } from "./products.js";
import { lstsq } from "./linalg.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

/** `jnp.diff(a, n=1, axis=-1, prepend=None, append=None)`. */
export function diff(x: ArrayLike, opts: { n?: number; axis?: number; prepend?: ArrayLike | null; append?: ArrayLike | null } = {}): JaxValue {
  let a = asarray(x);
  const n = opts.n ?? 1;
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`order must be non-negative but got ${n}`);
  if (a.ndim === 0) throw new ValueError("diff requires input that is at least one dimensional; got a scalar");
  const axis = canonicalizeAxis(opts.axis ?? -1, a.ndim);
  const edge = (v: ArrayLike): JaxValue => {
    const e = asarray(v);
    return e.ndim === 0 ? J(P.broadcastInDim(convert(e, a.dtype, false), a.shape.map((d, i) => (i === axis ? 1 : d)), [])) : e;
  };
  if (opts.prepend != null || opts.append != null) {
    a = concatenate([...(opts.prepend != null ? [edge(opts.prepend)] : []), a, ...(opts.append != null ? [edge(opts.append)] : [])], { axis });
  }
  for (let k = 0; k < n; k++) {
    const len = a.shape[axis];
    if (len === 0) break;
    const hi = sliceAxis(a, axis, 1, len), lo = sliceAxis(a, axis, 0, len - 1);
    a = J(a.dtype === "bool" ? P.ne(hi, lo) : P.sub(hi, lo));
  }
  return a;
}

/** `jnp.ediff1d(ary, to_end=None, to_begin=None)`: differences of the flattened array. */
export function ediff1d(x: ArrayLike, opts: { to_end?: ArrayLike | null; to_begin?: ArrayLike | null } = {}): JaxValue {
  const a = ravel(x);
  const d = a.size ? diff(a) : a;
  const parts: JaxValue[] = [];
  if (opts.to_begin != null) parts.push(J(convert(ravel(opts.to_begin), a.dtype, false)));
  parts.push(d);
  if (opts.to_end != null) parts.push(J(convert(ravel(opts.to_end), a.dtype, false)));
  return parts.length === 1 ? d : concatenate(parts);
}

/**
 * 1-D convolution, NumPy's modes: out[k] = Σ_j a[k - j]·v[j]. The zero-padded `a` is read through
 * m shifted windows (one slice each), contracted with the reversed kernel.
 */
export function convolve(x: ArrayLike, y: ArrayLike, opts: { mode?: "full" | "same" | "valid" } = {}): JaxValue {
  let [a, v] = promoteDtypes(x, y).map((t) => J(t));
  if (a.ndim !== 1 || v.ndim !== 1) throw new ValueError("convolve() only supports 1-dimensional inputs.");
  if (a.size === 0 || v.size === 0) throw new ValueError("convolve: inputs cannot be empty");
  if (v.size > a.size) [a, v] = [v, a];
  const n = a.size, m = v.size;
  const mode = opts.mode ?? "full";
  const padded = P.pad(a, typedScalar(0, a.dtype, false), [[m - 1, m - 1, 0]]);
  const full = n + m - 1;
  const windows = stack(Array.from({ length: m }, (_, j) => J(P.slice(padded, [j], [j + full], null))), { axis: 1 });
  const out = matmul(windows, J(P.rev(v, [0])));
  if (mode === "full") return out;
  if (mode === "same") {
    const start = Math.floor((m - 1) / 2);
    return J(P.slice(out, [start], [start + n], null));
  }
  if (mode === "valid") return J(P.slice(out, [m - 1], [n], null));
  throw new ValueError(`mode must be one of ['full', 'same', 'valid'], got ${String(mode)}`);
}

/** `jnp.correlate(a, v, mode='valid')`: c[k] = Σ_n a[n + k]·v[n], NumPy's definition. */
export function correlate(x: ArrayLike, y: ArrayLike, opts: { mode?: "full" | "same" | "valid" } = {}): JaxValue {
  const a = asarray(x), v = asarray(y);
  if (v.ndim !== 1) throw new ValueError("correlate() only supports 1-dimensional inputs.");
  // NumPy correlates the longer with the shorter and reverses the result when it swapped them.
  if (v.size > a.size) return J(P.rev(convolve(v, J(P.rev(a, [0])), { mode: opts.mode ?? "valid" }), [0]));
  return convolve(a, J(P.rev(v, [0])), { mode: opts.mode ?? "valid" });
}

/** `jnp.interp(x, xp, fp, left=None, right=None)`: piecewise-linear interpolation on increasing xp. */
export function interp(x: ArrayLike, xp: ArrayLike, fp: ArrayLike, opts: { left?: number | null; right?: number | null; period?: number | null } = {}): JaxValue {
  if (opts.period != null) throw new ValueError("interp: period is not supported");
  const [xv, xpv, fpv] = promoteDtypesInexact(x, xp, fp).map((t) => J(t));
  if (xpv.ndim !== 1 || fpv.ndim !== 1 || xpv.size !== fpv.size) throw new ValueError("xp and fp must be one-dimensional arrays of equal size");
  const n = xpv.size;
  const it = defaultInt();
  const i = J(P.clamp(typedScalar(1, it, false), searchsorted(xpv, xv, { side: "right" }), typedScalar(Math.max(n - 1, 1), it, false)));
  const im1 = J(P.sub(i, typedScalar(1, it, true)));
  const g = (arr: JaxValue, idx: JaxValue): JaxValue => take(arr, idx, { mode: "clip" });
  const df = P.sub(g(fpv, i), g(fpv, im1));
  const dx = P.sub(g(xpv, i), g(xpv, im1));
  const delta = P.sub(xv, g(xpv, im1));
  const lit = (v: number): Value => typedScalar(v, xv.dtype, true);
  const dx0 = P.eq(dx, lit(0));
  const safeDx = P.select(dx0, P.add(P.mul(dx, lit(0)), lit(1)), dx);
  let f: Value = P.select(dx0, g(fpv, i), P.add(g(fpv, im1), P.mul(P.div(delta, safeDx), df)));
  const full = (v: Value): Value => P.broadcastInDim(v, xv.shape, []);
  const first = (arr: JaxValue): Value => P.reshape(P.slice(arr, [0], [1], null), []);
  const last = (arr: JaxValue): Value => P.reshape(P.slice(arr, [n - 1], [n], null), []);
  f = P.select(P.lt(xv, full(first(xpv))), full(opts.left != null ? lit(opts.left) : first(fpv)), f);
  f = P.select(P.gt(xv, full(last(xpv))), full(opts.right != null ? lit(opts.right) : last(fpv)), f);
  return J(f);
}

/** `jnp.polyval(p, x)`: Horner's rule, highest power first. */
export function polyval(p: ArrayLike, x: ArrayLike): JaxValue {
  const [pv, xv] = promoteDtypes(p, x).map((t) => J(t));
  if (pv.ndim !== 1) throw new ValueError("polyval: p must be one-dimensional");
  let y: Value = P.broadcastInDim(typedScalar(0, xv.dtype, xv.weakType), xv.shape, []);
  for (let k = 0; k < pv.size; k++) {
    const c = P.broadcastInDim(P.reshape(P.slice(pv, [k], [k + 1], null), []), xv.shape, []);
    y = P.add(P.mul(y, xv), c);
  }
  return J(y);
}

/** `jnp.polyfit(x, y, deg)`: least squares on the Vandermonde matrix, highest power first. */
export function polyfit(x: ArrayLike, y: ArrayLike, deg: number): JaxValue {
  if (!Number.isInteger(deg) || deg < 0) throw new ValueError("expected deg >= 0");
  const [xv, yv] = promoteDtypesInexact(x, y).map((t) => J(t));
  if (xv.ndim !== 1) throw new TypeError("expected 1D vector for x");
  if (xv.size === 0) throw new TypeError("expected non-empty vector for x");
  if (yv.ndim < 1 || yv.ndim > 2) throw new TypeError("expected 1D or 2D array for y");
  if (yv.shape[0] !== xv.size) throw new TypeError("expected x and y to have same length");
  const cols: JaxValue[] = [];
  for (let k = deg; k >= 0; k--) cols.push(J(k === 0 ? P.broadcastInDim(typedScalar(1, xv.dtype, false), xv.shape, []) : P.integerPow(xv, k)));
  const vander = stack(cols, { axis: 1 });
  return lstsq(vander, yv)[0];
}

/** `jnp.isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False)`: |a - b| ≤ atol + rtol·|b|; infinities equal only themselves. */
export function isclose(x: ArrayLike, y: ArrayLike, opts: { rtol?: number; atol?: number; equal_nan?: boolean } = {}): JaxValue {
  const [a, b] = promoteArgsInexact("isclose", x, y);
  const d = getAval(a).dtype;
  const lit = (v: number): Value => typedScalar(v, d, true);
  const tol = P.add(lit(opts.atol ?? 1e-8), P.mul(lit(opts.rtol ?? 1e-5), P.abs(b)));
  let out = P.le(P.abs(P.sub(a, b)), tol);
  const inf = (v: Value): Value => P.eq(P.abs(v), lit(Infinity));
  out = P.select(P.or(inf(a), inf(b)), P.eq(a, b), out);
  if (opts.equal_nan) out = P.or(out, P.and(P.ne(a, a), P.ne(b, b)));
  return J(out);
}

export function allclose(x: ArrayLike, y: ArrayLike, opts: { rtol?: number; atol?: number; equal_nan?: boolean } = {}): JaxValue {
  return all(isclose(x, y, opts));
}

/** `jnp.array_equal(a1, a2, equal_nan=False)`: same shape and equal elements. */
export function arrayEqual(x: ArrayLike, y: ArrayLike, opts: { equal_nan?: boolean } = {}): JaxValue {
  const a = asarray(x), b = asarray(y);
  if (a.ndim !== b.ndim || a.shape.some((d, i) => d !== b.shape[i])) return J(asarray(false));
  const [pa, pb] = promoteDtypes(a, b);
  let eq = P.eq(pa, pb);
  if (opts.equal_nan && isFloat(J(pa).dtype)) eq = P.or(eq, P.and(P.ne(pa, pa), P.ne(pb, pb)));
  return all(J(eq));
}
