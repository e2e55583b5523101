/**
 * @file Shape manipulation (jax/_src/numpy/lax_numpy.py): reshape, ravel, transpose, swapaxes,
 * moveaxis, expand_dims, squeeze, broadcast_to/arrays, concatenate, stack and its variants,
 * split, tile, repeat, flip, roll, rot90, pad, atleast_nd, append — over lax's structural
 * primitives, with NumPy's errors.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { type Shape, shapeStr, broadcastShapes, prod } from "../ir/shape.js";
import {
  type ArrayLike, type DTypeLike, J, asarray, broadcastTo, canonicalizeAxis, convert, dtypeArg, resultKind, toValue,
  typedScalar, concreteInt, reductionAxes,
} from "./coerce.js";
import { ValueError } from "../lax/errors.js";
import { Array } from "../backend/array.js";
import { getitem, slice } from "./indexing.js";
import * as P from "./prims.js";

const range = (n: number): number[] => [...globalThis.Array(n).keys()];

/** `jnp.reshape(a, shape)`: one -1 may stand for the remaining size. */
export function reshape(x: ArrayLike, shape: number | readonly number[], opts: { order?: "C" } = {}): JaxValue {
  if (opts.order && opts.order !== "C") throw new ValueError(`reshape: order=${opts.order} is not supported; only 'C'.`);
  const a = asarray(x);
  const want = typeof shape === "number" ? [shape] : [...shape];
  const neg = want.filter((d) => d === -1).length;
  if (neg > 1) throw new ValueError("can only specify one unknown dimension");
  for (const d of want) if (!Number.isInteger(d) || d < -1) throw new TypeError(`Shapes must be 1D sequences of integers, got ${shapeStr(want)}`);
  const known = prod(want.filter((d) => d !== -1));
  const out = want.map((d) => (d === -1 ? (known === 0 ? 0 : a.size / known) : d));
  if (prod(out) !== a.size || !out.every(Number.isInteger)) {
    throw new TypeError(`cannot reshape array of shape ${shapeStr(a.shape)} (size ${a.size}) into shape ${shapeStr(want)}${neg ? "" : ` (size ${prod(want)})`}`);
  }
  return J(sameShape(a.shape, out) ? a : P.reshape(a, out));
}

const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export const ravel = (x: ArrayLike): JaxValue => reshape(x, [-1]);

/** `jnp.transpose(a, axes=None)`: reverses the axes by default. */
export function transpose(x: ArrayLike, opts: { axes?: readonly number[] | null } = {}): JaxValue {
  const a = asarray(x);
  const axes = opts.axes ?? null;
  const perm = axes === null || axes === undefined ? range(a.ndim).reverse() : axes.map((ax) => canonicalizeAxis(ax, a.ndim));
  if (perm.length !== a.ndim || new Set(perm).size !== perm.length) throw new ValueError("axes don't match array");
  if (perm.every((p, i) => p === i)) return a;
  return J(P.transpose(a, perm));
}
export const permuteDims = transpose;
export const matrixTranspose = (x: ArrayLike): JaxValue => {
  const a = asarray(x);
  if (a.ndim < 2) throw new ValueError(`matrix_transpose requires at least 2 dimensions; got ndim=${a.ndim}`);
  return swapaxes(a, -1, -2);
};

export function swapaxes(x: ArrayLike, axis1: number, axis2: number): JaxValue {
  const a = asarray(x);
  const perm = range(a.ndim);
  const i = canonicalizeAxis(axis1, a.ndim), j = canonicalizeAxis(axis2, a.ndim);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(a, { axes: perm });
}

export function moveaxis(x: ArrayLike, source: number | readonly number[], destination: number | readonly number[]): JaxValue {
  const a = asarray(x);
  const src = (typeof source === "number" ? [source] : [...source]).map((s) => canonicalizeAxis(s, a.ndim));
  const dst = (typeof destination === "number" ? [destination] : [...destination]).map((d) => canonicalizeAxis(d, a.ndim));
  if (src.length !== dst.length) throw new ValueError("Inconsistent number of elements: source and destination");
  const perm = range(a.ndim).filter((i) => !src.includes(i));
  const pairs = dst.map((d, k) => [d, src[k]] as const).sort((p, q) => p[0] - q[0]);
  for (const [d, s] of pairs) perm.splice(d, 0, s);
  return transpose(a, { axes: perm });
}

/** `jnp.expand_dims(a, axis)`: new size-1 axes at the given positions of the result. */
export function expandDims(x: ArrayLike, axis: number | readonly number[]): JaxValue {
  const a = asarray(x);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const nd = a.ndim + list.length;
  const axes = list.map((ax) => canonicalizeAxis(ax, nd));
  if (new Set(axes).size !== axes.length) throw new ValueError("repeated axis");
  const shape: number[] = [];
  const dims: number[] = [];
  let k = 0;
  for (let i = 0; i < nd; i++) {
    if (axes.includes(i)) shape.push(1);
    else {
      dims.push(i);
      shape.push(a.shape[k++]);
    }
  }
  return J(P.broadcastInDim(a, shape, dims));
}

/** `jnp.squeeze(a, axis=None)`: removes size-1 axes (all of them by default). */
export function squeeze(x: ArrayLike, opts: { axis?: number | readonly number[] | null } = {}): JaxValue {
  const a = asarray(x);
  let axes: number[];
  if (opts.axis == null) axes = range(a.ndim).filter((i) => a.shape[i] === 1);
  else {
    axes = reductionAxes(opts.axis, a.ndim);
    const bad = axes.filter((i) => a.shape[i] !== 1);
    if (bad.length) {
      throw new ValueError(`cannot select an axis to squeeze out which has size not equal to one, got shape=${shapeStr(a.shape)} and dimensions=${shapeStr(axes)}`);
    }
  }
  return axes.length ? J(P.squeeze(a, axes)) : a;
}

export const broadcastTo_ = (x: ArrayLike, shape: number | readonly number[]): JaxValue => {
  const s = typeof shape === "number" ? [shape] : [...shape];
  return J(broadcastTo(toValue(x) instanceof JaxValue ? (toValue(x) as JaxValue) : asarray(x), s));
};
export { broadcastTo_ as broadcastTo };

/** `jnp.broadcast_arrays(*args)`: every argument broadcast to the common shape. */
export function broadcastArrays(xs: readonly ArrayLike[]): JaxValue[] {
  const arrs = xs.map((x) => asarray(x));
  const shape = broadcastShapes(...arrs.map((a) => a.shape));
  return arrs.map((a) => J(broadcastTo(a, shape)));
}

export const broadcastShapes_ = (shapes: readonly (readonly number[])[]): number[] => broadcastShapes(...shapes);
export { broadcastShapes_ as broadcastShapes };

/** `jnp.concatenate(arrays, axis=0, dtype=None)`: axis null flattens first. */
export function concatenate(xs: readonly ArrayLike[], opts: { axis?: number | null; dtype?: DTypeLike | null } = {}): JaxValue {
  if (xs.length === 0) throw new ValueError("Need at least one array to concatenate.");
  let arrs = xs.map((x) => asarray(x));
  if (opts.axis === null) arrs = arrs.map((a) => ravel(a));
  if (arrs.some((a) => a.ndim === 0)) throw new ValueError("Zero-dimensional arrays cannot be concatenated.");
  const nd = arrs[0].ndim;
  if (arrs.some((a) => a.ndim !== nd)) {
    throw new ValueError(`all the input arrays must have same number of dimensions, got ${arrs.map((a) => shapeStr(a.shape)).join(", ")}`);
  }
  const axis = canonicalizeAxis(opts.axis ?? 0, nd);
  for (const a of arrs) {
    if (a.shape.some((d, i) => i !== axis && d !== arrs[0].shape[i])) {
      throw new TypeError(`Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated: concatenating along dimension ${axis} for shapes ${arrs.map((b) => shapeStr(b.shape)).join(", ")}.`);
    }
  }
  const r = resultKind(...arrs);
  const dtype = opts.dtype ? dtypeArg(opts.dtype) : r.dtype;
  const vals = arrs.map((a) => convert(a, dtype, !opts.dtype && r.weak));
  return J(vals.length === 1 ? vals[0] : P.concatenate(vals, axis));
}
export const concat = concatenate;

/** `jnp.stack(arrays, axis=0)`: a new axis, then concatenation. */
export function stack(xs: readonly ArrayLike[], opts: { axis?: number; dtype?: DTypeLike | null } = {}): JaxValue {
  if (xs.length === 0) throw new ValueError("Need at least one array to stack.");
  const arrs = xs.map((x) => asarray(x));
  const shape0 = arrs[0].shape;
  if (arrs.some((a) => !sameShape(a.shape, shape0))) throw new ValueError("All input arrays must have the same shape.");
  const axis = canonicalizeAxis(opts.axis ?? 0, shape0.length + 1);
  return concatenate(arrs.map((a) => expandDims(a, axis)), { axis, dtype: opts.dtype });
}

export const atleast1d = (x: ArrayLike): JaxValue => {
  const a = asarray(x);
  return a.ndim >= 1 ? a : reshape(a, [1]);
};
export const atleast2d = (x: ArrayLike): JaxValue => {
  const a = asarray(x);
  return a.ndim >= 2 ? a : reshape(a, a.ndim === 0 ? [1, 1] : [1, a.shape[0]]);
};
export const atleast3d = (x: ArrayLike): JaxValue => {
  const a = asarray(x);
  if (a.ndim >= 3) return a;
  if (a.ndim === 0) return reshape(a, [1, 1, 1]);
  if (a.ndim === 1) return reshape(a, [1, a.shape[0], 1]);
  return reshape(a, [...a.shape, 1]);
};

export const vstack = (xs: readonly ArrayLike[], opts: { dtype?: DTypeLike | null } = {}): JaxValue => concatenate(xs.map(atleast2d), { axis: 0, dtype: opts.dtype });
export const rowStack = vstack;
export function hstack(xs: readonly ArrayLike[], opts: { dtype?: DTypeLike | null } = {}): JaxValue {
  const arrs = xs.map(atleast1d);
  return concatenate(arrs, { axis: arrs[0]?.ndim === 1 ? 0 : 1, dtype: opts.dtype });
}
export const dstack = (xs: readonly ArrayLike[], opts: { dtype?: DTypeLike | null } = {}): JaxValue => concatenate(xs.map(atleast3d), { axis: 2, dtype: opts.dtype });
export function columnStack(xs: readonly ArrayLike[]): JaxValue {
  const arrs = xs.map((x) => {
    const a = asarray(x);
    return a.ndim < 2 ? J(P.reshape(a, [a.size, 1])) : a;
  });
  return concatenate(arrs, { axis: 1 });
}

/** A static slice along one axis. */
function sliceAxis(a: Value, axis: number, start: number, stop: number, step = 1): Value {
  const shape = getAval(a).shape;
  const lo = shape.map(() => 0), hi = [...shape], st = shape.map(() => 1);
  lo[axis] = start;
  hi[axis] = stop;
  st[axis] = step;
  if (start === 0 && stop === shape[axis] && step === 1) return a;
  return P.slice(a, lo, hi, step === 1 ? null : st);
}

/** Splits at the given indices (clamped to the axis), as NumPy's array_split does. */
function splitAt(a: JaxValue, axis: number, points: number[]): JaxValue[] {
  const n = a.shape[axis];
  const bounds = [0, ...points.map((p) => Math.min(Math.max(p < 0 ? p + n : p, 0), n)), n];
  return bounds.slice(1).map((stop, i) => J(sliceAxis(a, axis, bounds[i], Math.max(bounds[i], stop))));
}

/** `jnp.split(ary, indices_or_sections, axis=0)`: sections must divide the axis evenly. */
export function split(x: ArrayLike, indicesOrSections: number | readonly number[], opts: { axis?: number } = {}): JaxValue[] {
  const a = asarray(x);
  const axis = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  if (typeof indicesOrSections === "number") {
    const k = concreteInt(indicesOrSections, "indices_or_sections");
    if (k <= 0 || a.shape[axis] % k !== 0) throw new ValueError("array split does not result in an equal division");
    const size = a.shape[axis] / k;
    return splitAt(a, axis, range(k - 1).map((i) => (i + 1) * size));
  }
  return splitAt(a, axis, [...indicesOrSections]);
}

/** `jnp.array_split`: like split, the first sections one longer when the division is uneven. */
export function arraySplit(x: ArrayLike, indicesOrSections: number | readonly number[], opts: { axis?: number } = {}): JaxValue[] {
  const a = asarray(x);
  const axis = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  if (typeof indicesOrSections !== "number") return splitAt(a, axis, [...indicesOrSections]);
  const k = concreteInt(indicesOrSections, "indices_or_sections");
  if (k <= 0) throw new ValueError("number sections must be larger than 0.");
  const n = a.shape[axis];
  const q = Math.floor(n / k), r = n % k;
  const points: number[] = [];
  let acc = 0;
  for (let i = 0; i < k - 1; i++) points.push((acc += q + (i < r ? 1 : 0)));
  return splitAt(a, axis, points);
}
export const hsplit = (x: ArrayLike, s: number | readonly number[]): JaxValue[] => split(x, s, { axis: asarray(x).ndim === 1 ? 0 : 1 });
export const vsplit = (x: ArrayLike, s: number | readonly number[]): JaxValue[] => split(x, s, { axis: 0 });
export const dsplit = (x: ArrayLike, s: number | readonly number[]): JaxValue[] => split(x, s, { axis: 2 });

/** `jnp.tile(A, reps)`: broadcast into interleaved axes, then reshape. */
export function tile(x: ArrayLike, reps: number | readonly number[]): JaxValue {
  let a = asarray(x);
  const r = typeof reps === "number" ? [reps] : [...reps];
  for (const k of r) if (!Number.isInteger(k) || k < 0) throw new ValueError(`tile: reps must be non-negative integers, got ${JSON.stringify(reps)}`);
  const nd = Math.max(a.ndim, r.length);
  const rr = [...new globalThis.Array<number>(nd - r.length).fill(1), ...r];
  a = reshape(a, [...new globalThis.Array<number>(nd - a.ndim).fill(1), ...a.shape]);
  const inter = a.shape.flatMap((d, i) => [rr[i], d]);
  const b = P.broadcastInDim(a, inter, a.shape.map((_, i) => 2 * i + 1));
  return J(P.reshape(b, a.shape.map((d, i) => d * rr[i])));
}

/**
 * `jnp.repeat(a, repeats, axis=None)`: a scalar count broadcasts into a new axis and reshapes;
 * per-element counts (concrete) concatenate the repeated slices.
 */
export function repeat(x: ArrayLike, repeats: number | readonly number[], opts: { axis?: number | null; total_repeat_length?: number | null } = {}): JaxValue {
  let a = asarray(x);
  if (opts.axis == null) {
    a = ravel(a);
  }
  const axis = canonicalizeAxis(opts.axis ?? 0, a.ndim);
  const n = a.shape[axis];
  const uniform = typeof repeats === "number" ? repeats : repeats.length === 1 ? repeats[0] : null;
  const counts = uniform !== null ? new globalThis.Array<number>(n).fill(uniform) : [...(repeats as readonly number[])];
  if (counts.length !== n) throw new ValueError(`repeat: repeats of length ${counts.length} does not match the axis length ${n}`);
  if (counts.some((c) => !Number.isInteger(c) || c < 0)) throw new ValueError("repeat: repeats may not contain negative values.");
  if (uniform !== null) {
    const k = uniform;
    const shape = [...a.shape.slice(0, axis + 1), k, ...a.shape.slice(axis + 1)];
    const dims = a.shape.map((_, i) => (i <= axis ? i : i + 1));
    const b = P.broadcastInDim(a, shape, dims);
    const out = [...a.shape];
    out[axis] = n * k;
    return J(P.reshape(b, out));
  }
  const parts = counts.flatMap((c, i) => (c ? [J(P.broadcastInDim(sliceAxis(a, axis, i, i + 1), a.shape.map((d, j) => (j === axis ? c : d)), a.shape.map((_, j) => j)))] : []));
  if (parts.length === 0) return J(sliceAxis(a, axis, 0, 0));
  return concatenate(parts, { axis });
}

/** `jnp.flip(m, axis=None)`: lax.rev over the axes. */
export function flip(x: ArrayLike, opts: { axis?: number | readonly number[] | null } = {}): JaxValue {
  const a = asarray(x);
  const axes = reductionAxes(opts.axis, a.ndim);
  return axes.length ? J(P.rev(a, axes)) : a;
}
export const fliplr = (x: ArrayLike): JaxValue => flip(x, { axis: 1 });
export const flipud = (x: ArrayLike): JaxValue => flip(x, { axis: 0 });

/** `jnp.roll(a, shift, axis=None)`: two slices swapped (shift is static). */
export function roll(x: ArrayLike, shift: number | readonly number[], opts: { axis?: number | readonly number[] | null } = {}): JaxValue {
  const a = asarray(x);
  if (opts.axis == null) return reshape(roll(ravel(a), typeof shift === "number" ? shift : shift.reduce((p, q) => p + q, 0), { axis: 0 }), a.shape);
  const axes = (typeof opts.axis === "number" ? [opts.axis] : [...opts.axis]).map((ax) => canonicalizeAxis(ax, a.ndim));
  const shifts = typeof shift === "number" ? axes.map(() => shift) : [...shift];
  if (shifts.length !== axes.length) throw new ValueError("'shift' and 'axis' should be scalars or 1D sequences");
  let out: Value = a;
  axes.forEach((ax, i) => {
    const n = a.shape[ax];
    if (n === 0) return;
    const s = ((shifts[i] % n) + n) % n;
    if (s === 0) return;
    out = P.concatenate([sliceAxis(out, ax, n - s, n), sliceAxis(out, ax, 0, n - s)], ax);
  });
  return J(out);
}

/** `jnp.rot90(m, k=1, axes=(0, 1))`. */
export function rot90(x: ArrayLike, opts: { k?: number; axes?: readonly [number, number] } = {}): JaxValue {
  const a = asarray(x);
  const [ax1, ax2] = (opts.axes ?? [0, 1]).map((ax) => canonicalizeAxis(ax, a.ndim));
  if (ax1 === ax2) throw new ValueError("Axes must be different");
  const k = (((opts.k ?? 1) % 4) + 4) % 4;
  if (k === 0) return a;
  if (k === 2) return flip(flip(a, { axis: ax1 }), { axis: ax2 });
  const perm = range(a.ndim);
  [perm[ax1], perm[ax2]] = [perm[ax2], perm[ax1]];
  return k === 1 ? transpose(flip(a, { axis: ax2 }), { axes: perm }) : flip(transpose(a, { axes: perm }), { axis: ax2 });
}

type PadWidth = number | readonly number[] | readonly (readonly number[])[];

/** pad_width as (before, after) per axis, NumPy's broadcasting of the spec. */
function padPairs(pw: PadWidth, nd: number): [number, number][] {
  let pairs: [number, number][];
  if (typeof pw === "number") pairs = range(nd).map(() => [pw, pw]);
  else if (pw.length && typeof pw[0] === "number") {
    const p = pw as readonly number[];
    pairs = range(nd).map(() => [p[0], p.length > 1 ? p[1] : p[0]]);
  } else {
    const p = pw as readonly (readonly number[])[];
    if (p.length === 1) pairs = range(nd).map(() => [p[0][0], p[0].length > 1 ? p[0][1] : p[0][0]]);
    else if (p.length === nd) pairs = p.map((q) => [q[0], q.length > 1 ? q[1] : q[0]]);
    else throw new ValueError(`jnp.pad: pad_width with nd=${p.length} has unsupported shape for an array of ndim ${nd}`);
  }
  for (const [b, e] of pairs) if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) throw new ValueError(`index can't contain negative values: pad_width=${JSON.stringify(pw)}`);
  return pairs;
}

/**
 * `jnp.pad(array, pad_width, mode='constant', constant_values=0)`, with the modes constant, edge,
 * reflect, symmetric and wrap (each a concatenation of slices per axis).
 */
export function pad(x: ArrayLike, padWidth: PadWidth, opts: { mode?: string; constant_values?: number } = {}): JaxValue {
  const a = asarray(x);
  const pairs = padPairs(padWidth, a.ndim);
  const mode = opts.mode ?? "constant";
  if (mode === "constant") {
    const cv = typedScalar(opts.constant_values ?? 0, a.dtype, a.weakType);
    return J(P.pad(a, cv, pairs.map(([b, e]) => [b, e, 0] as const)));
  }
  if (!["edge", "reflect", "symmetric", "wrap"].includes(mode)) throw new ValueError(`Unimplemented padding mode '${mode}' for np.pad.`);
  let out: Value = a;
  pairs.forEach(([before, after], ax) => {
    if (!before && !after) return;
    const n = getAval(out).shape[ax];
    if (n === 0) throw new ValueError(`can't extend empty axis ${ax} using modes other than 'constant' or 'empty'`);
    // Each output position reads a (static) source position of the axis.
    const src = range(before + n + after).map((p) => padSource(p - before, n, mode));
    const idx = Array.fromHost(src, [src.length], "int32");
    const spec = [...range(ax).map(() => slice()), idx];
    out = getitem(J(out), spec);
  });
  return J(out);
}

/** The source index of position p (which may lie outside [0, n)) for a padding mode. */
function padSource(p: number, n: number, mode: string): number {
  if (p >= 0 && p < n) return p;
  switch (mode) {
    case "edge": return p < 0 ? 0 : n - 1;
    case "wrap": return ((p % n) + n) % n;
    case "reflect": {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const q = ((p % period) + period) % period;
      return q < n ? q : period - q;
    }
    default: {
      const period = 2 * n;
      const q = ((p % period) + period) % period;
      return q < n ? q : period - 1 - q;
    }
  }
}

/** `jnp.append(arr, values, axis=None)`. */
export function append(arr: ArrayLike, values: ArrayLike, opts: { axis?: number | null } = {}): JaxValue {
  if (opts.axis == null) return concatenate([ravel(arr), ravel(values)], { axis: 0 });
  return concatenate([arr, values], { axis: opts.axis });
}

export const ndim = (x: ArrayLike): number => getAval(toValue(x)).ndim;
export const shape = (x: ArrayLike): number[] => [...getAval(toValue(x)).shape];

export { sliceAxis };
