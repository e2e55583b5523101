/**
 * @file Array creation (jax/_src/numpy/array_creation.py, lax_numpy.py): array, zeros, ones,
 * full, the *_like functions, arange, linspace, logspace, eye, identity, tri, tril, triu, diag,
 * diagonal, meshgrid. Constants are staged like JAX's (a broadcast scalar, an iota), so they cost
 * no host data under jit.
 */

import { type Value, JaxValue, TypedScalar, currentTraceLevel, getAval } from "../ir/core.js";
import { type DType, defaultFloat, defaultInt, isBool, isFloat, isInt } from "../ir/dtype.js";
import { Array } from "../backend/array.js";
import {
  type ArrayLike, type DTypeLike, J, asarray, broadcastTo, canonicalizeAxis, convert, dtypeArg, kindOf, resultKind,
  shapeOf, toValue, typedScalar, concreteInt, optNum,
} from "./coerce.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

export type ShapeLike = number | readonly number[];

/** A shape argument (an int or a sequence of ints); negative sizes are NumPy's ValueError. */
export function shapeArg(shape: ShapeLike): number[] {
  const s = typeof shape === "number" ? [shape] : [...shape];
  for (const d of s) {
    if (typeof d !== "number" || !Number.isInteger(d)) throw new TypeError(`Shapes must be 1D sequences of concrete values of integer type, got ${JSON.stringify(shape)}.`);
    if (d < 0) throw new ValueError("negative dimensions are not allowed");
  }
  return s;
}

/** `jnp.array(object, dtype=None, copy=True, ndmin=0)`. */
export function array(object: ArrayLike, opts: { dtype?: DTypeLike | null; copy?: boolean; ndmin?: number } = {}): JaxValue {
  let out = asarray(object, { dtype: opts.dtype });
  const ndmin = opts.ndmin ?? 0;
  if (out.ndim < ndmin) out = J(P.reshape(out, [...new globalThis.Array<number>(ndmin - out.ndim).fill(1), ...out.shape]));
  return out;
}

/** `lax.full`: a broadcast scalar; weak when no dtype is given and the fill value is a JS number. */
export function full(shape: ShapeLike, fillValue: ArrayLike, opts: { dtype?: DTypeLike | null } = {}): JaxValue {
  const s = shapeArg(shape);
  const v = toValue(fillValue);
  if (getAval(v).ndim > 0) return J(broadcastTo(asarray(v, { dtype: opts.dtype }), s));
  const k = kindOf(v);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : k.dtype;
  const weak = !opts.dtype && k.weak;
  return J(P.broadcastInDim(convert(v, dtype, weak), s, []));
}

export const zeros = (shape: ShapeLike, opts: { dtype?: DTypeLike | null } = {}): JaxValue => full(shape, 0, { dtype: opts.dtype ?? defaultFloat() });
export const ones = (shape: ShapeLike, opts: { dtype?: DTypeLike | null } = {}): JaxValue => full(shape, 1, { dtype: opts.dtype ?? defaultFloat() });
/** JAX has no uninitialized memory: empty is zeros. */
export const empty = zeros;

/** `lax.full_like`: x's dtype (and weak type) unless a dtype is given; x's shape unless a shape is. */
export function fullLike(x: ArrayLike, fillValue: ArrayLike, opts: { dtype?: DTypeLike | null; shape?: ShapeLike | null } = {}): JaxValue {
  const k = kindOf(x);
  const shape = opts.shape == null ? shapeOf(x) : shapeArg(opts.shape);
  const v = toValue(fillValue);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : k.dtype;
  if (getAval(v).ndim > 0) return J(broadcastTo(asarray(v, { dtype }), shape));
  return J(P.broadcastInDim(convert(v, dtype, !opts.dtype && k.weak), shape, []));
}
export const zerosLike = (x: ArrayLike, opts: { dtype?: DTypeLike | null; shape?: ShapeLike | null } = {}): JaxValue => fullLike(x, 0, opts);
export const onesLike = (x: ArrayLike, opts: { dtype?: DTypeLike | null; shape?: ShapeLike | null } = {}): JaxValue => fullLike(x, 1, opts);
export const emptyLike = zerosLike;

export const copy = (x: ArrayLike): JaxValue => asarray(x);

/**
 * `jnp.arange(start, stop=None, step=None, dtype=None)`. Counting from 0 by 1 is lax.iota (as
 * in JAX); other ranges are computed as NumPy does (the first two values in the dtype, then
 * start + i·delta), so float ranges match NumPy's bit for bit.
 */
export function arange(startArg: ArrayLike, opts: { stop?: ArrayLike | null; step?: ArrayLike | null; dtype?: DTypeLike | null } = {}): JaxValue {
  const given = [startArg, opts.stop, opts.step].filter((a): a is ArrayLike => a != null);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : resultKind(...given).dtype;
  const num = (a: ArrayLike | null | undefined): number | null => {
    if (a == null) return null;
    if (typeof a === "number") return a;
    if (a instanceof TypedScalar) return Number(a.value);
    if (a instanceof Array && a.ndim === 0) return Number(a.item());
    throw new TypeError(`jnp.arange requires concrete numbers for start, stop and step, got ${String(a)}.`);
  };
  const start = num(startArg)!;
  const stop = num(opts.stop);
  const step = num(opts.step) ?? 1;
  if (step === 0) throw new ValueError("arange: step cannot be zero");
  let lo = start, hi = stop;
  if (hi === null) {
    hi = lo;
    lo = 0;
  }
  if (lo === 0 && step === 1 && !isBool(dtype)) return J(P.iota(dtype, [Math.max(0, Math.ceil(hi))], 0));
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const store = (v: number): number => (dtype === "float32" ? Math.fround(v) : isInt(dtype) ? Math.trunc(v) : v);
  const first = store(lo);
  const delta = n > 1 ? store(store(lo + step) - first) : 0;
  const data = new globalThis.Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = i === 0 ? first : i === 1 ? store(lo + step) : store(first + store(i * delta));
  return Array.fromHost(data, [n], dtype);
}

/**
 * `jnp.linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0)`, computed
 * as JAX does: start·(1 - t) + stop·t with t = i/div in the computation dtype, the endpoint exact.
 */
export function linspace(start: ArrayLike, stop: ArrayLike, opts: { num?: number; endpoint?: boolean; retstep?: boolean; dtype?: DTypeLike | null; axis?: number } = {}): JaxValue | [JaxValue, JaxValue] {
  const num = concreteInt(opts.num ?? 50, "Number of samples, num,");
  if (num < 0) throw new ValueError(`Number of samples, ${num}, must be non-negative.`);
  const endpoint = opts.endpoint ?? true;
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : resultKind(start, stop, 0.5).dtype;
  const cdtype: DType = isFloat(dtype) ? dtype : defaultFloat();
  const s = J(convert(toValue(start), cdtype, false));
  const e = J(convert(toValue(stop), cdtype, false));
  const bshape = broadcastShapesOf(s.shape, e.shape);
  const bs = broadcastTo(s, bshape), be = broadcastTo(e, bshape);
  const axis = opts.axis ?? 0;
  const ax = axis < 0 ? bshape.length + axis + 1 : axis;
  if (ax < 0 || ax > bshape.length) throw new ValueError(`axis ${axis} is out of bounds for array of dimension ${bshape.length + 1}`);
  const boundsShape = [...bshape];
  boundsShape.splice(ax, 0, 1);
  const div = endpoint ? num - 1 : num;
  const lit = (v: number): Value => typedScalar(v, cdtype, true);
  let out: Value;
  let delta: Value;
  if (num > 1 && bshape.length === 0 && currentTraceLevel() === 0 && (cdtype === "float32" || cdtype === "float64")) {
    // Eager with scalar bounds: the same arithmetic (float32 rounding after each op) in one host pass.
    const r = cdtype === "float32" ? Math.fround : (v: number): number => v;
    const s0 = Number((bs as Array).item()), e0 = Number((be as Array).item());
    const data = cdtype === "float32" ? new Float32Array(num) : new Float64Array(num);
    for (let i = 0; i < div; i++) {
      const t = r(i / div);
      data[i] = r(r(s0 * r(1 - t)) + r(e0 * t));
    }
    if (endpoint) data[num - 1] = e0;
    out = Array.fromHost(data, [num], cdtype);
    delta = typedScalar(r(r(e0 - s0) / div), cdtype, false);
  } else if (num > 1) {
    delta = P.div(P.sub(be, bs), lit(div));
    const iotaShape = boundsShape.map(() => 1);
    iotaShape[ax] = div;
    const t = P.div(P.reshape(P.iota(cdtype, [div], 0), iotaShape), lit(div));
    const outShape = [...boundsShape];
    outShape[ax] = div;
    const b = (v: Value): Value => P.broadcastInDim(P.reshape(v, boundsShape), outShape, outShape.map((_, i) => i));
    const tt = P.broadcastInDim(t, outShape, outShape.map((_, i) => i));
    out = P.add(P.mul(b(bs), P.sub(lit(1), tt)), P.mul(b(be), tt));
    if (endpoint) out = P.concatenate([out, P.reshape(be, boundsShape)], ax);
  } else if (num === 1) {
    delta = endpoint ? lit(NaN) : P.sub(be, bs);
    out = P.reshape(bs, boundsShape);
  } else {
    delta = lit(NaN);
    const emptyShape = [...bshape];
    emptyShape.splice(ax, 0, 0);
    out = P.broadcastInDim(lit(0), emptyShape, []);
  }
  if (isInt(dtype)) out = P.floor(out);
  const result = J(convert(out, dtype, false));
  return opts.retstep ? [result, J(delta)] : result;
}

const broadcastShapesOf = (a: readonly number[], b: readonly number[]): number[] => {
  const nd = Math.max(a.length, b.length);
  return [...globalThis.Array(nd).keys()].map((i) => {
    const x = a[a.length - nd + i] ?? 1, y = b[b.length - nd + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new ValueError(`linspace: incompatible shapes for broadcasting: (${a.join(", ")}) and (${b.join(", ")})`);
    return x === 1 ? y : x;
  });
};

/** `jnp.logspace`: base ** linspace(start, stop). */
export function logspace(start: ArrayLike, stop: ArrayLike, opts: { num?: number; endpoint?: boolean; base?: number; dtype?: DTypeLike | null; axis?: number } = {}): JaxValue {
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : resultKind(start, stop, 0.5).dtype;
  const cdtype: DType = isFloat(dtype) ? dtype : defaultFloat();
  const lin = linspace(start, stop, { num: opts.num, endpoint: opts.endpoint, axis: opts.axis, dtype: cdtype }) as JaxValue;
  const out = P.pow(P.broadcastInDim(typedScalar(optNum(opts.base ?? 10), cdtype, false), lin.shape, []), lin);
  return J(convert(isInt(dtype) ? P.floor(out) : out, dtype, false));
}

/** The boolean mask `row + k ≥ col` (tri) or `row + k = col` (eye), from broadcast iotas. */
function iotaMask(n: number, m: number, k: number, cmp: (a: Value, b: Value) => Value): Value {
  const rows = P.iota(defaultInt(), [n, m], 0);
  const cols = P.iota(defaultInt(), [n, m], 1);
  return cmp(P.add(rows, typedScalar(k, defaultInt(), true)), cols);
}

/** `jnp.eye(N, M=None, k=0, dtype=float)`. */
export function eye(N: number, opts: { M?: number | null; k?: number; dtype?: DTypeLike | null } = {}): JaxValue {
  const n = concreteInt(N, "N"), m = opts.M == null ? n : concreteInt(opts.M, "M");
  shapeArg([n, m]);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : defaultFloat();
  return J(convert(iotaMask(n, m, concreteInt(opts.k ?? 0, "k"), P.eq), dtype, false));
}
export const identity = (n: number, opts: { dtype?: DTypeLike | null } = {}): JaxValue => eye(n, opts);

/** `jnp.tri(N, M=None, k=0, dtype=float)`: ones at and below the k-th diagonal. */
export function tri(N: number, opts: { M?: number | null; k?: number; dtype?: DTypeLike | null } = {}): JaxValue {
  const n = concreteInt(N, "N"), m = opts.M == null ? n : concreteInt(opts.M, "M");
  shapeArg([n, m]);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : defaultFloat();
  return J(convert(iotaMask(n, m, concreteInt(opts.k ?? 0, "k"), P.ge), dtype, false));
}

/** tril/triu: keep the lower (upper) triangle of the last two axes, zeros elsewhere. */
function triangle(name: string, x: ArrayLike, k: number, lower: boolean): JaxValue {
  const a = asarray(x);
  if (a.ndim < 2) throw new ValueError(`${name} requires an array of at least two dimensions`);
  const [n, m] = a.shape.slice(-2);
  const mask = lower ? iotaMask(n, m, k, P.ge) : P.not(iotaMask(n, m, k - 1, P.ge));
  const full = P.broadcastInDim(mask, a.shape, [a.ndim - 2, a.ndim - 1]);
  return J(P.select(full, a, P.broadcastInDim(typedScalar(0, a.dtype, a.weakType), a.shape, [])));
}
export const tril = (m: ArrayLike, opts: { k?: number } = {}): JaxValue => triangle("tril", m, opts.k ?? 0, true);
export const triu = (m: ArrayLike, opts: { k?: number } = {}): JaxValue => triangle("triu", m, opts.k ?? 0, false);

/**
 * `jnp.diagonal(a, offset=0, axis1=0, axis2=1)`: the two axes move last and are flattened; the
 * diagonal is then a strided slice (element (i, i+k) sits at i·(M+1) + k).
 */
export function diagonal(x: ArrayLike, opts: { offset?: number; axis1?: number; axis2?: number } = {}): JaxValue {
  const a = asarray(x);
  if (a.ndim < 2) throw new ValueError("diagonal requires an array of at least two dimensions.");
  const k = opts.offset ?? 0;
  const a1 = canonicalizeAxis(opts.axis1 ?? 0, a.ndim), a2 = canonicalizeAxis(opts.axis2 ?? 1, a.ndim);
  if (a1 === a2) throw new ValueError("axis1 and axis2 cannot be the same");
  const rest = a.shape.map((_, i) => i).filter((i) => i !== a1 && i !== a2);
  const t = P.transpose(a, [...rest, a1, a2]);
  const lead = rest.map((i) => a.shape[i]);
  const n = a.shape[a1], m = a.shape[a2];
  const d = Math.max(0, Math.min(n + Math.min(k, 0), m - Math.max(k, 0)));
  const flat = P.reshape(t, [...lead, n * m]);
  const start = k >= 0 ? k : -k * m;
  if (d === 0) return J(P.broadcastInDim(typedScalar(0, a.dtype, a.weakType), [...lead, 0], []));
  const limit = start + (d - 1) * (m + 1) + 1;
  return J(P.slice(flat, [...lead.map(() => 0), start], [...lead, limit], [...lead.map(() => 1), m + 1]));
}

/** `jnp.diag(v, k=0)`: a 1-D v becomes a matrix with v on the k-th diagonal; a 2-D v gives its diagonal. */
export function diag(v: ArrayLike, opts: { k?: number } = {}): JaxValue {
  const a = asarray(v);
  const k = concreteInt(opts.k ?? 0, "k");
  if (a.ndim === 2) return diagonal(a, { offset: k });
  if (a.ndim !== 1) throw new ValueError("diag input must be 1d or 2d");
  const n = a.shape[0] + Math.abs(k);
  const padded = P.pad(a, typedScalar(0, a.dtype, a.weakType), [[Math.max(0, k), Math.max(0, -k), 0]]);
  // Row i of the result holds padded[i + k] at column i + k; other entries are zero.
  const mask = iotaMask(n, n, k, P.eq);
  const rows = P.broadcastInDim(padded, [n, n], [1]);
  return J(P.select(mask, rows, P.broadcastInDim(typedScalar(0, a.dtype, a.weakType), [n, n], [])));
}

/** `jnp.meshgrid(*xi, indexing='xy', sparse=False)`: coordinate arrays from 1-D vectors. */
export function meshgrid(xs: ArrayLike[], opts: { indexing?: "xy" | "ij"; sparse?: boolean; copy?: boolean } = {}): JaxValue[] {
  const arrs = xs.map((x) => asarray(x));
  for (const a of arrs) if (a.ndim !== 1) throw new ValueError(`Arguments to jax.numpy.meshgrid must be 1D, got shape (${a.shape.join(", ")})`);
  const indexing = opts.indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij") throw new ValueError(`Valid values for indexing are 'xy' and 'ij', got ${String(indexing)}`);
  const shape = arrs.map((a) => a.shape[0]);
  if (indexing === "xy" && arrs.length >= 2) [shape[0], shape[1]] = [shape[1], shape[0]];
  return arrs.map((a, i) => {
    let dim = i;
    if (indexing === "xy" && arrs.length >= 2 && i < 2) dim = 1 - i;
    if (opts.sparse) {
      const s = shape.map((_, j) => (j === dim ? a.shape[0] : 1));
      return J(P.reshape(a, s));
    }
    return J(P.broadcastInDim(a, shape, [dim]));
  });
}

export { asarray };
