/**
 * @file Selecting and partitioning: `partition`/`argpartition` (JAX's order: the kth+1 smallest
 * ascending, then the rest — values descending, indices in index order), `choose`, `compress`,
 * `extract` (JAX's `size=`/`fill_value=` for use under transformations), `select`, `digitize`,
 * and small compositions users reach for: `diagflat`, `tril_indices`, `triu_indices`,
 * `rollaxis`, `vecdot`, `matvec`, `vecmat`, `nancumsum`, `nancumprod`.
 */

import { type JaxValue, getAval } from "../ir/core.js";
import { concreteOrError, toBool } from "../ir/errors.js";
import { ValueError } from "../lax/errors.js";
import { type ArrayLike, type DTypeLike, asarray, canonicalizeAxis } from "./coerce.js";
import * as np from "./index.js";

type Sized = { size?: number | null; fill_value?: ArrayLike };

/** A sequence of arrays: a JS list as it is, an array (as Python passes a stacked list) split along axis 0. */
function listOf(xs: readonly ArrayLike[] | ArrayLike): ArrayLike[] {
  if (globalThis.Array.isArray(xs)) return [...(xs as ArrayLike[])];
  const x = asarray(xs as ArrayLike);
  return globalThis.Array.from({ length: x.shape[0] }, (_, i) => np.getitem(x, i));
}

/** `a` with `axis` moved last, and a function moving the last axis back. */
function lastAxis(a: ArrayLike, axis: number): [JaxValue, number, (x: JaxValue) => JaxValue] {
  const x = asarray(a);
  const ax = canonicalizeAxis(axis, x.ndim);
  return [np.swapaxes(x, ax, -1), ax, (y) => np.swapaxes(y, -1, ax)];
}

/** NumPy's kth, checked against the axis length n. */
function kthIndex(kth: number, n: number): number {
  const k = kth < 0 ? kth + n : kth;
  if (!(k >= 0 && k < n)) throw new ValueError(`kth(=${kth}) out of bounds (${n})`);
  return k;
}

/** The last axis of `x` from `start` (to `stop`). */
const tail = (x: JaxValue, start: number, stop: number | null = null): JaxValue =>
  np.getitem(x, ["...", { slice: [start, stop, null] }]);

/** `jnp.partition(a, kth, axis=-1)`: element kth in sorted place, smaller ones before, larger after. */
export function partition(a: ArrayLike, kth: number, opts: { axis?: number } = {}): JaxValue {
  const [x, , back] = lastAxis(a, opts.axis ?? -1);
  const k = kthIndex(kth, x.shape[x.ndim - 1]);
  const s = np.sort(x, { axis: -1 });
  return back(np.concatenate([tail(s, 0, k + 1), np.flip(tail(s, k + 1), { axis: -1 })], { axis: -1 }));
}

/** `jnp.argpartition(a, kth, axis=-1)`: indices that would partition `a` (JAX's order). */
export function argpartition(a: ArrayLike, kth: number, opts: { axis?: number } = {}): JaxValue {
  const [x, , back] = lastAxis(a, opts.axis ?? -1);
  const k = kthIndex(kth, x.shape[x.ndim - 1]);
  const order = np.argsort(x, { axis: -1, stable: true });
  // Positions beyond kth in sorted order, listed in index order (as JAX's top_k of a proxy gives them).
  const rank = np.argsort(order, { axis: -1, stable: true });
  const rest = np.argsort(np.greater(rank, k).astype("int32"), { axis: -1, stable: true });
  return back(np.concatenate([tail(order, 0, k + 1), tail(rest, k + 1)], { axis: -1 }));
}

/** `jnp.choose(a, choices, mode='raise')`: `choices[a[i]][i]` for every index i (broadcast). */
export function choose(a: ArrayLike, choiceSeq: readonly ArrayLike[] | ArrayLike, opts: { out?: null; mode?: "raise" | "wrap" | "clip" } = {}): JaxValue {
  if (opts.out != null) throw new ValueError("The 'out' argument to jnp.choose is not supported.");
  const choices = listOf(choiceSeq);
  let idx = asarray(a);
  if (!["int32", "int64", "uint32", "int8", "int16", "uint8", "uint16", "uint64"].includes(idx.dtype)) throw new ValueError("`a` array must be integer typed");
  const n = choices.length;
  const mode = opts.mode ?? "raise";
  if (mode === "raise") {
    const c = concreteOrError(idx, "The error occurred because jnp.choose was jit-compiled with mode='raise'. Use mode='wrap' or mode='clip' instead.");
    if (toBool(np.any(np.logicalOr(np.less(c as JaxValue, 0), np.greaterEqual(c as JaxValue, n))))) throw new ValueError("invalid entry in choice array");
  } else if (mode === "wrap") idx = np.remainder(idx, n);
  else if (mode === "clip") idx = np.clip(idx, { min: 0, max: n - 1 });
  else throw new ValueError(`mode='${String(mode)}' not understood. Must be 'raise', 'wrap', or 'clip'`);
  const [b, ...cs] = np.broadcastArrays([idx, ...choices]);
  return np.squeeze(np.takeAlongAxis(np.stack(cs), np.expandDims(b, 0), 0), { axis: 0 });
}

/**
 * `jnp.compress(condition, a, axis=None, *, size=None, fill_value=0)`: the slices of `a` along
 * `axis` where `condition` is true. The result's size depends on the values, so under a
 * transformation `size` is required (then padded with `fill_value` or truncated).
 */
export function compress(condition: ArrayLike, a: ArrayLike, opts: { axis?: number | null; out?: null } & Sized = {}): JaxValue {
  if (opts.out != null) throw new ValueError("The 'out' argument to jnp.compress is not supported.");
  let cond = asarray(condition).astype("bool");
  if (cond.ndim !== 1) throw new ValueError("condition must be a 1D array");
  const axis = opts.axis ?? null;
  let arr = axis === null ? np.ravel(a) : np.moveaxis(a, axis, 0);
  const n = arr.shape[0];
  const extra = cond.shape[0] > n ? tail(cond, n) : null;
  cond = tail(cond, 0, n);
  arr = np.getitem(arr, [{ slice: [0, cond.shape[0], null] }]);
  let result: JaxValue;
  if (opts.size == null) {
    const msg = "The size argument of jnp.compress must be specified in order to use jnp.compress within JAX transformations like jax.jit, jax.vmap, and jax.grad. For more information, refer to the jnp.compress documentation.";
    const c = concreteOrError(cond, msg) as JaxValue;
    if (extra && toBool(np.any(concreteOrError(extra, msg) as JaxValue))) throw new ValueError("condition contains entries that are out of bounds");
    result = np.take(arr, np.nonzero(c)[0], { axis: 0 });
  } else {
    if (!(opts.size >= 0 && opts.size <= arr.shape[0])) {
      throw new ValueError(`size must be positive and not greater than the size of the array axis; got size=${opts.size} for a.shape[axis]=${arr.shape[0]}`);
    }
    const mask = np.reshape(cond, [cond.shape[0], ...new globalThis.Array<number>(arr.ndim - 1).fill(1)]);
    const filled = np.where(mask, arr, asarray(opts.fill_value ?? 0, { dtype: arr.dtype }));
    const order = np.argsort(cond, { stable: true, descending: true });
    result = np.take(filled, np.getitem(order, [{ slice: [0, opts.size, null] }]), { axis: 0 });
  }
  return np.moveaxis(result, 0, axis ?? 0);
}

/** `jnp.extract(condition, arr, *, size=None, fill_value=0)`: the elements where condition is true, flattened. */
export function extract(condition: ArrayLike, arr: ArrayLike, opts: Sized = {}): JaxValue {
  return compress(np.ravel(condition), np.ravel(arr), { size: opts.size, fill_value: opts.fill_value });
}

/** `jnp.select(condlist, choicelist, default=0)`: from the first choice whose condition holds. */
export function select(condSeq: readonly ArrayLike[] | ArrayLike, choiceSeq: readonly ArrayLike[] | ArrayLike, opts: { default?: ArrayLike } = {}): JaxValue {
  const condlist = listOf(condSeq), choicelist = listOf(choiceSeq);
  if (condlist.length !== choicelist.length) {
    throw new ValueError(`condlist must have length equal to choicelist (${condlist.length} vs ${choicelist.length})`);
  }
  if (!condlist.length) throw new ValueError("condlist must be non-empty");
  let out = asarray(opts.default ?? 0);
  for (let i = condlist.length - 1; i >= 0; i--) out = np.where(condlist[i], choicelist[i], out);
  return out;
}

/** `jnp.digitize(x, bins, right=False)`: the bin of each value (bins increasing or decreasing). */
export function digitize(x: ArrayLike, bins: ArrayLike, opts: { right?: boolean; method?: string | null } = {}): JaxValue {
  const b = asarray(bins);
  if (b.ndim !== 1) throw new ValueError(`digitize: bins must be a 1-dimensional array; got bins=${getAval(b).strShort()}`);
  const xs = asarray(x);
  if (b.shape[0] === 0) return np.zerosLike(xs, { dtype: "int32" });
  const side = opts.right ? "left" : "right";
  const n = b.shape[0];
  const increasing = np.greaterEqual(np.getitem(b, n - 1), np.getitem(b, 0));
  const up = np.searchsorted(b, xs, { side });
  const down = np.subtract(n, np.searchsorted(np.flip(b), xs, { side }));
  return np.where(increasing, up, down).astype("int32");
}

/** `jnp.diagflat(v, k=0)`: a 2-D array with the flattened input on diagonal k. */
export function diagflat(v: ArrayLike, opts: { k?: number } = {}): JaxValue {
  return np.diag(np.ravel(v), { k: opts.k ?? 0 });
}

/** Row and column indices (int32) of the (i, j) of an n×m grid where `keep(j - i)`, row-major: static, as in JAX. */
function triIndices(n: number, m: number, keep: (d: number) => boolean): JaxValue[] {
  const rows: number[] = [], cols: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (keep(j - i)) {
        rows.push(i);
        cols.push(j);
      }
    }
  }
  return [asarray(rows, { dtype: "int32" }), asarray(cols, { dtype: "int32" })];
}

/** `jnp.tril_indices(n, k=0, m=None)`: the row and column indices of the lower triangle. */
export function trilIndices(n: number, opts: { k?: number; m?: number | null } = {}): JaxValue[] {
  const k = opts.k ?? 0;
  return triIndices(n, opts.m ?? n, (d) => d <= k);
}

/** `jnp.triu_indices(n, k=0, m=None)`: the row and column indices of the upper triangle. */
export function triuIndices(n: number, opts: { k?: number; m?: number | null } = {}): JaxValue[] {
  const k = opts.k ?? 0;
  return triIndices(n, opts.m ?? n, (d) => d >= k);
}

/** `jnp.rollaxis(a, axis, start=0)`: NumPy's older moveaxis (the axis is placed before `start`). */
export function rollaxis(a: ArrayLike, axis: number, opts: { start?: number } = {}): JaxValue {
  const x = asarray(a);
  const ax = canonicalizeAxis(axis, x.ndim);
  let start = opts.start ?? 0;
  if (!(start >= -x.ndim && start <= x.ndim)) throw new ValueError(`start=${start} must satisfy ${-x.ndim} <= start < ${x.ndim + 1}`);
  if (start < 0) start += x.ndim;
  if (ax < start) start -= 1;
  return np.moveaxis(x, ax, start);
}

/** `jnp.vecdot(x1, x2, axis=-1)`: the dot product of vectors along `axis`, broadcast over the rest. */
export function vecdot(x1: ArrayLike, x2: ArrayLike, opts: { axis?: number } = {}): JaxValue {
  const [a, b] = np.broadcastArrays([x1, x2]);
  return np.sum(np.multiply(a, b), { axis: opts.axis ?? -1 });
}

/** `jnp.matvec(x1, x2)`: matrix times vector over the last axes, batched. */
export function matvec(x1: ArrayLike, x2: ArrayLike): JaxValue {
  return np.squeeze(np.matmul(x1, np.expandDims(x2, -1)), { axis: -1 });
}

/** `jnp.vecmat(x1, x2)`: vector times matrix over the last axes, batched. */
export function vecmat(x1: ArrayLike, x2: ArrayLike): JaxValue {
  return np.squeeze(np.matmul(np.expandDims(x1, -2), x2), { axis: -2 });
}

/** `jnp.nancumsum`: cumsum with NaNs counted as zero. */
export function nancumsum(a: ArrayLike, opts: { axis?: number | null; dtype?: DTypeLike | null; out?: null } = {}): JaxValue {
  const x = asarray(a);
  return np.cumsum(np.where(np.isnan(x), 0, x), { axis: opts.axis ?? null, dtype: opts.dtype ?? null });
}

/** `jnp.nancumprod`: cumprod with NaNs counted as one. */
export function nancumprod(a: ArrayLike, opts: { axis?: number | null; dtype?: DTypeLike | null; out?: null } = {}): JaxValue {
  const x = asarray(a);
  return np.cumprod(np.where(np.isnan(x), 1, x), { axis: opts.axis ?? null, dtype: opts.dtype ?? null });
}
