/**
 * @file gather: XLA's Gather with JAX's `GatherDimensionNumbers` (offset, collapsed and batching
 * dims, start_index_map; the index vector is always the last dimension of the indices) and its
 * out-of-bounds modes (clip, fill, promise_in_bounds). Lowered as a fusible view: each output
 * element loads its start indices and then one operand element.
 */

import { type Params, type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isFloat, isInt, isSignedInt, iinfo } from "../ir/dtype.js";
import { ShapedArray, shapeStr } from "../ir/shape.js";
import { type BDim, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Exp, index, i32, view, binary, where, cast, constant } from "../codegen/exp.js";
import { bdimAtFront, moveaxis, tangentAval, zerosLikeAval } from "./helpers.js";
import { ValueError } from "./errors.js";
import { ReductionJaxpr, ScatterDimensionNumbers } from "./scatter.js";
import { shardGather } from "./shard.js";

const tup = (xs: readonly number[]): string => shapeStr(xs);

/** JAX's GatherDimensionNumbers; prints as the Python NamedTuple does. */
export class GatherDimensionNumbers {
  readonly offsetDims: readonly number[];
  readonly collapsedSliceDims: readonly number[];
  readonly startIndexMap: readonly number[];
  readonly operandBatchingDims: readonly number[];
  readonly startIndicesBatchingDims: readonly number[];
  constructor(d: {
    offsetDims: readonly number[]; collapsedSliceDims: readonly number[]; startIndexMap: readonly number[];
    operandBatchingDims?: readonly number[]; startIndicesBatchingDims?: readonly number[];
  }) {
    this.offsetDims = [...d.offsetDims];
    this.collapsedSliceDims = [...d.collapsedSliceDims];
    this.startIndexMap = [...d.startIndexMap];
    this.operandBatchingDims = [...(d.operandBatchingDims ?? [])];
    this.startIndicesBatchingDims = [...(d.startIndicesBatchingDims ?? [])];
  }
  toString(): string {
    return `GatherDimensionNumbers(offset_dims=${tup(this.offsetDims)}, collapsed_slice_dims=${tup(this.collapsedSliceDims)}, ` +
      `start_index_map=${tup(this.startIndexMap)}, operand_batching_dims=${tup(this.operandBatchingDims)}, ` +
      `start_indices_batching_dims=${tup(this.startIndicesBatchingDims)})`;
  }
}

/** How gather and scatter treat out-of-bounds indices (JAX's GatherScatterMode). */
export class GatherScatterMode {
  /** Indices are clamped so that the whole window is in bounds. */
  static readonly CLIP = new GatherScatterMode("CLIP");
  /** Gather fills out-of-bounds windows with a fill value; scatter drops them. */
  static readonly FILL_OR_DROP = new GatherScatterMode("FILL_OR_DROP");
  /** The caller promises in-bounds indices: gather clamps, scatter drops (XLA's behaviour). */
  static readonly PROMISE_IN_BOUNDS = new GatherScatterMode("PROMISE_IN_BOUNDS");
  private constructor(readonly name: string) {}
  toString(): string {
    return `GatherScatterMode.${this.name}`;
  }
  /** From a mode or its string form ("clip", "fill", "drop", "promise_in_bounds"); null means fill/drop. */
  static fromAny(s: GatherScatterMode | string | null | undefined): GatherScatterMode {
    if (s instanceof GatherScatterMode) return s;
    if (s === "clip") return GatherScatterMode.CLIP;
    if (s === null || s === undefined || s === "fill" || s === "drop") return GatherScatterMode.FILL_OR_DROP;
    if (s === "promise_in_bounds") return GatherScatterMode.PROMISE_IN_BOUNDS;
    throw new ValueError(`Unknown gather mode "${s}"`);
  }
}

/** The fill value JAX uses for out-of-bounds gathers: NaN, the most negative/positive int, True. */
export function defaultFillValue(dtype: DType): number | boolean {
  if (isFloat(dtype)) return NaN;
  if (isSignedInt(dtype)) return iinfo(dtype).min;
  if (isInt(dtype)) return iinfo(dtype).max;
  return true;
}

export interface GatherOptions {
  uniqueIndices?: boolean;
  indicesAreSorted?: boolean;
  mode?: GatherScatterMode | string | null;
  fillValue?: number | boolean | null;
}

/** `lax.gather`. */
export function gather(operand: Value, startIndices: Value, dimensionNumbers: GatherDimensionNumbers, sliceSizes: readonly number[], opts: GatherOptions = {}): Value {
  const mode = opts.mode === null || opts.mode === undefined ? GatherScatterMode.PROMISE_IN_BOUNDS : GatherScatterMode.fromAny(opts.mode);
  const fill = mode === GatherScatterMode.FILL_OR_DROP ? (opts.fillValue ?? defaultFillValue(getAval(operand).dtype)) : null;
  return bind1("gather", [operand, startIndices], {
    dimension_numbers: dimensionNumbers, fill_value: fill, indices_are_sorted: opts.indicesAreSorted ?? false,
    mode, slice_sizes: [...sliceSizes], unique_indices: opts.uniqueIndices ?? false,
  });
}

// ---- shape rule (XLA's ValidateGatherDimensions, with JAX's messages) ----------------------------

const isSorted = (dims: readonly number[], name: string, op: string): void => {
  for (let i = 1; i < dims.length; i++) if (dims[i] < dims[i - 1]) throw new TypeError(`${name} in ${op} op must be sorted; got ${tup(dims)}`);
};
const noDuplicates = (dims: readonly number[], name: string, op: string): void => {
  if (new Set(dims).size !== dims.length) throw new TypeError(`${name} in ${op} op must not repeat; got: ${tup(dims)}.`);
};
const inRange = (dims: readonly number[], rank: number, name: string, op: string): void => {
  for (const d of dims) if (d < 0 || d >= rank) throw new TypeError(`Invalid ${name} set in ${op} op; valid range is [0, ${rank}); got: ${d}.`);
};
const disjoint = (a: readonly number[], b: readonly number[], n1: string, n2: string, op: string): void => {
  if (a.some((x) => b.includes(x))) throw new TypeError(`${n1} and ${n2} in ${op} op must be disjoint; got: ${tup(a)} and ${tup(b)}.`);
};
/** The dimension checks gather and scatter share. */
export const dimChecks = { isSorted, noDuplicates, inRange, disjoint };

function gatherShape(operand: ShapedArray, indices: ShapedArray, p: Params): number[] {
  const dn = p.dimension_numbers as GatherDimensionNumbers;
  const sliceSizes = p.slice_sizes as number[];
  if (!isInt(indices.dtype)) throw new ValueError("indices must have an integer type");
  if (indices.ndim < 1) throw new TypeError(`Gather index leaf dimension must be within [0, rank(indices) + 1). rank(indices) is ${indices.ndim} and gather index leaf dimension is -1.`);
  const ivd = indices.ndim - 1;
  isSorted(dn.offsetDims, "offset_dims", "gather");
  noDuplicates(dn.offsetDims, "offset_dims", "gather");
  const outRank = dn.offsetDims.length + indices.ndim - 1;
  dn.offsetDims.forEach((d, i) => {
    if (d < 0 || d >= outRank) throw new TypeError(`Offset dimension ${i} in gather op is out of bounds; got ${d}, but should have been in [0, ${outRank})`);
  });
  if (dn.startIndexMap.length !== indices.shape[ivd]) {
    throw new TypeError(`Gather op has ${dn.startIndexMap.length} elements in start_index_map and the bound of dimension index_vector_dim=${ivd} of indices is ${indices.shape[ivd]}. These two numbers must be equal.`);
  }
  dn.startIndexMap.forEach((d, i) => {
    if (d < 0 || d >= operand.ndim) throw new TypeError(`Invalid start_index_map; domain is [0, ${operand.ndim}), got: ${i}->${d}.`);
  });
  noDuplicates(dn.startIndexMap, "start_index_map", "gather");
  isSorted(dn.collapsedSliceDims, "collapsed_slice_dims", "gather");
  inRange(dn.collapsedSliceDims, operand.ndim, "collapsed_slice_dims", "gather");
  noDuplicates(dn.collapsedSliceDims, "collapsed_slice_dims", "gather");
  noDuplicates(dn.operandBatchingDims, "operand_batching_dims", "gather");
  isSorted(dn.operandBatchingDims, "operand_batching_dims", "gather");
  inRange(dn.operandBatchingDims, operand.ndim, "operand_batching_dims", "gather");
  disjoint(dn.collapsedSliceDims, dn.operandBatchingDims, "collapsed_slice_dims", "operand_batching_dims", "gather");
  disjoint(dn.startIndexMap, dn.operandBatchingDims, "start_index_map", "operand_batching_dims", "gather");
  noDuplicates(dn.startIndicesBatchingDims, "start_indices_batching_dims", "gather");
  inRange(dn.startIndicesBatchingDims, indices.ndim, "start_indices_batching_dims", "gather");
  if (dn.startIndicesBatchingDims.includes(ivd)) {
    throw new TypeError(`Gather op cannot have the index vector dimension as a batching dimension; got ${tup(dn.startIndicesBatchingDims)}.`);
  }
  if (dn.operandBatchingDims.length !== dn.startIndicesBatchingDims.length) {
    throw new TypeError(`Gather op requires equal numbers of operand_batching_dims and start_indices_batching_dims, got ${tup(dn.operandBatchingDims)} and${tup(dn.startIndicesBatchingDims)}.`);
  }
  const ob = dn.operandBatchingDims.map((d) => operand.shape[d]);
  const ib = dn.startIndicesBatchingDims.map((d) => indices.shape[d]);
  if (ob.some((d, i) => d !== ib[i])) {
    throw new TypeError(`Gather op requires operand batching dimensions and indices batching dimensions to have the same shape, got ${tup(ob)} and ${tup(ib)}.`);
  }
  if (sliceSizes.length !== operand.ndim) {
    throw new TypeError(`Gather op must have one slice size for every input dimension; got: len(slice_sizes)=${sliceSizes.length}, input_shape.rank=${operand.ndim}`);
  }
  if (sliceSizes.length !== dn.offsetDims.length + dn.collapsedSliceDims.length + dn.operandBatchingDims.length) {
    throw new TypeError(`All components of the offset index in a gather op must either be a offset dimension or explicitly collapsed/batching; got len(slice_sizes)=${sliceSizes.length}, output_slice_sizes=${tup(dn.offsetDims)}, collapsed_slice_dims=${tup(dn.collapsedSliceDims)}, operand_batching_dims=${tup(dn.operandBatchingDims)}.`);
  }
  const emptyIndices = indices.shape.some((d) => d === 0);
  sliceSizes.forEach((s, i) => {
    if (!emptyIndices && !(s >= 0 && operand.shape[i] >= s)) {
      throw new TypeError(`Slice size at index ${i} in gather op is out of range, must be within [0, ${operand.shape[i]} + 1), got ${s}.`);
    }
  });
  dn.collapsedSliceDims.forEach((d, i) => {
    if (sliceSizes[d] !== 1) throw new TypeError(`Gather op can only collapse slice dims with bound 1, but bound is ${sliceSizes[d]} for index ${d} at position ${i}.`);
  });
  dn.operandBatchingDims.forEach((d, i) => {
    if (sliceSizes[d] > 1) throw new TypeError(`Gather op can only have operand batching dims with bound 0/1, but bound is ${sliceSizes[d]} for index ${d} at position ${i}.`);
  });
  const batchShape = indices.shape.slice(0, ivd);
  const offsetSizes = sliceSizes.filter((_, i) => !dn.collapsedSliceDims.includes(i) && !dn.operandBatchingDims.includes(i));
  let bi = 0, oi = 0;
  return [...Array(outRank).keys()].map((i) => (dn.offsetDims.includes(i) ? offsetSizes[oi++] : batchShape[bi++]));
}

/** Operand dims that are windows (offset dims of the output), ascending. */
export const windowDims = (rank: number, collapsed: readonly number[], batching: readonly number[]): number[] =>
  [...Array(rank).keys()].filter((d) => !collapsed.includes(d) && !batching.includes(d));

definePrimitive("gather", {
  abstractEval: ([operand, indices], p) => [new ShapedArray(gatherShape(operand, indices, p), operand.dtype, operand.weakType)],
  // Linear in the operand; out-of-bounds tangents are filled with 0.
  jvp: ([x, idx], [t], p) => {
    const out = bind1("gather", [x, idx], p);
    if (t instanceof Zero) return [[out], [new Zero(tangentAval(getAval(out)))]];
    const fill = p.mode === GatherScatterMode.FILL_OR_DROP ? 0 : null;
    return [[out], [bind1("gather", [t, idx], { ...p, fill_value: fill })]];
  },
  // Cotangents are added back where they were gathered from.
  transpose: ([ct], [x, idx], p) => {
    const aval = (x as UndefinedPrimal).aval;
    if (ct instanceof Zero) return [new Zero(aval), null];
    const dn = p.dimension_numbers as GatherDimensionNumbers;
    const zeros = zerosLikeAval(aval.update({ dtype: getAval(ct).dtype, weakType: false }));
    return [bind1("scatter-add", [zeros, idx as Value, ct], scatterAddParams(dn, p, aval.dtype)), null];
  },
  batch: (args, dims, p, size) => gatherBatch(args, dims, p, size),
  shard: shardGather,
  lower: {
    kind: "fusible",
    rule: ([x, ind], p, [out]) => {
      const dn = p.dimension_numbers as GatherDimensionNumbers;
      const sizes = p.slice_sizes as number[];
      const fill = p.mode === GatherScatterMode.FILL_OR_DROP;
      const fillValue = p.fill_value as number | boolean | null;
      const win = windowDims(x.shape.length, dn.collapsedSliceDims, dn.operandBatchingDims);
      const batchPos = [...Array(out.shape.length).keys()].filter((i) => !dn.offsetDims.includes(i));
      return [view(out.shape, out.dtype, (o) => {
        const g = batchPos.map((i) => o.dims[i]);
        const start: Exp[] = x.shape.map(() => i32(0));
        let inBounds: Exp | null = null;
        dn.startIndexMap.forEach((d, k) => {
          const raw = cast(ind.at(index([...g, i32(k)])), "int32");
          const hi = Math.max(x.shape[d] - sizes[d], 0);
          start[d] = binary("max", binary("min", raw, i32(hi)), i32(0));
          if (fill) {
            const ok = binary("and", binary("ge", raw, i32(0)), binary("le", raw, i32(x.shape[d] - sizes[d])));
            inBounds = inBounds ? binary("and", inBounds, ok) : ok;
          }
        });
        dn.operandBatchingDims.forEach((d, i) => (start[d] = g[dn.startIndicesBatchingDims[i]]));
        win.forEach((d, j) => (start[d] = binary("add", start[d], o.dims[dn.offsetDims[j]])));
        const val = x.at(index(start));
        if (!inBounds) return val;
        const fv = fillValue ?? defaultFillValue(x.dtype);
        return where(inBounds, val, constant(typeof fv === "boolean" ? Number(fv) : fv, x.dtype));
      })];
    },
  },
});

/** Params of the scatter-add that transposes a gather. */
function scatterAddParams(dn: GatherDimensionNumbers, p: Params, dtype: DType): Params {
  return {
    dimension_numbers: new ScatterDimensionNumbers({
      updateWindowDims: dn.offsetDims, insertedWindowDims: dn.collapsedSliceDims, scatterDimsToOperandDims: dn.startIndexMap,
      operandBatchingDims: dn.operandBatchingDims, scatterIndicesBatchingDims: dn.startIndicesBatchingDims,
    }),
    indices_are_sorted: p.indices_are_sorted, mode: p.mode, unique_indices: p.unique_indices,
    update_consts: [], update_jaxpr: new ReductionJaxpr("add", dtype),
  };
}

/** JAX's _gather_batching_rule: a vmapped operand becomes a window (or batching) dim, vmapped indices a batch dim. */
export function gatherBatch([operand, indices]: Value[], [od, id]: BDim[], p: Params, size: number): [Value[], BDim[]] {
  const dn = p.dimension_numbers as GatherDimensionNumbers;
  const sizes = p.slice_sizes as number[];
  const inc = (xs: readonly number[]) => xs.map((d) => d + 1);
  if (od === null && id === null) return [[bind1("gather", [operand, indices], p)], [null]];
  if (od !== null && id === null) {
    const x = moveaxis(operand, od, 0);
    const dnums = new GatherDimensionNumbers({
      offsetDims: [0, ...inc(dn.offsetDims)], collapsedSliceDims: inc(dn.collapsedSliceDims), startIndexMap: inc(dn.startIndexMap),
      operandBatchingDims: inc(dn.operandBatchingDims), startIndicesBatchingDims: dn.startIndicesBatchingDims,
    });
    return [[bind1("gather", [x, indices], { ...p, dimension_numbers: dnums, slice_sizes: [getAval(x).shape[0], ...sizes] })], [0]];
  }
  if (od === null) {
    const ind = moveaxis(indices, id as number, 0);
    const dnums = new GatherDimensionNumbers({
      offsetDims: inc(dn.offsetDims), collapsedSliceDims: dn.collapsedSliceDims, startIndexMap: dn.startIndexMap,
      operandBatchingDims: dn.operandBatchingDims, startIndicesBatchingDims: inc(dn.startIndicesBatchingDims),
    });
    // Batched accesses into one array may no longer be sorted or unique.
    return [[bind1("gather", [operand, ind], { ...p, dimension_numbers: dnums, indices_are_sorted: false, unique_indices: false })], [0]];
  }
  const x = bdimAtFront(operand, od, size);
  const ind = bdimAtFront(indices, id, size);
  const dnums = new GatherDimensionNumbers({
    offsetDims: inc(dn.offsetDims), collapsedSliceDims: inc(dn.collapsedSliceDims), startIndexMap: inc(dn.startIndexMap),
    operandBatchingDims: [0, ...inc(dn.operandBatchingDims)], startIndicesBatchingDims: [0, ...inc(dn.startIndicesBatchingDims)],
  });
  return [[bind1("gather", [x, ind], { ...p, dimension_numbers: dnums, slice_sizes: [size === 0 ? 0 : 1, ...sizes] })], [0]];
}
