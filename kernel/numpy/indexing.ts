/**
 * @file NumPy indexing (`x[idx]`) and JAX's functional updates (`x.at[idx].set(v)`), after
 * jax/_src/numpy/indexing.py. An index is a structured spec: one entry or an array of entries —
 * an integer, `{slice: [start, stop, step]}` (nulls for defaults), `null` (newaxis), `"..."`, an
 * integer array (advanced indexing: a gather) or a boolean array (concrete only, as in JAX).
 *
 * Basic indices become lax.slice / rev / dynamic_slice / squeeze; advanced ones a single gather
 * whose broadcast index dimensions replace the first advanced position when the advanced indices
 * are adjacent, and go first otherwise (NumPy's rule). Out-of-bounds gathers clamp (JAX's
 * promise_in_bounds); updates are scatters that drop out-of-bounds indices.
 */

import { type Value, JaxValue, Tracer, TypedScalar, getAval } from "../ir/core.js";
import { defaultInt, isBool, isInt } from "../ir/dtype.js";
import { type Shape, broadcastShapes, prod, shapeStr } from "../ir/shape.js";
import { Array } from "../backend/array.js";
import { type ArrayLike, type NestedList, J, asarray, broadcastTo, convert, kindOf, toValue, typedScalar } from "./coerce.js";
import * as P from "./prims.js";
import { ValueError } from "../lax/errors.js";

export type SliceSpec = { readonly slice: readonly [number | null, number | null, number | null] };
export type IndexEntry = number | boolean | null | "..." | SliceSpec | JaxValue | NestedList;
export type IndexSpec = IndexEntry | readonly IndexEntry[];

/** Python's `slice(start, stop, step)`. */
export const slice = (start: number | null = null, stop: number | null = null, step: number | null = null): SliceSpec => ({ slice: [start, stop, step] });

/** Python's IndexError. */
export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IndexError";
  }
}

/** JAX's NonConcreteBooleanIndexError: boolean masks need concrete values (their result shape depends on them). */
export class NonConcreteBooleanIndexError extends Error {
  constructor(aval: string) {
    super(`Array boolean indices must be concrete; got ${aval}\n\nSee https://docs.jax.dev/en/latest/errors.html#jax.errors.NonConcreteBooleanIndexError`);
    this.name = "NonConcreteBooleanIndexError";
  }
}

export type GatherMode = "promise_in_bounds" | "clip" | "fill";

const isSliceSpec = (e: unknown): e is SliceSpec => typeof e === "object" && e !== null && "slice" in e;
const range = (n: number): number[] => [...globalThis.Array(n).keys()];

/** Python's slice.indices(n): start, step and the number of elements selected. */
function sliceIndices(s: SliceSpec, n: number): { start: number; step: number; len: number } {
  const [a, b, c] = s.slice;
  for (const v of s.slice) {
    if (v !== null && v !== undefined && !(typeof v === "number" && Number.isInteger(v))) {
      throw new TypeError(`slice indices must be integers or None, got ${String(v)}`);
    }
  }
  const step = c ?? 1;
  if (step === 0) throw new ValueError("slice step cannot be zero");
  const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
  const start = a == null ? (step > 0 ? 0 : n - 1) : norm(a, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const stop = b == null ? (step > 0 ? n : -1) : norm(b, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
  const len = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  return { start, step, len };
}

/** A parsed entry: what each position of the (ellipsis-free) index does. */
type Entry =
  | { kind: "slice"; s: SliceSpec }
  | { kind: "int"; i: number }
  | { kind: "dyn"; v: Value }
  | { kind: "array"; v: Value }
  | { kind: "newaxis" };

/** Converts list entries to arrays and checks index dtypes (JAX's TypeError for float indices). */
function convertEntry(e: IndexEntry, pos: number): IndexEntry | JaxValue {
  if (globalThis.Array.isArray(e)) {
    const a = asarray(e as NestedList, (e as NestedList).length === 0 ? { dtype: defaultInt() } : {});
    return a;
  }
  if (e instanceof JaxValue) {
    const d = e.dtype;
    if (!(isInt(d) || isBool(d))) throw new TypeError(`Indexer must have integer or boolean type, got indexer with type ${d} at position ${pos}, indexer value ${String(e)}`);
    return e;
  }
  if (typeof e === "number" && !Number.isInteger(e)) {
    throw new TypeError(`Indexer must have integer or boolean type, got indexer with type float at position ${pos}, indexer value ${e}`);
  }
  if (typeof e === "string" && e !== "...") throw new TypeError(`JAX does not support string indexing; got idx=${JSON.stringify(e)}`);
  return e;
}

/** A concrete boolean mask as the integer index arrays of its true positions (NumPy's nonzero). */
function maskToIndices(m: JaxValue, shape: Shape, at: number): JaxValue[] {
  if (m instanceof Tracer) {
    const c = m.toConcrete();
    if (!c) throw new NonConcreteBooleanIndexError(m.aval.toString());
    m = c;
  }
  if (!(m instanceof Array)) throw new NonConcreteBooleanIndexError(m.aval.toString());
  m.shape.forEach((d, i) => {
    if (shape[at + i] !== d) {
      throw new IndexError(`boolean index did not match indexed array along axis ${at + i}; size of axis is ${shape[at + i]} but size of corresponding boolean axis is ${d}`);
    }
  });
  const vals = m.toNumbers();
  const st = m.shape.map((_, i) => prod(m.shape.slice(i + 1)));
  const cols: number[][] = m.shape.map(() => []);
  vals.forEach((v, flat) => {
    if (v) m.shape.forEach((_, i) => cols[i].push(Math.floor(flat / st[i]) % m.shape[i]));
  });
  return cols.map((c) => Array.fromHost(c, [c.length], defaultInt()));
}

interface Parsed {
  x: Value;
  entries: Entry[];
  /** Whether the advanced indices are adjacent in the index as written (NumPy's placement rule). */
  contiguous: boolean;
}

/** Normalizes an index against x: ellipsis expanded, masks and scalar booleans turned into integer arrays. */
function parse(x: Value, spec: IndexSpec): Parsed {
  const raw = (globalThis.Array.isArray(spec) ? spec : [spec]).map(convertEntry);
  const ndim = getAval(x).ndim;
  const isBoolArr = (e: unknown): e is JaxValue => e instanceof JaxValue && isBool(e.dtype) && e.ndim > 0;
  const consumed = raw.reduce<number>((n, e) => n + (e === null || e === "..." || typeof e === "boolean" || (e instanceof JaxValue && isBool(e.dtype) && e.ndim === 0) ? 0 : isBoolArr(e) ? e.ndim : 1), 0);
  const ellipses = raw.filter((e) => e === "...").length;
  if (ellipses > 1) throw new IndexError("an index can only have a single ellipsis ('...')");
  if (consumed > ndim) {
    throw new IndexError(`Too many indices: ${ndim}-dimensional array indexed with ${consumed} regular ${consumed === 1 ? "index" : "indices"}.`);
  }
  // Advanced positions as written (ints, arrays, scalars count; NumPy's adjacency rule).
  const advPos = raw.flatMap((e, i) => (typeof e === "number" || typeof e === "boolean" || e instanceof JaxValue ? [i] : []));
  const contiguous = advPos.every((p, k) => k === 0 || p === advPos[k - 1] + 1);
  const fill = ndim - consumed;
  const expanded: (IndexEntry | JaxValue)[] = [];
  for (const e of raw) {
    if (e === "...") for (let k = 0; k < fill; k++) expanded.push(slice());
    else expanded.push(e);
  }
  if (!ellipses) for (let k = 0; k < fill; k++) expanded.push(slice());
  // Scalar booleans insert a size-1 axis, indexed by [0] (True) or [] (False).
  let y = x;
  const entries: Entry[] = [];
  let dim = 0;
  const boolDims: number[] = [];
  for (const e of expanded) {
    const scalarBool = typeof e === "boolean" || (e instanceof JaxValue && isBool(e.dtype) && e.ndim === 0);
    if (scalarBool) {
      const t = typeof e === "boolean" ? e : (concreteScalar(e as JaxValue) as boolean);
      boolDims.push(dim);
      entries.push({ kind: "array", v: Array.fromHost(t ? [0] : [], [t ? 1 : 0], defaultInt()) });
      dim++;
      continue;
    }
    if (e === null) entries.push({ kind: "newaxis" });
    else if (isSliceSpec(e)) {
      entries.push({ kind: "slice", s: e });
      dim++;
    } else if (typeof e === "number") {
      entries.push({ kind: "int", i: e });
      dim++;
    } else if (isBoolArr(e)) {
      const shapeNow = getAval(x).shape;
      const at = dim - boolDims.length;
      for (const ix of maskToIndices(e, shapeNow, at)) {
        entries.push({ kind: "array", v: ix });
        dim++;
      }
    } else if (e instanceof JaxValue) {
      entries.push(e.ndim === 0 ? { kind: "dyn", v: e } : { kind: "array", v: e });
      dim++;
    }
  }
  if (boolDims.length) y = P.broadcastInDim(x, insertOnes(getAval(x).shape, boolDims), keptDims(getAval(x).ndim + boolDims.length, boolDims));
  return { x: y, entries, contiguous };
}

function concreteScalar(v: JaxValue): number | boolean {
  if (v instanceof Tracer) {
    const c = v.toConcrete();
    if (!c) throw new NonConcreteBooleanIndexError(v.aval.toString());
    return c.item();
  }
  return (v as Array | TypedScalar).item();
}

/** The shape with size-1 axes at the given output positions. */
function insertOnes(shape: Shape, at: number[]): number[] {
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < shape.length + at.length; i++) out.push(at.includes(i) ? 1 : shape[k++]);
  return out;
}
const keptDims = (nd: number, inserted: number[]): number[] => range(nd).filter((i) => !inserted.includes(i));

/** Integer index arrays normalized as JAX does: negative indices count from the end. */
function normalizeIndex(v: Value, n: number): Value {
  const iv = convert(v, isInt(kindOf(v).dtype) ? kindOf(v).dtype : defaultInt(), false);
  const d = getAval(iv).dtype;
  if (d.startsWith("u")) return iv;
  return P.select(P.lt(iv, typedScalar(0, d, true)), P.add(iv, typedScalar(n, d, true)), iv);
}

/**
 * `x[idx]`. `mode` chooses what out-of-bounds indices do: "promise_in_bounds" (default for
 * indexing: clamp), "clip", or "fill" (out-of-bounds elements become `fillValue`).
 */
export function getitem(x: ArrayLike, spec: IndexSpec, opts: { mode?: GatherMode | null; fill_value?: number | null } = {}): JaxValue {
  const mode = opts.mode ?? "promise_in_bounds";
  const { x: y0, entries, contiguous } = parse(toValue(x) instanceof JaxValue ? toValue(x) : asarray(x), spec);
  const hasArray = entries.some((e) => e.kind === "array");
  // Filling needs a gather wherever an index may be out of bounds: static ones that are, and traced ones.
  const mayFill = mode === "fill" && entries.some((e, i) => (e.kind === "int" && oob(e.i, dimSize(y0, entries, i))) || e.kind === "dyn");
  if (!hasArray && !mayFill) return J(basicIndex(y0, entries));
  return J(advancedIndex(y0, entries, contiguous, mode, opts.fill_value ?? null));
}

const oob = (i: number, n: number): boolean => i < -n || i >= n;

/** The size of the axis of y that entry `k` indexes. */
function dimSize(y: Value, entries: Entry[], k: number): number {
  const dim = entries.slice(0, k).filter((e) => e.kind !== "newaxis").length;
  return getAval(y).shape[dim];
}

/** Static slices (and reversals) of y per entry; returns the sliced array and its entries minus the slices. */
function applySlices(y: Value, entries: Entry[]): Value {
  const shape = getAval(y).shape;
  const start: number[] = [], limit: number[] = [], strides: number[] = [], revDims: number[] = [];
  let dim = 0;
  for (const e of entries) {
    if (e.kind === "newaxis") continue;
    const n = shape[dim];
    if (e.kind === "slice") {
      const { start: s, step, len } = sliceIndices(e.s, n);
      if (step > 0) {
        start.push(s);
        limit.push(len ? s + (len - 1) * step + 1 : s);
        strides.push(step);
      } else {
        const lo = s + (len - 1) * step;
        start.push(len ? lo : 0);
        limit.push(len ? s + 1 : 0);
        strides.push(-step);
        revDims.push(dim);
      }
    } else if (e.kind === "int") {
      // Out-of-bounds integers clamp, as JAX's gather does.
      const i = Math.min(Math.max(e.i < 0 ? e.i + n : e.i, 0), Math.max(n - 1, 0));
      if (n === 0) throw new IndexError(`index ${e.i} is out of bounds for axis ${dim} with size 0`);
      start.push(i);
      limit.push(i + 1);
      strides.push(1);
    } else {
      start.push(0);
      limit.push(n);
      strides.push(1);
    }
    dim++;
  }
  let out = y;
  const trivial = start.every((s, i) => s === 0 && limit[i] === shape[i] && strides[i] === 1);
  if (!trivial) out = P.slice(y, start, limit, strides.every((s) => s === 1) ? null : strides);
  if (revDims.length) out = P.rev(out, revDims);
  return out;
}

/** Basic indexing: slices, static and dynamic integers, newaxis. */
function basicIndex(y: Value, entries: Entry[]): Value {
  let out = applySlices(y, entries);
  const shape = getAval(out).shape;
  const dyn = entries.filter((e) => e.kind !== "newaxis").map((e) => (e.kind === "dyn" ? e.v : null));
  if (dyn.some((d) => d !== null)) {
    const starts = dyn.map((d, i) => (d === null ? typedScalar(0, defaultInt(), false) : convert(normalizeIndex(d, shape[i]), defaultInt(), false)));
    out = P.dynamicSlice(out, starts, shape.map((n, i) => (dyn[i] === null ? n : 1)));
  }
  const real = entries.filter((e) => e.kind !== "newaxis");
  const squeezeDims = real.flatMap((e, i) => (e.kind === "int" || e.kind === "dyn" ? [i] : []));
  if (squeezeDims.length) out = P.squeeze(out, squeezeDims);
  // newaxis entries: size-1 axes at their positions among the remaining output axes.
  const outEntries = entries.filter((e) => e.kind === "slice" || e.kind === "newaxis");
  const newDims = outEntries.flatMap((e, i) => (e.kind === "newaxis" ? [i] : []));
  if (newDims.length) out = P.broadcastInDim(out, insertOnes(getAval(out).shape, newDims), keptDims(outEntries.length, newDims));
  return out;
}

/** Advanced indexing: slices first, then one gather over the advanced axes. */
function advancedIndex(y0: Value, entries: Entry[], contiguous: boolean, mode: GatherMode, fillValue: number | null): Value {
  // Integers join the advanced indices; slices are applied first (keeping their axes).
  const asArrays: Entry[] = entries.map((e) => (e.kind === "int" ? { kind: "array", v: typedScalar(e.i, defaultInt(), false) } : e.kind === "dyn" ? { kind: "array", v: e.v } : e));
  const sliced = applySlices(y0, asArrays);
  // newaxis entries become size-1 axes so that every entry owns one axis.
  const newDims = asArrays.flatMap((e, i) => (e.kind === "newaxis" ? [i] : []));
  const y = newDims.length ? P.broadcastInDim(sliced, insertOnes(getAval(sliced).shape, newDims), keptDims(asArrays.length, newDims)) : sliced;
  const shape = getAval(y).shape;
  const adv = asArrays.flatMap((e, i) => (e.kind === "array" ? [i] : []));
  const rest = range(shape.length).filter((i) => !adv.includes(i));
  const idxVals = adv.map((i) => (asArrays[i] as { v: Value }).v);
  let bshape: number[];
  try {
    bshape = broadcastShapes(...idxVals.map((v) => getAval(v).shape));
  } catch {
    throw new IndexError(`shape mismatch: indexing arrays could not be broadcast together with shapes ${idxVals.map((v) => shapeStr(getAval(v).shape)).join(" ")}`);
  }
  const restShape = rest.map((i) => shape[i]);
  const firstAdv = rest.filter((i) => i < adv[0]).length;
  const outShape = contiguous ? [...restShape.slice(0, firstAdv), ...bshape, ...restShape.slice(firstAdv)] : [...bshape, ...restShape];
  const dtype = getAval(y).dtype;
  if (prod(bshape) === 0 || prod(restShape) === 0 || adv.some((i) => shape[i] === 0)) {
    return P.broadcastInDim(typedScalar(0, dtype, getAval(y).weakType), outShape, []);
  }
  const moved = rest.length || adv.some((a, k) => a !== k) ? P.transpose(y, [...adv, ...rest]) : y;
  const it = defaultInt();
  const cols = idxVals.map((v, k) => {
    const nv = convert(normalizeIndex(v, shape[adv[k]]), it, false);
    const b = broadcastTo(nv, bshape);
    return P.reshape(b, [...bshape, 1]);
  });
  const indices = cols.length === 1 ? cols[0] : P.concatenate(cols, bshape.length);
  const k = adv.length;
  const dnums = new P.GatherDimensionNumbers({
    offsetDims: range(rest.length).map((i) => bshape.length + i),
    collapsedSliceDims: range(k),
    startIndexMap: range(k),
  });
  let out = P.gather(moved, indices, dnums, [...new globalThis.Array<number>(k).fill(1), ...restShape], { mode, fillValue });
  if (contiguous && firstAdv > 0 && bshape.length > 0) {
    const b = bshape.length;
    const perm = [...range(firstAdv).map((i) => b + i), ...range(b), ...range(rest.length - firstAdv).map((i) => b + firstAdv + i)];
    out = P.transpose(out, perm);
  }
  return out;
}

// ---- functional updates: x.at[idx] -------------------------------------------------------------------

type UpdateKind = "set" | "add" | "mul" | "min" | "max";

/** A coordinate on an axis of size n as the scatter wants it: in range, clamped (clip) or -1 (dropped). */
function boundCoordinate(v: Value, n: number, clip: boolean): Value {
  const it = defaultInt();
  const c = convert(normalizeIndex(v, n), it, false);
  const lit = (k: number): Value => typedScalar(k, it, false);
  if (clip) return P.clamp(lit(0), c, lit(Math.max(n - 1, 0)));
  const inBounds = P.and(P.ge(c, lit(0)), P.lt(c, lit(n)));
  const shape = getAval(c).shape;
  return P.select(inBounds, c, shape.length ? P.broadcastInDim(lit(-1), shape, []) : lit(-1));
}

/**
 * The coordinates, in x, of every element `x[idx]` selects, laid out like `x[idx]` with the
 * coordinate vector last: slices contribute scaled iotas over the output, integers and index
 * arrays their (normalized, bounded) values. Work is proportional to the update, not to x.
 */
function scatterIndices(x: JaxValue, spec: IndexSpec, clip: boolean): { indices: Value; shape: number[] } {
  const { x: y, entries, contiguous } = parse(x, spec);
  if (getAval(y).ndim !== x.ndim) return iotaCoordinates(x, spec, clip);
  const it = defaultInt();
  const dimOf = entries.map((_, i) => entries.slice(0, i).filter((e) => e.kind !== "newaxis").length);
  const hasArray = entries.some((e) => e.kind === "array");
  const isAdv = (e: Entry): boolean => hasArray && (e.kind === "int" || e.kind === "dyn" || e.kind === "array");
  const adv = entries.flatMap((e, i) => (isAdv(e) ? [i] : []));
  const rest = entries.flatMap((e, i) => (e.kind === "slice" || e.kind === "newaxis" ? [i] : []));
  const restLen = rest.map((i) => {
    const e = entries[i];
    return e.kind === "slice" ? sliceIndices(e.s, x.shape[dimOf[i]]).len : 1;
  });
  const advValue = (e: Entry): Value => (e.kind === "int" ? typedScalar(e.i, it, false) : (e as { v: Value }).v);
  let bshape: number[] = [];
  try {
    bshape = broadcastShapes(...adv.map((i) => getAval(advValue(entries[i])).shape));
  } catch {
    throw new IndexError(`shape mismatch: indexing arrays could not be broadcast together with shapes ${adv.map((i) => shapeStr(getAval(advValue(entries[i])).shape)).join(" ")}`);
  }
  const firstAdv = adv.length ? rest.filter((i) => i < adv[0]).length : 0;
  const bStart = contiguous ? firstAdv : 0;
  const restAxis = (k: number): number => (!adv.length || (contiguous && k < firstAdv) ? k : k + bshape.length);
  const outShape = adv.length ? (contiguous ? [...restLen.slice(0, firstAdv), ...bshape, ...restLen.slice(firstAdv)] : [...bshape, ...restLen]) : restLen;
  const bAxes = bshape.map((_, j) => bStart + j);
  const cols: Value[] = [];
  entries.forEach((e, i) => {
    if (e.kind === "newaxis") return;
    const n = x.shape[dimOf[i]];
    let c: Value;
    if (e.kind === "slice") {
      const { start, step } = sliceIndices(e.s, n);
      const io = P.iota(it, outShape, restAxis(rest.indexOf(i)));
      c = P.add(P.mul(io, typedScalar(step, it, false)), typedScalar(start, it, false));
    } else if (isAdv(e)) {
      c = P.broadcastInDim(broadcastTo(boundCoordinate(advValue(e), n, clip), bshape), outShape, bAxes);
    } else {
      c = P.broadcastInDim(boundCoordinate(advValue(e), n, clip), outShape, []);
    }
    cols.push(P.reshape(c, [...outShape, 1]));
  });
  return { indices: cols.length === 1 ? cols[0] : P.concatenate(cols, outShape.length), shape: outShape };
}

/** Coordinates read off iotas of x's shape indexed like x (for indices that add axes to x). */
function iotaCoordinates(x: JaxValue, spec: IndexSpec, clip: boolean): { indices: Value; shape: number[] } {
  const it = defaultInt();
  const coords = x.shape.map((_, d) => getitem(J(P.iota(it, x.shape, d)), spec, clip ? { mode: "clip" } : { mode: "fill", fill_value: -1 }));
  const shape = [...coords[0].shape];
  const cols = coords.map((c) => P.reshape(c, [...shape, 1]));
  return { indices: cols.length === 1 ? cols[0] : P.concatenate(cols, shape.length), shape };
}

function scatterUpdate(x: JaxValue, spec: IndexSpec, values: ArrayLike, kind: UpdateKind, opts: { mode?: string | null; indices_are_sorted?: boolean; unique_indices?: boolean }): JaxValue {
  if (x.ndim === 0) {
    const r = parse(x, spec);
    if (r.entries.length) throw new IndexError(`Too many indices: 0-dimensional array indexed with ${r.entries.length} regular indices.`);
    const v = convert(toValue(values), x.dtype, x.weakType);
    const f = { set: (_a: Value, b: Value) => b, add: P.add, mul: P.mul, min: P.min, max: P.max }[kind];
    return J(f(x, v));
  }
  const { indices, shape } = scatterIndices(x, spec, opts.mode === "clip");
  const upd = broadcastTo(convert(toValue(values), x.dtype, x.weakType), shape);
  const d = x.ndim;
  const dnums = new P.ScatterDimensionNumbers({ updateWindowDims: [], insertedWindowDims: range(d), scatterDimsToOperandDims: range(d) });
  const f = { set: P.scatter, add: P.scatterAdd, mul: P.scatterMul, min: P.scatterMin, max: P.scatterMax }[kind];
  if (prod(shape) === 0) return x;
  return J(f(x, indices, upd, dnums, { mode: opts.mode ?? "drop", indicesAreSorted: opts.indices_are_sorted, uniqueIndices: opts.unique_indices }));
}

/** JAX's `x.at[idx]`: functional updates returning a new array. */
export class IndexUpdateRef {
  constructor(private readonly x: JaxValue, private readonly spec: IndexSpec) {}
  set(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return scatterUpdate(this.x, this.spec, v, "set", opts); }
  add(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return scatterUpdate(this.x, this.spec, v, "add", opts); }
  multiply(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return scatterUpdate(this.x, this.spec, v, "mul", opts); }
  mul(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return this.multiply(v, opts); }
  min(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return scatterUpdate(this.x, this.spec, v, "min", opts); }
  max(v: ArrayLike, opts: UpdateOpts = {}): JaxValue { return scatterUpdate(this.x, this.spec, v, "max", opts); }
  /** x / (ones with v multiplied in at idx), as JAX computes it. */
  divide(v: ArrayLike, opts: UpdateOpts = {}): JaxValue {
    const ones = J(P.broadcastInDim(typedScalar(1, this.x.dtype, this.x.weakType), this.x.shape, []));
    return J(P.div(this.x, scatterUpdate(ones, this.spec, v, "mul", opts)));
  }
  /** x ** (ones with v multiplied in at idx). */
  power(v: ArrayLike, opts: UpdateOpts = {}): JaxValue {
    const ones = J(P.broadcastInDim(typedScalar(1, this.x.dtype, this.x.weakType), this.x.shape, []));
    return J(P.pow(this.x, scatterUpdate(ones, this.spec, v, "mul", opts)));
  }
  get(opts: { mode?: GatherMode | null; fill_value?: number | null } = {}): JaxValue {
    return getitem(this.x, this.spec, opts);
  }
}
type UpdateOpts = { mode?: string | null; indices_are_sorted?: boolean; unique_indices?: boolean };

// ---- take, take_along_axis ---------------------------------------------------------------------------

/** `jnp.take(a, indices, axis=None, mode=None, fill_value=None)`: out-of-bounds indices fill by default (JAX). */
export function take(a: ArrayLike, indices: ArrayLike, opts: { axis?: number | null; mode?: GatherMode | null; fill_value?: number | null } = {}): JaxValue {
  let x = asarray(a);
  if (opts.axis == null) x = J(P.reshape(x, [x.size]));
  const axis = opts.axis == null ? 0 : opts.axis < 0 ? opts.axis + x.ndim : opts.axis;
  if (axis < 0 || axis >= x.ndim) throw new ValueError(`axis ${opts.axis} is out of bounds for array of dimension ${x.ndim}`);
  const idx = asarray(indices);
  if (!isInt(idx.dtype)) throw new TypeError(`take: indices must be integers, got ${idx.dtype}`);
  const spec: IndexEntry[] = [...range(axis).map(() => slice()), idx];
  return getitem(x, spec, { mode: opts.mode ?? "fill", fill_value: opts.fill_value });
}

/** `jnp.take_along_axis(arr, indices, axis)`: indices broadcast against arr except along `axis`. */
export function takeAlongAxis(arr: ArrayLike, indices: ArrayLike, axis: number | null, opts: { mode?: GatherMode | null; fill_value?: number | null } = {}): JaxValue {
  let x = asarray(arr);
  let idx = asarray(indices);
  if (axis === null) {
    x = J(P.reshape(x, [x.size]));
    idx = J(P.reshape(idx, [idx.size]));
  }
  const ax = axis === null ? 0 : axis < 0 ? axis + x.ndim : axis;
  if (idx.ndim !== x.ndim) throw new ValueError(`indices and arr must have the same number of dimensions; ${idx.ndim} vs. ${x.ndim}`);
  if (ax < 0 || ax >= x.ndim) throw new ValueError(`axis ${axis} is out of bounds for array of dimension ${x.ndim}`);
  const bshape = x.shape.map((d, i) => (i === ax ? idx.shape[i] : broadcastShapes([d], [idx.shape[i]])[0]));
  const spec: IndexEntry[] = x.shape.map((_, i) => {
    if (i === ax) return J(broadcastTo(idx, bshape));
    const io = P.iota(defaultInt(), bshape, i);
    return J(io);
  });
  const xb = J(broadcastTo(x, bshape.map((d, i) => (i === ax ? x.shape[i] : d))));
  return getitem(xb, spec, { mode: opts.mode ?? "fill", fill_value: opts.fill_value });
}
