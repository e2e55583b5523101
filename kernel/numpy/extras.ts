/**
 * @file More of jnp's namespace users reach for: `lexsort`, `put_along_axis` (inplace=False),
 * `unstack`, `array_equiv`, the window functions (`hanning`, `hamming`, `blackman`, `bartlett`,
 * `kaiser`), the real-input complex queries (`angle`, `iscomplex`, `isreal`, `iscomplexobj`,
 * `isrealobj`), the array API's bitwise names, `fromfunction`, `mask_indices`, `poly` (from
 * real roots), `polydiv`, and `histogramdd`/`histogram2d`.
 */

import { type JaxValue } from "../ir/core.js";
import { defaultFloat, defaultInt, isInt } from "../ir/dtype.js";
import { NotImplementedError, ValueError } from "../lax/errors.js";
import { type ArrayLike, type DTypeLike, J, asarray, canonicalizeAxis, promoteDtypesInexact } from "./coerce.js";
import { IndexUpdateRef } from "./indexing.js";
import * as P from "./prims.js";
import * as np from "./index.js";

/** `jnp.lexsort(keys, axis=-1)`: indices sorting by the last key, ties broken by the ones before it. */
export function lexsort(keys: readonly ArrayLike[] | ArrayLike, opts: { axis?: number } = {}): JaxValue {
  const ks = (globalThis.Array.isArray(keys) ? (keys as ArrayLike[]).map((k) => asarray(k)) : np.unstack(asarray(keys as ArrayLike)));
  if (!ks.length) throw new TypeError("need sequence of keys with len > 0 in lexsort");
  const shaped = np.broadcastArrays(ks);
  const x = shaped[0];
  if (x.ndim === 0) return asarray(0, { dtype: defaultInt() });
  const axis = canonicalizeAxis(opts.axis ?? -1, x.ndim);
  const iota = P.iota(defaultInt(), x.shape, axis);
  const sorted = P.sortMulti([...shaped.reverse(), iota], axis, true, ks.length);
  return J(sorted[sorted.length - 1]);
}

/**
 * `jnp.put_along_axis(arr, indices, values, axis, inplace=True, mode=None)`: `arr` with `values`
 * written where take_along_axis would read. JAX requires inplace=False.
 */
export function putAlongAxis(arr: ArrayLike, indices: ArrayLike, values: ArrayLike, axis: number | null, opts: { inplace?: boolean; mode?: string | null } = {}): JaxValue {
  if (opts.inplace ?? true) throw new ValueError("jax.numpy.put_along_axis cannot modify arrays in-place, because JAX arrays are immutable. Pass inplace=False to instead return an updated array.");
  let a = asarray(arr);
  const shape = a.shape;
  let idx = asarray(indices);
  if (!isInt(idx.dtype)) throw new TypeError(`put_along_axis: indices must be integer typed; got ${idx.dtype}`);
  if (axis === null) {
    a = np.ravel(a);
    idx = np.ravel(idx);
  }
  const ax = canonicalizeAxis(axis ?? 0, a.ndim);
  if (idx.ndim !== a.ndim) throw new ValueError(`indices and arr must have the same number of dimensions; ${idx.ndim} vs. ${a.ndim}`);
  // One index array per axis: the given indices along `axis`, positions elsewhere (broadcast).
  const outShape = idx.shape.map((d, i) => (i === ax ? d : Math.max(d, a.shape[i])));
  const spec = a.shape.map((_, i) => (i === ax ? np.broadcastTo(idx, outShape) : J(P.iota(defaultInt(), outShape, i))));
  const out = new IndexUpdateRef(a, spec).set(np.broadcastTo(asarray(values, { dtype: a.dtype }), outShape), { mode: opts.mode ?? null });
  return axis === null ? np.reshape(out, shape) : out;
}

/** `jnp.unstack(x, axis=0)`: the slices along `axis`, as a list. */
export function unstack(x: ArrayLike, opts: { axis?: number } = {}): JaxValue[] {
  const a = asarray(x);
  if (a.ndim === 0) throw new ValueError("Unstack requires arrays with rank > 0, however a scalar array was passed.");
  const ax = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  return globalThis.Array.from({ length: a.shape[ax] }, (_, i) => np.take(a, i, { axis: ax }));
}

/** `jnp.array_equiv(a1, a2)`: broadcastable to one shape and equal everywhere (False when not broadcastable). */
export function arrayEquiv(a1: ArrayLike, a2: ArrayLike): JaxValue {
  const x = asarray(a1), y = asarray(a2);
  try {
    np.broadcastShapes([x.shape, y.shape]);
  } catch {
    return asarray(false);
  }
  return np.all(np.equal(x, y));
}

/** The window's sample positions n = 0 … M-1 as floats, or null for the degenerate M ≤ 1. */
function windowGrid(name: string, M: number): JaxValue | null {
  if (!Number.isInteger(M)) throw new TypeError(`${name}: M must be an integer; got M=${M}`);
  return M <= 1 ? null : np.arange(M, { dtype: defaultFloat() });
}
const degenerate = (M: number): JaxValue => np.ones([Math.max(M, 0)], { dtype: defaultFloat() });

/** Σ c_k·cos(2πkn/(M-1)): the generalized cosine windows. */
function cosineWindow(name: string, M: number, coeffs: number[]): JaxValue {
  const n = windowGrid(name, M);
  if (!n) return degenerate(M);
  return coeffs.reduce((acc: JaxValue, c, k) => np.add(acc, np.multiply(c, np.cos(np.multiply(n, (2 * Math.PI * k) / (M - 1))))), np.zeros([M], { dtype: n.dtype }));
}

/** `jnp.hanning(M)`. */
export const hanning = (M: number): JaxValue => cosineWindow("hanning", M, [0.5, -0.5]);
/** `jnp.hamming(M)`. */
export const hamming = (M: number): JaxValue => cosineWindow("hamming", M, [0.54, -0.46]);
/** `jnp.blackman(M)`. */
export const blackman = (M: number): JaxValue => cosineWindow("blackman", M, [0.42, -0.5, 0.08]);

/** `jnp.bartlett(M)`: the triangular window. */
export function bartlett(M: number): JaxValue {
  const n = windowGrid("bartlett", M);
  if (!n) return degenerate(M);
  return np.subtract(1, np.abs(np.subtract(np.divide(np.multiply(n, 2), M - 1), 1)));
}

/** `jnp.kaiser(M, beta)`: i0(β·√(1 - (2n/(M-1) - 1)²)) / i0(β). */
export function kaiser(M: number, beta: ArrayLike): JaxValue {
  const n = windowGrid("kaiser", M);
  if (!n) return degenerate(M);
  const t = np.subtract(np.divide(np.multiply(n, 2), M - 1), 1);
  return np.divide(np.i0(np.multiply(beta, np.sqrt(np.subtract(1, np.multiply(t, t))))), np.i0(beta));
}

/** `jnp.angle(z, deg=False)`: for real input, π where negative (also -0.0, as arctan2), else 0. */
export function angle(z: ArrayLike, opts: { deg?: boolean } = {}): JaxValue {
  const [x] = promoteDtypesInexact(z).map((v) => J(v));
  const a = np.arctan2(np.zerosLike(x), x);
  return opts.deg ? np.rad2deg(a) : a;
}

/** `jnp.iscomplex(x)`: false everywhere (the runtime has no complex dtypes). */
export const iscomplex = (x: ArrayLike): JaxValue => np.zerosLike(asarray(x), { dtype: "bool" });
/** `jnp.isreal(x)`: true everywhere. */
export const isreal = (x: ArrayLike): JaxValue => np.onesLike(asarray(x), { dtype: "bool" });
/** `jnp.iscomplexobj(x)`: false. */
export const iscomplexobj = (x: ArrayLike): boolean => (asarray(x), false);
/** `jnp.isrealobj(x)`: true. */
export const isrealobj = (x: ArrayLike): boolean => (asarray(x), true);

/** The array API's names for the bitwise functions. */
export const bitwiseInvert = (x: ArrayLike): JaxValue => np.bitwiseNot(x);
export const bitwiseLeftShift = (x1: ArrayLike, x2: ArrayLike): JaxValue => np.leftShift(x1, x2);
export const bitwiseRightShift = (x1: ArrayLike, x2: ArrayLike): JaxValue => np.rightShift(x1, x2);

/** `jnp.fromfunction(function, shape, *, dtype=float)`: `function` called with the index grids. */
export function fromfunction(fn: (...idx: JaxValue[]) => ArrayLike, shape: readonly number[], opts: { dtype?: DTypeLike | null } = {}): JaxValue {
  const grids = np.indices(shape, { dtype: opts.dtype ?? defaultFloat() }) as JaxValue;
  return asarray(fn(...shape.map((_, i) => np.getitem(grids, i))));
}

/** `jnp.mask_indices(n, mask_func, k=0)`: the indices where `mask_func(ones((n, n)), k)` is nonzero. */
export function maskIndices(n: number, maskFunc: (a: JaxValue, k: number) => ArrayLike, opts: { k?: number; size?: number | null } = {}): JaxValue[] {
  const m = asarray(maskFunc(np.ones([n, n], { dtype: defaultInt() }), opts.k ?? 0));
  return np.nonzero(m, { size: opts.size ?? null });
}

/**
 * `jnp.poly(seq_of_zeros)`: the monic polynomial with these roots (highest power first). The
 * roots of a matrix argument are its eigenvalues, which need a general (complex) eigensolver the
 * runtime does not have.
 */
export function poly(seqOfZeros: ArrayLike): JaxValue {
  const [z] = promoteDtypesInexact(seqOfZeros).map((v) => J(v));
  if (z.ndim === 2 && z.shape[0] === z.shape[1] && z.shape[0] > 0) {
    throw new NotImplementedError("jnp.poly of a square matrix needs its eigenvalues (a general eigensolver), which jaxnb does not have; pass the roots instead");
  }
  if (z.ndim > 1) throw new ValueError("input must be 1d or non-empty square 2d array.");
  // No roots: the constant 1 (a scalar, as NumPy and JAX return it).
  if (z.size === 0) return asarray(1, { dtype: z.dtype });
  let a = asarray([1], { dtype: z.dtype });
  for (let i = 0; i < (z.ndim ? z.shape[0] : 0); i++) a = np.convolve(a, np.stack([asarray(1, { dtype: z.dtype }), np.negative(np.getitem(z, i))]), { mode: "full" });
  return a;
}

/**
 * `jnp.polydiv(u, v, *, trim_leading_zeros=False)`: (quotient, remainder) of long division. As in
 * JAX the remainder keeps u's length (NumPy's trimmed one with leading zeros) unless trimmed,
 * which needs concrete values.
 */
export function polydiv(u: ArrayLike, v: ArrayLike, opts: { trim_leading_zeros?: boolean } = {}): [JaxValue, JaxValue] {
  const [uu, vv] = promoteDtypesInexact(u, v).map((t) => np.atleast1d(J(t)) as JaxValue);
  const m = uu.shape[0] - 1, n = vv.shape[0] - 1;
  const scale = np.divide(1, np.getitem(vv, 0));
  let q = np.zeros([Math.max(m - n + 1, 1)], { dtype: uu.dtype });
  let r = uu;
  for (let k = 0; k <= m - n; k++) {
    const d = np.multiply(scale, np.getitem(r, k));
    q = new IndexUpdateRef(q, k).set(d);
    r = new IndexUpdateRef(r, { slice: [k, k + n + 1, null] }).add(np.multiply(np.negative(d), vv));
  }
  if (opts.trim_leading_zeros) {
    const eps = uu.dtype === "float64" ? 2.220446049250313e-16 : 1.1920929e-7;
    const big = np.greater(np.abs(r), Math.sqrt(eps));
    const trimmed = np.trimZeros(np.where(big, r, 0), { trim: "f" });
    r = trimmed.shape[0] ? np.getitem(r, { slice: [r.shape[0] - trimmed.shape[0], null, null] }) : trimmed;
  }
  return [q, r];
}

type Bins = number | ArrayLike | readonly (number | ArrayLike)[];

/**
 * `jnp.histogramdd(sample, bins=10, range=None, weights=None, density=None)`: counts of the N
 * points (rows of an (N, D) sample) in a D-dimensional grid of bins, and each dimension's edges.
 */
export function histogramdd(sample: ArrayLike, opts: { bins?: Bins; range?: readonly ([number, number] | null)[] | null; weights?: ArrayLike | null; density?: boolean | null } = {}): [JaxValue, JaxValue[]] {
  let s = J(promoteDtypesInexact(sample)[0]);
  if (s.ndim === 1) s = np.expandDims(s, 1);
  if (s.ndim !== 2) throw new ValueError(`histogramdd: sample must be 1-D or 2-D (N, D); got shape ${JSON.stringify(s.shape)}`);
  const [N, D] = s.shape;
  const binsArg = opts.bins ?? 10;
  const binsList = typeof binsArg === "number" ? new globalThis.Array<number>(D).fill(binsArg) : (binsArg as readonly (number | ArrayLike)[]);
  if (binsList.length !== D) throw new ValueError("should be a bin for each dimension.");
  if (opts.range != null && opts.range.length !== D) throw new ValueError("range argument must have one entry per dimension");
  const edges: JaxValue[] = [];
  let flat: JaxValue = np.zeros([N], { dtype: defaultInt() });
  let valid: JaxValue = np.ones([N], { dtype: "bool" });
  const nbins: number[] = [];
  for (let d = 0; d < D; d++) {
    const col = np.getitem(s, [{ slice: [null, null, null] }, d]);
    const e = np.histogramBinEdges(col, { bins: binsList[d] as number | ArrayLike, range: opts.range?.[d] ?? null }).astype(s.dtype);
    edges.push(e);
    const nb = e.shape[0] - 1;
    nbins.push(nb);
    // Bin i holds [e_i, e_{i+1}); the last also its right edge; points outside any bin are dropped.
    let i = np.subtract(np.searchsorted(e, col, { side: "right" }), 1);
    i = np.where(np.equal(col, np.getitem(e, nb)), nb - 1, i);
    valid = np.logicalAnd(valid, np.logicalAnd(np.greaterEqual(i, 0), np.less(i, nb)));
    flat = np.add(np.multiply(flat, nb), np.clip(i, { min: 0, max: nb - 1 }));
  }
  const total = nbins.reduce((p, b) => p * b, 1);
  const w = opts.weights == null ? np.ones([N], { dtype: s.dtype }) : asarray(opts.weights).astype(s.dtype);
  const counts = new IndexUpdateRef(np.zeros([total], { dtype: s.dtype }), [np.where(valid, flat, total)]).add(w, { mode: "drop" });
  let hist = np.reshape(counts, nbins);
  if (opts.density) {
    // Divide by the total and by each cell's volume (the outer product of the bin widths).
    let vol: JaxValue = asarray(1, { dtype: s.dtype });
    edges.forEach((e, d) => {
      const width = np.reshape(np.diff(e), nbins.map((b, k) => (k === d ? b : 1)));
      vol = np.multiply(vol, width);
    });
    hist = np.divide(np.divide(hist, np.sum(hist)), vol);
  }
  return [hist, edges];
}

/** `jnp.histogram2d(x, y, bins=10, range=None, weights=None, density=None)`: (H, xedges, yedges). */
export function histogram2d(x: ArrayLike, y: ArrayLike, opts: { bins?: Bins; range?: readonly ([number, number] | null)[] | null; weights?: ArrayLike | null; density?: boolean | null } = {}): [JaxValue, JaxValue, JaxValue] {
  const [xs, ys] = promoteDtypesInexact(x, y).map((v) => J(v));
  if (xs.ndim !== 1 || ys.ndim !== 1 || xs.shape[0] !== ys.shape[0]) throw new ValueError("x and y must be 1-D arrays of the same length");
  const b = opts.bins ?? 10;
  // One count, or one per dimension; a single array of edges is used for both, as NumPy does.
  const bins: Bins = typeof b === "number" || (globalThis.Array.isArray(b) && b.length === 2) ? b : [b as ArrayLike, b as ArrayLike];
  const [h, [ex, ey]] = histogramdd(np.stack([xs, ys], { axis: 1 }), { ...opts, bins });
  return [h, ex, ey];
}
