/**
 * @file Building and rearranging arrays: `delete`, `insert`, `block`, `resize`, `trim_zeros`,
 * the functional forms of NumPy's in-place writers (`fill_diagonal`, `place`, `put`, which
 * require `inplace=False` as in JAX), and index helpers (`indices`, `ix_`, `diag_indices`,
 * `diag_indices_from`, `tril_indices_from`, `triu_indices_from`, `unravel_index`,
 * `ravel_multi_index`).
 */

import { type JaxValue } from "../ir/core.js";
import { concreteOrError } from "../ir/errors.js";
import { defaultInt, isBool, isInt } from "../ir/dtype.js";
import { ValueError, NotImplementedError } from "../lax/errors.js";
import { type ArrayLike, type DTypeLike, type NestedList, asarray, canonicalizeAxis } from "./coerce.js";
import { type SliceSpec, IndexError, IndexUpdateRef } from "./indexing.js";
import { Array as JaxArray } from "../backend/array.js";
import * as np from "./index.js";

const isSlice = (x: unknown): x is SliceSpec => typeof x === "object" && x !== null && globalThis.Array.isArray((x as { slice?: unknown }).slice);

/** Python's slice(start, stop, step).indices(n) as a list of positions. */
function slicePositions(s: SliceSpec, n: number): number[] {
  const [a, b, c] = s.slice;
  const step = c ?? 1;
  if (step === 0) throw new ValueError("slice step cannot be zero");
  const norm = (v: number | null, dflt: number, lo: number, hi: number): number => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
  const start = step > 0 ? norm(a, 0, 0, n) : norm(a, n - 1, -1, n - 1);
  const stop = step > 0 ? norm(b, n, 0, n) : norm(b, -1, -1, n - 1);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** The numbers of a concrete value (a tracer with a known value included). */
function hostNumbers(x: JaxValue): number[] {
  const c = concreteOrError(x);
  if (c instanceof JaxArray) return c.toNumbers();
  return [Number(typeof c === "object" ? c.item() : c)];
}

/** `a` taken along `axis` at `index` (an int array), other axes whole. */
const takeAxis = (a: JaxValue, index: ArrayLike, axis: number): JaxValue => np.take(a, index, { axis, mode: "promise_in_bounds" });

/**
 * `jnp.delete(arr, obj, axis=None, *, assume_unique_indices=False)`: `arr` without the entries
 * `obj` (an int, a slice, int indices or a boolean mask) along `axis`. Index arrays must be
 * concrete unless `assume_unique_indices`, when the kept positions are computed from sorted
 * indices with static length (so it traces).
 */
function del(arr: ArrayLike, obj: number | SliceSpec | ArrayLike, opts: { axis?: number | null; assume_unique_indices?: boolean } = {}): JaxValue {
  let a = asarray(arr);
  if (opts.axis == null) a = np.ravel(a);
  const axis = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  const n = a.shape[axis];
  let idx: JaxValue;
  let unique = opts.assume_unique_indices ?? false;
  if (isSlice(obj)) {
    idx = asarray(slicePositions(obj, n), { dtype: defaultInt() });
    unique = true;
  } else if (typeof obj === "number") {
    if (!Number.isInteger(obj)) throw new TypeError(`'float' object cannot be interpreted as an integer`);
    if (obj < -n || obj >= n) throw new ValueError(`axis ${obj} is out of bounds for array of dimension ${n}`);
    idx = asarray([obj < 0 ? obj + n : obj], { dtype: defaultInt() });
    unique = true;
  } else {
    idx = asarray(obj as ArrayLike);
    if (isBool(idx.dtype)) {
      concreteOrError(idx, "'obj' array argument of jnp.delete()");
      if (idx.ndim !== 1 || idx.shape[0] !== n) throw new ValueError("np.delete(arr, obj): for boolean indices, obj must be one-dimensional with length matching specified axis.");
      return np.compress(np.logicalNot(idx), a, { axis });
    }
    if (!isInt(idx.dtype)) throw new ValueError(`np.delete(arr, obj): got obj.dtype=${idx.dtype}; must be integer or bool.`);
    idx = np.ravel(idx);
    if (!unique) {
      concreteOrError(idx, "'obj' array argument of jnp.delete()");
      const nums = hostNumbers(idx);
      const bad = nums.find((i) => i < -n || i >= n);
      if (bad !== undefined) throw new IndexError(`index ${bad} is out of bounds for axis ${axis} with size ${n}`);
      idx = asarray([...new Set(nums.map((i) => (i < 0 ? i + n : i)))].sort((p, q) => p - q), { dtype: idx.dtype });
    }
  }
  // The i-th kept entry sits at i + #{j : sorted_j - j <= i}.
  const it = idx.dtype;
  const sorted = np.sort(np.clip(np.where(np.less(idx, 0), np.add(idx, n), idx), { min: 0, max: n }));
  const shifted = np.subtract(sorted, np.arange(sorted.shape[0], { dtype: it }));
  const i = np.arange(n - sorted.shape[0], { dtype: it });
  const kept = np.add(i, np.sum(np.greaterEqual(np.expandDims(i, 0), np.expandDims(shifted, 1)), { axis: 0, dtype: it }));
  return takeAxis(a, kept, axis);
}
export { del as delete };

/**
 * `jnp.insert(arr, obj, values, axis=None)`: `values` inserted before the positions `obj` (an int,
 * a slice or int indices) along `axis`. The output length is static, so it traces.
 */
export function insert(arr: ArrayLike, obj: number | SliceSpec | ArrayLike, values: ArrayLike, opts: { axis?: number | null } = {}): JaxValue {
  let a = asarray(arr);
  if (opts.axis == null) a = np.ravel(a);
  const axis = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  const n = a.shape[axis];
  let idx = isSlice(obj) ? asarray(slicePositions(obj, n), { dtype: defaultInt() }) : asarray(obj as ArrayLike);
  if (idx.ndim > 1) throw new ValueError("jnp.insert(): obj must be a slice, a one-dimensional array, or a scalar; got " + JSON.stringify(idx.shape));
  if (!isInt(idx.dtype)) {
    if (idx.size === 0) idx = idx.astype(defaultInt());
    else throw new ValueError("jnp.insert(): index array must be integer typed");
  }
  let vals = asarray(values, { dtype: a.dtype });
  while (vals.ndim < a.ndim) vals = np.expandDims(vals, 0);
  if (idx.size === 1) {
    const at = np.ravel(idx);
    if (idx.ndim === 0) vals = np.moveaxis(vals, 0, axis);
    idx = np.full([vals.shape[axis]], np.getitem(at, 0), { dtype: idx.dtype });
  }
  const nIns = np.broadcastShapes([idx.shape, [vals.shape[axis]]])[0];
  const outShape = a.shape.map((d, i) => (i === axis ? d + nIns : d));
  const it = idx.dtype;
  idx = np.clip(np.where(np.less(idx, 0), np.add(idx, n), idx), { min: 0, max: n });
  idx = np.broadcastTo(idx, [nIns]);
  // Inserted values go to their index plus the number inserted before them (stable order).
  const order = np.argsort(idx, { stable: true });
  const valuesAt = new IndexUpdateRef(idx, [order]).add(np.arange(nIns, { dtype: it }));
  const isOld = new IndexUpdateRef(np.ones([n + nIns], { dtype: "bool" }), [valuesAt]).set(false);
  const oldAt = np.nonzero(isOld, { size: n })[0];
  const lead = new Array<null | SliceSpec>(axis).fill({ slice: [null, null, null] });
  const vshape = outShape.map((d, i) => (i === axis ? nIns : d));
  let out = np.zeros(outShape, { dtype: a.dtype });
  out = new IndexUpdateRef(out, [...lead, valuesAt] as never).set(np.broadcastTo(vals, vshape));
  return new IndexUpdateRef(out, [...lead, oldAt] as never).set(a);
}

type BlockList = JaxValue | number | readonly BlockList[];

/** Nesting depth of a block list (arrays are leaves); mismatched depths are NumPy's ValueError. */
function blockDepth(x: BlockList, path: string): number {
  if (!Array.isArray(x)) return 0;
  const list = x as readonly BlockList[];
  if (!list.length) throw new ValueError(`List at ${path} cannot be empty`);
  const ds = list.map((e, i) => blockDepth(e, `${path}[${i}]`));
  if (ds.some((d) => d !== ds[0])) throw new ValueError(`List depths are mismatched. First element was at depth ${ds[0] + 1}, but there is an element at depth ${Math.min(...ds) + 1} (${path})`);
  return ds[0] + 1;
}

/**
 * `jnp.block(arrays)`: an array assembled from nested lists of blocks — the innermost lists
 * concatenated along the last axis, the next ones along the second to last, and so on; blocks
 * first gain leading axes up to the result's rank.
 */
export function block(arrays: BlockList): JaxValue {
  const depth = blockDepth(arrays, "arrays");
  const leaves: JaxValue[] = [];
  const collect = (x: BlockList): void => (Array.isArray(x) ? (x as readonly BlockList[]).forEach(collect) : void leaves.push(asarray(x as ArrayLike)));
  collect(arrays);
  const ndim = Math.max(depth, ...leaves.map((l) => l.ndim));
  const build = (x: BlockList, level: number): JaxValue => {
    if (!Array.isArray(x)) {
      const a = asarray(x as ArrayLike);
      return np.reshape(a, [...new Array<number>(ndim - a.ndim).fill(1), ...a.shape]);
    }
    return np.concatenate((x as readonly BlockList[]).map((e) => build(e, level + 1)), { axis: level - depth });
  };
  return build(arrays, 0);
}

/** `jnp.resize(a, new_shape)`: the flattened `a` repeated (or cut) to fill `new_shape`. */
export function resize(a: ArrayLike, newShape: number | readonly number[]): JaxValue {
  const x = np.ravel(a);
  const shape = typeof newShape === "number" ? [newShape] : [...newShape];
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ValueError("All elements of `new_shape` must be non-negative");
  const size = shape.reduce((p, d) => p * d, 1);
  if (x.size === 0 || size === 0) return np.zeros(shape, { dtype: x.dtype });
  const reps = Math.ceil(size / x.size);
  return np.reshape(np.getitem(np.tile(x, [reps]), { slice: [0, size, null] }), shape);
}

/**
 * `jnp.trim_zeros(filt, trim='fb', axis=None)`: leading ('f') and/or trailing ('b') all-zero
 * slices removed along the given axes. The result's shape depends on the values, so `filt` must
 * be concrete.
 */
export function trimZeros(filt: ArrayLike, opts: { trim?: string; axis?: number | readonly number[] | null } = {}): JaxValue {
  const x = asarray(filt);
  concreteOrError(x, "Error arose in the `filt` argument of trim_zeros()");
  const trim = (opts.trim ?? "fb").toLowerCase();
  const axes = opts.axis == null ? x.shape.map((_, i) => i) : (typeof opts.axis === "number" ? [opts.axis] : [...opts.axis]).map((a) => canonicalizeAxis(a, x.ndim));
  if (!axes.length || (!trim.includes("f") && !trim.includes("b"))) return x;
  const spec = x.shape.map((len, ax): SliceSpec => {
    if (!axes.includes(ax)) return { slice: [null, null, null] };
    const others = x.shape.map((_, i) => i).filter((i) => i !== ax);
    const mask = others.length ? np.any(x, { axis: others }) : np.notEqual(x, 0);
    const nz = hostNumbers(mask);
    const first = nz.findIndex((v) => v !== 0);
    if (first < 0) return { slice: [0, 0, null] };
    const last = len - 1 - [...nz].reverse().findIndex((v) => v !== 0);
    return { slice: [trim.includes("f") ? first : null, trim.includes("b") ? last + 1 : null, null] };
  });
  return np.getitem(x, spec);
}

/** The in-place flag JAX's functional forms require to be False. */
function notInplace(name: string, inplace: boolean | undefined): void {
  if (inplace ?? true) throw new ValueError(`jax.numpy.${name} cannot modify arrays in-place, because JAX arrays are immutable. Pass inplace=False to instead return an updated array.`);
}

/** `v` flattened and repeated (or cut) to exactly n entries, as NumPy cycles values. */
const tileToSize = (v: JaxValue, n: number): JaxValue => (v.size === n ? np.ravel(v) : resize(v, [n]));

/**
 * `jnp.fill_diagonal(a, val, wrap=False, *, inplace=True)`: `a` with its main diagonal (all axes
 * equal index) set to `val` (cycled along it). JAX requires inplace=False.
 */
export function fillDiagonal(a: ArrayLike, val: ArrayLike, opts: { wrap?: boolean; inplace?: boolean } = {}): JaxValue {
  if (opts.inplace ?? true) throw new NotImplementedError("JAX arrays are immutable, must use inplace=False");
  if (opts.wrap) throw new NotImplementedError("wrap=True is not implemented, must use wrap=False");
  const x = asarray(a);
  if (x.ndim < 2) throw new ValueError("array must be at least 2-d");
  if (x.ndim > 2 && x.shape.some((d) => d !== x.shape[0])) throw new ValueError("All dimensions of input must be of equal length");
  const n = Math.min(...x.shape);
  const v = asarray(val, { dtype: x.dtype });
  return new IndexUpdateRef(x, diagIndices(n, { ndim: x.ndim })).set(v.ndim === 0 ? v : tileToSize(v, n));
}

/**
 * `jnp.place(arr, mask, vals, *, inplace=True)`: `arr` with the entries where `mask` holds set to
 * `vals`, cycled in order. The number of entries depends on the mask, so it must be concrete.
 */
export function place(arr: ArrayLike, mask: ArrayLike, vals: ArrayLike, opts: { inplace?: boolean } = {}): JaxValue {
  notInplace("place", opts.inplace);
  const x = asarray(arr);
  const m = asarray(mask);
  concreteOrError(m, "The error arose in jnp.place(): mask must be concrete.");
  if (m.size !== x.size) throw new ValueError(`place: mask and data must be the same size; got ${m.size} and ${x.size}`);
  const where = np.flatnonzero(m);
  const v = asarray(vals, { dtype: x.dtype });
  if (where.size === 0) return x;
  if (v.size === 0) throw new ValueError("Cannot insert from an empty array!");
  return np.reshape(new IndexUpdateRef(np.ravel(x), [where]).set(tileToSize(v, where.size)), x.shape);
}

/**
 * `jnp.put(a, ind, v, mode=None, *, inplace=True)`: the flattened `a` with `v` (cycled) written at
 * the flat indices `ind`. mode None drops out-of-bounds writes; 'clip' and 'wrap' as NumPy.
 */
export function put(a: ArrayLike, ind: ArrayLike, v: ArrayLike, opts: { mode?: string | null; inplace?: boolean } = {}): JaxValue {
  notInplace("put", opts.inplace);
  const x = asarray(a);
  let i = np.ravel(ind);
  const vals = asarray(v, { dtype: x.dtype });
  if (i.size === 0 || vals.size === 0) return x;
  let mode = "drop";
  if (opts.mode === "clip") {
    i = np.clip(i, { min: 0, max: x.size - 1 });
    mode = "promise_in_bounds";
  } else if (opts.mode === "wrap") {
    i = np.remainder(i, x.size);
    mode = "promise_in_bounds";
  } else if (opts.mode === "raise") throw new NotImplementedError("The 'raise' mode to jnp.put is not supported.");
  else if (opts.mode != null) throw new ValueError(`mode should be one of 'wrap' or 'clip'; got mode='${opts.mode}'`);
  return np.reshape(new IndexUpdateRef(np.ravel(x), [i]).set(tileToSize(vals, i.size), { mode }), x.shape);
}

/** `jnp.indices(dimensions, dtype=int32, sparse=False)`: the index grid, stacked (or one open array per axis). */
export function indices(dimensions: readonly number[], opts: { dtype?: DTypeLike | null; sparse?: boolean } = {}): JaxValue | JaxValue[] {
  const dtype = opts.dtype ?? defaultInt();
  const n = dimensions.length;
  const parts = dimensions.map((d, i) => {
    const shape = dimensions.map((e, j) => (j === i ? e : opts.sparse ? 1 : e));
    const r = np.reshape(np.arange(d, { dtype }), dimensions.map((e, j) => (j === i ? e : 1)));
    return opts.sparse ? r : np.broadcastTo(r, shape);
  });
  if (opts.sparse) return parts;
  return n ? np.stack(parts) : np.zeros([0], { dtype });
}

/** `jnp.ix_(*args)`: an open mesh from 1-D sequences (booleans must be concrete, as their nonzero). */
export function ix_(args: readonly ArrayLike[]): JaxValue[] {
  const n = args.length;
  return args.map((a, i) => {
    let x = asarray(a);
    if (x.ndim !== 1) throw new ValueError(`Cross index must be 1 dimensional`);
    if (isBool(x.dtype)) x = np.nonzero(x)[0];
    return np.reshape(x, new Array<number>(n).fill(1).map((d, j) => (j === i ? x.shape[0] : d)));
  });
}

/** `jnp.diag_indices(n, ndim=2)`: the indices of the main diagonal of an n×…×n array. */
export function diagIndices(n: number, opts: { ndim?: number } = {}): JaxValue[] {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`n argument to diag_indices must be nonnegative, got ${n}`);
  const ndim = opts.ndim ?? 2;
  if (!Number.isInteger(ndim) || ndim < 0) throw new ValueError(`ndim argument to diag_indices must be nonnegative, got ${ndim}`);
  return new Array(ndim).fill(0).map(() => np.arange(n, { dtype: defaultInt() }));
}

/** `jnp.diag_indices_from(arr)`: diag_indices for an array with all axes of equal length. */
export function diagIndicesFrom(arr: ArrayLike): JaxValue[] {
  const x = asarray(arr);
  if (x.ndim < 2) throw new ValueError("input array must be at least 2-d");
  if (x.shape.some((d) => d !== x.shape[0])) throw new ValueError("All dimensions of input must be of equal length");
  return diagIndices(x.shape[0], { ndim: x.ndim });
}

function matrix2d(name: string, arr: ArrayLike): number[] {
  const x = asarray(arr);
  if (x.ndim !== 2) throw new ValueError(`${name}: input array must be 2-d; got shape ${JSON.stringify(x.shape)}`);
  return [...x.shape];
}

/** `jnp.tril_indices_from(arr, k=0)`. */
export function trilIndicesFrom(arr: ArrayLike, opts: { k?: number } = {}): JaxValue[] {
  const [n, m] = matrix2d("tril_indices_from", arr);
  return np.trilIndices(n, { k: opts.k ?? 0, m });
}

/** `jnp.triu_indices_from(arr, k=0)`. */
export function triuIndicesFrom(arr: ArrayLike, opts: { k?: number } = {}): JaxValue[] {
  const [n, m] = matrix2d("triu_indices_from", arr);
  return np.triuIndices(n, { k: opts.k ?? 0, m });
}

/**
 * `jnp.unravel_index(indices, shape)`: flat indices as one index array per dimension (C order).
 * As in JAX, negative indices count from the end and out-of-bounds ones are clipped.
 */
export function unravelIndex(ind: ArrayLike, shape: readonly number[]): JaxValue[] {
  const i0 = asarray(ind);
  if (!isInt(i0.dtype)) throw new TypeError(`unravel_index: indices must be integer typed; got ${i0.dtype}`);
  const size = shape.reduce((p, d) => p * d, 1);
  let i = np.where(np.less(i0, 0), np.add(i0, size), i0);
  i = np.clip(i, { min: 0, max: Math.max(size - 1, 0) });
  const out: JaxValue[] = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = d === 0 ? i : np.remainder(i, shape[d]);
    i = np.floorDivide(i, shape[d]);
  }
  return out;
}

/** `jnp.ravel_multi_index(multi_index, dims, mode='raise', order='C')`: index arrays as flat indices. */
export function ravelMultiIndex(multiIndex: readonly ArrayLike[] | NestedList, dims: readonly number[], opts: { mode?: "raise" | "wrap" | "clip"; order?: "C" | "F" } = {}): JaxValue {
  const idx = (multiIndex as readonly ArrayLike[]).map((m) => asarray(m));
  if (idx.length !== dims.length) throw new ValueError(`parameter multi_index must be a sequence of length ${dims.length}`);
  idx.forEach((m) => {
    if (!isInt(m.dtype)) throw new TypeError("only int indices permitted");
  });
  const mode = opts.mode ?? "raise";
  const fixed = idx.map((m, k) => {
    if (mode === "raise") {
      concreteOrError(m, "The error occurred because ravel_multi_index was jit-compiled with mode='raise'. Use mode='wrap' or mode='clip' instead.");
      if (hostNumbers(m).some((i) => i < 0 || i >= dims[k])) throw new ValueError("invalid entry in coordinates array");
      return m;
    }
    if (mode === "wrap") return np.remainder(m, dims[k]);
    if (mode === "clip") return np.clip(m, { min: 0, max: dims[k] - 1 });
    throw new ValueError(`invalid mode=${String(mode)}. Expected 'raise', 'wrap', or 'clip'`);
  });
  const order = opts.order ?? "C";
  if (order !== "C" && order !== "F") throw new ValueError(`invalid order=${String(order)}. Expected 'C' or 'F'`);
  const axes = order === "C" ? dims.map((_, k) => k) : dims.map((_, k) => dims.length - 1 - k);
  let out: JaxValue = np.zerosLike(np.broadcastArrays(fixed)[0]);
  for (const k of axes) out = np.add(np.multiply(out, dims[k]), fixed[k]);
  return out;
}
