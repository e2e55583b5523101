/**
 * @file scatter, scatter-add, scatter-sub, scatter-mul, scatter-min, scatter-max: XLA's Scatter with
 * JAX's `ScatterDimensionNumbers` and out-of-bounds modes (clip clamps each window into range;
 * fill/drop and promise_in_bounds drop windows that do not fit, as XLA does). Lowered to host
 * code: updates are applied one window at a time, in order.
 */

import { type Params, type Value, TypedScalar, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isInt, isFloat, SHORT_NAME } from "../ir/dtype.js";
import { ShapedArray, prod, stridesOf, shapeStr } from "../ir/shape.js";
import { type BDim, type HostArray, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { bdimAtFront, instantiate, tangentAval, zerosLikeAval } from "./helpers.js";
import { broadcastInDim, iota, reshape } from "./structural.js";
import { GatherDimensionNumbers, GatherScatterMode, dimChecks, gather, windowDims } from "./gather.js";
import { multiplier, nanMax, nanMin, readHost, rounder, writeHost } from "./host.js";
import { NotImplementedError, ValueError } from "./errors.js";
import { shardScatter } from "./shard.js";

const tup = (xs: readonly number[]): string => shapeStr(xs);

/** JAX's ScatterDimensionNumbers; prints as the Python NamedTuple does. */
export class ScatterDimensionNumbers {
  readonly updateWindowDims: readonly number[];
  readonly insertedWindowDims: readonly number[];
  readonly scatterDimsToOperandDims: readonly number[];
  readonly operandBatchingDims: readonly number[];
  readonly scatterIndicesBatchingDims: readonly number[];
  constructor(d: {
    updateWindowDims: readonly number[]; insertedWindowDims: readonly number[]; scatterDimsToOperandDims: readonly number[];
    operandBatchingDims?: readonly number[]; scatterIndicesBatchingDims?: readonly number[];
  }) {
    this.updateWindowDims = [...d.updateWindowDims];
    this.insertedWindowDims = [...d.insertedWindowDims];
    this.scatterDimsToOperandDims = [...d.scatterDimsToOperandDims];
    this.operandBatchingDims = [...(d.operandBatchingDims ?? [])];
    this.scatterIndicesBatchingDims = [...(d.scatterIndicesBatchingDims ?? [])];
  }
  toString(): string {
    return `ScatterDimensionNumbers(update_window_dims=${tup(this.updateWindowDims)}, inserted_window_dims=${tup(this.insertedWindowDims)}, ` +
      `scatter_dims_to_operand_dims=${tup(this.scatterDimsToOperandDims)}, operand_batching_dims=${tup(this.operandBatchingDims)}, ` +
      `scatter_indices_batching_dims=${tup(this.scatterIndicesBatchingDims)})`;
  }
  /** The gather that reads back what this scatter writes (for transposes and JVPs). */
  inverseGather(): GatherDimensionNumbers {
    return new GatherDimensionNumbers({
      offsetDims: this.updateWindowDims, collapsedSliceDims: this.insertedWindowDims, startIndexMap: this.scatterDimsToOperandDims,
      operandBatchingDims: this.operandBatchingDims, startIndicesBatchingDims: this.scatterIndicesBatchingDims,
    });
  }
  /** The window size along each operand dimension, for updates of `updatesShape`. */
  sliceSizes(operandRank: number, updatesShape: readonly number[]): number[] {
    let pos = 0;
    return [...Array(operandRank).keys()].map((i) =>
      this.insertedWindowDims.includes(i) || this.operandBatchingDims.includes(i) ? 1 : updatesShape[this.updateWindowDims[pos++]]);
  }
}

/** The combining computation of a scatter (JAX's `update_jaxpr`), printed as JAX prints that jaxpr. */
export class ReductionJaxpr {
  constructor(readonly op: string, readonly dtype: DType) {}
  toString(): string {
    const t = `${SHORT_NAME[this.dtype]}[]`;
    return `{ lambda ; a:${t} b:${t}. let c:${t} = ${this.op} a b in (c,) }`;
  }
}

export interface ScatterOptions {
  indicesAreSorted?: boolean;
  uniqueIndices?: boolean;
  mode?: GatherScatterMode | string | null;
}

/** The scatter primitives and the elementwise op each combines with (null: replace). */
const COMBINE: Record<string, string | null> = {
  "scatter": null, "scatter-add": "add", "scatter-sub": "sub", "scatter-mul": "mul", "scatter-min": "min", "scatter-max": "max",
};

function scatterParams(prim: string, dtype: DType, dnums: ScatterDimensionNumbers, opts: ScatterOptions): Params {
  const op = COMBINE[prim];
  return {
    dimension_numbers: dnums, indices_are_sorted: opts.indicesAreSorted ?? false, mode: GatherScatterMode.fromAny(opts.mode),
    unique_indices: opts.uniqueIndices ?? false, update_consts: [], update_jaxpr: op ? new ReductionJaxpr(op, dtype) : null,
  };
}

function scatterFn(prim: string) {
  return (operand: Value, indices: Value, updates: Value, dnums: ScatterDimensionNumbers, opts: ScatterOptions = {}): Value =>
    bind1(prim, [operand, indices, updates], scatterParams(prim, getAval(operand).dtype, dnums, opts));
}

/** `lax.scatter`: updates replace operand windows (overlapping updates: one of them wins). */
export const scatter = scatterFn("scatter");
/** `lax.scatter_add`. */
export const scatterAdd = scatterFn("scatter-add");
/** `lax.scatter_sub`. */
export const scatterSub = scatterFn("scatter-sub");
/** `lax.scatter_mul`. */
export const scatterMul = scatterFn("scatter-mul");
/** `lax.scatter_min`. */
export const scatterMin = scatterFn("scatter-min");
/** `lax.scatter_max`. */
export const scatterMax = scatterFn("scatter-max");

// ---- shape rule (XLA's ValidateScatterDimensions, with JAX's messages) ----------------------------

function scatterShape(operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, p: Params): ShapedArray {
  const dn = p.dimension_numbers as ScatterDimensionNumbers;
  const { isSorted, noDuplicates, inRange, disjoint } = dimChecks;
  if (!isInt(indices.dtype)) throw new ValueError("indices must have an integer type");
  if (operand.dtype !== updates.dtype) throw new TypeError(`scatter requires arguments to have the same dtypes, got ${operand.dtype}, ${updates.dtype}.`);
  if (indices.ndim < 1) throw new TypeError(`Scatter index leaf dimension must be within [0, rank(indices) + 1). rank(indices) is ${indices.ndim} and scatter index leaf dimension is -1.`);
  const ivd = indices.ndim - 1;
  const expectedRank = indices.ndim - 1 + dn.updateWindowDims.length;
  if (updates.ndim !== expectedRank) throw new TypeError(`Updates tensor must be of rank ${expectedRank}; got ${updates.ndim}.`);
  isSorted(dn.updateWindowDims, "update_window_dims", "scatter");
  noDuplicates(dn.updateWindowDims, "update_window_dims", "scatter");
  inRange(dn.updateWindowDims, updates.ndim, "update_window_dims", "scatter");
  isSorted(dn.insertedWindowDims, "inserted_window_dims", "scatter");
  noDuplicates(dn.insertedWindowDims, "inserted_window_dims", "scatter");
  inRange(dn.insertedWindowDims, operand.ndim, "inserted_window_dims", "scatter");
  isSorted(dn.operandBatchingDims, "operand_batching_dims", "scatter");
  noDuplicates(dn.operandBatchingDims, "operand_batching_dims", "scatter");
  inRange(dn.operandBatchingDims, operand.ndim, "operand_batching_dims", "scatter");
  disjoint(dn.insertedWindowDims, dn.operandBatchingDims, "inserted_window_dims", "operand_batching_dims", "scatter");
  disjoint(dn.scatterDimsToOperandDims, dn.operandBatchingDims, "scatter_dims_to_operand_dims", "operand_batching_dims", "scatter");
  noDuplicates(dn.scatterIndicesBatchingDims, "scatter_indices_batching_dims", "scatter");
  inRange(dn.scatterIndicesBatchingDims, indices.ndim, "scatter_indices_batching_dims", "scatter");
  if (dn.scatterIndicesBatchingDims.includes(ivd)) {
    throw new TypeError(`Scatter op cannot have the index vector dimension as a batching dimension; got ${tup(dn.scatterIndicesBatchingDims)}.`);
  }
  if (dn.operandBatchingDims.length !== dn.scatterIndicesBatchingDims.length) {
    throw new TypeError(`Scatter op requires equal numbers of operand_batching_dims and scatter_indices_batching_dims, got ${tup(dn.operandBatchingDims)} and ${tup(dn.scatterIndicesBatchingDims)}.`);
  }
  const ob = dn.operandBatchingDims.map((d) => operand.shape[d]);
  const ib = dn.scatterIndicesBatchingDims.map((d) => indices.shape[d]);
  if (ob.some((d, i) => d !== ib[i])) {
    throw new TypeError(`Scatter op requires operand batching dimensions and indices batching dimensions to have the same shape, got ${tup(ob)} and ${tup(ib)}.`);
  }
  const windowSize = dn.updateWindowDims.length + dn.insertedWindowDims.length + dn.operandBatchingDims.length;
  if (operand.ndim !== windowSize) throw new TypeError(`Scatter op has window of size ${windowSize}; doesn't match operand of rank ${operand.ndim}.`);
  if (dn.scatterDimsToOperandDims.length !== indices.shape[ivd]) {
    throw new TypeError(`Scatter op has ${dn.scatterDimsToOperandDims.length} elements in scatter_dims_to_operand_dims and the bound of dimension index_vector_dim=${ivd} of indices is ${indices.shape[ivd]}. These two numbers must be equal`);
  }
  dn.scatterDimsToOperandDims.forEach((d, i) => {
    if (d < 0 || d >= operand.ndim) throw new TypeError(`Invalid scatter_dims_to_operand_dims mapping; domain is [0, ${operand.ndim}), got: ${i}->${d}.`);
  });
  noDuplicates(dn.scatterDimsToOperandDims, "scatter_dims_to_operand_dims", "scatter");
  const maxSizes = windowDims(operand.ndim, dn.insertedWindowDims, dn.operandBatchingDims).map((d) => operand.shape[d]);
  dn.updateWindowDims.forEach((u, i) => {
    if (maxSizes[i] < updates.shape[u]) {
      throw new TypeError(`Bounds of the window dimensions of updates must not exceed the bounds of the corresponding dimensions of operand. For dimension ${u}, updates bound is ${updates.shape[u]}, operand bound is ${maxSizes[i]}.`);
    }
  });
  const scatterDims = [...Array(updates.ndim).keys()].filter((d) => !dn.updateWindowDims.includes(d));
  scatterDims.forEach((u, k) => {
    if (updates.shape[u] !== indices.shape[k]) {
      throw new TypeError(`Bounds of the scatter dimensions of updates must be the same as the bounds of the corresponding dimensions of scatter indices. For scatter dimension ${u}, updates bound is ${updates.shape[u]}, indices bound is ${indices.shape[k]}.`);
    }
  });
  return new ShapedArray(operand.shape, operand.dtype, operand.weakType);
}

// ---- the host implementation ----------------------------------------------------------------

function combiner(op: string | null, dtype: DType): (a: number, u: number) => number {
  const r = rounder(dtype);
  const bool = dtype === "bool";
  switch (op) {
    case null: return (_a, u) => u;
    case "add": return bool ? (a, u) => a | u : (a, u) => r(a + u);
    case "sub": return (a, u) => r(a - u);
    case "mul": return multiplier(dtype);
    case "min": return isFloat(dtype) ? nanMin : Math.min;
    case "max": return isFloat(dtype) ? nanMax : Math.max;
    default: throw new Error(`unknown scatter combiner ${op}`);
  }
}

/** Applies every update window in order; windows whose start is out of range are clamped (clip) or dropped. */
function runScatter(prim: string, [op, ind, upd]: HostArray[], p: Params): HostArray[] {
  const dn = p.dimension_numbers as ScatterDimensionNumbers;
  const clip = p.mode === GatherScatterMode.CLIP;
  const combine = combiner(COMBINE[prim], op.dtype);
  const out = readHost(op);
  const iv = readHost(ind);
  const uv = readHost(upd);
  const opStrides = stridesOf(op.shape);
  const updStrides = stridesOf(upd.shape);
  const rank = op.shape.length;
  const sizes = dn.sliceSizes(rank, upd.shape);
  const winOperand = windowDims(rank, dn.insertedWindowDims, dn.operandBatchingDims);
  const winShape = dn.updateWindowDims.map((u) => upd.shape[u]);
  const nWin = prod(winShape);
  const scatterDims = [...Array(upd.shape.length).keys()].filter((d) => !dn.updateWindowDims.includes(d));
  const batchShape = ind.shape.slice(0, -1);
  const K = ind.shape[ind.shape.length - 1];
  const nG = prod(batchShape);
  const bStrides = stridesOf(batchShape);
  const g = new Array<number>(batchShape.length).fill(0);
  const start = new Array<number>(rank).fill(0);
  const w = new Array<number>(winShape.length).fill(0);
  for (let gi = 0; gi < nG; gi++) {
    for (let j = 0; j < batchShape.length; j++) g[j] = Math.floor(gi / bStrides[j]) % batchShape[j];
    start.fill(0);
    let inBounds = true;
    dn.scatterDimsToOperandDims.forEach((d, k) => {
      let s = iv[gi * K + k];
      const hi = op.shape[d] - sizes[d];
      if (clip) s = Math.max(0, Math.min(s, hi));
      else if (!(s >= 0 && s <= hi)) inBounds = false;
      start[d] = s;
    });
    if (!inBounds) continue;
    dn.operandBatchingDims.forEach((d, i) => (start[d] = g[dn.scatterIndicesBatchingDims[i]]));
    let opBase = 0;
    for (let d = 0; d < rank; d++) opBase += start[d] * opStrides[d];
    let updBase = 0;
    scatterDims.forEach((u, j) => (updBase += g[j] * updStrides[u]));
    w.fill(0);
    for (let wi = 0; wi < nWin; wi++) {
      let o = opBase, u = updBase;
      for (let j = 0; j < w.length; j++) {
        o += w[j] * opStrides[winOperand[j]];
        u += w[j] * updStrides[dn.updateWindowDims[j]];
      }
      out[o] = combine(out[o], uv[u]);
      for (let j = w.length - 1; j >= 0; j--) {
        if (++w[j] < winShape[j]) break;
        w[j] = 0;
      }
    }
  }
  return [{ data: writeHost(out, op.dtype), shape: op.shape, dtype: op.dtype }];
}

// ---- rules -----------------------------------------------------------------------------------

const isUndef = (x: unknown): x is UndefinedPrimal => x instanceof UndefinedPrimal;
const avalOf = (x: Value | UndefinedPrimal): ShapedArray => (isUndef(x) ? x.aval : getAval(x));
const full = (shape: readonly number[], v: number, dtype: DType): Value => broadcastInDim(new TypedScalar(v, dtype, false), shape, []);

/** The gather reading the windows a scatter writes, with out-of-bounds windows read as 0. */
function inverseGather(x: Value, indices: Value, updatesShape: readonly number[], p: Params): Value {
  const dn = p.dimension_numbers as ScatterDimensionNumbers;
  return gather(x, indices, dn.inverseGather(), dn.sliceSizes(getAval(x).ndim, updatesShape), { mode: p.mode as GatherScatterMode, fillValue: 0 });
}

/** Plain gather of the scattered windows (JAX's JVP rules use the default mode here). */
const gatherWindows = (x: Value, indices: Value, updatesShape: readonly number[], dn: ScatterDimensionNumbers): Value =>
  gather(x, indices, dn.inverseGather(), dn.sliceSizes(getAval(x).ndim, updatesShape));

/** JAX's _scatter_batching_rule; also used by dynamic_update_slice. */
export function scatterBatch(prim: string, [operand, indices, updates]: Value[], [od, id, ud]: BDim[], p: Params, size: number): [Value[], BDim[]] {
  const dn = p.dimension_numbers as ScatterDimensionNumbers;
  if (od === null && id === null && ud === null) return [[bind1(prim, [operand, indices, updates], p)], [null]];
  const inc = (xs: readonly number[]) => xs.map((d) => d + 1);
  const x = bdimAtFront(operand, od, size);
  const u = bdimAtFront(updates, ud, size);
  if (id === null) {
    const dnums = new ScatterDimensionNumbers({
      updateWindowDims: [0, ...inc(dn.updateWindowDims)], insertedWindowDims: inc(dn.insertedWindowDims),
      scatterDimsToOperandDims: inc(dn.scatterDimsToOperandDims), operandBatchingDims: inc(dn.operandBatchingDims),
      scatterIndicesBatchingDims: dn.scatterIndicesBatchingDims,
    });
    return [[bind1(prim, [x, indices, u], { ...p, dimension_numbers: dnums })], [0]];
  }
  const ind = bdimAtFront(indices, id, size);
  const dnums = new ScatterDimensionNumbers({
    updateWindowDims: inc(dn.updateWindowDims), insertedWindowDims: inc(dn.insertedWindowDims),
    scatterDimsToOperandDims: inc(dn.scatterDimsToOperandDims), operandBatchingDims: [0, ...inc(dn.operandBatchingDims)],
    scatterIndicesBatchingDims: [0, ...inc(dn.scatterIndicesBatchingDims)],
  });
  return [[bind1(prim, [x, ind, u], { ...p, dimension_numbers: dnums })], [0]];
}

const zeroCts = (args: (Value | UndefinedPrimal)[]): (MaybeZero | null)[] => args.map((a, i) => (i !== 1 && isUndef(a) ? new Zero(a.aval) : null));

function defineScatter(prim: string, jvp: (primals: Value[], tangents: MaybeZero[], p: Params) => [Value[], MaybeZero[]], transpose: Parameters<typeof definePrimitive>[1]["transpose"]): void {
  definePrimitive(prim, {
    abstractEval: ([o, i, u], p) => [scatterShape(o, i, u, p)],
    jvp,
    transpose,
    batch: (args, dims, p, size) => scatterBatch(prim, args, dims, p, size),
    shard: shardScatter,
    lower: { kind: "host", run: (ins, p) => runScatter(prim, ins, p) },
  });
}

/** scatter-add and scatter-sub are linear in the operand and the updates together. */
function addSubJvp(prim: string) {
  return ([x, i, u]: Value[], [tx, , tu]: MaybeZero[], p: Params): [Value[], MaybeZero[]] => {
    const out = bind1(prim, [x, i, u], p);
    if (tx instanceof Zero && tu instanceof Zero) return [[out], [new Zero(tangentAval(getAval(out)))]];
    return [[out], [bind1(prim, [instantiate(tx), i, instantiate(tu)], p)]];
  };
}

// Operand: the cotangent itself. Updates: the cotangent gathered from their windows (negated for sub).
for (const prim of ["scatter-add", "scatter-sub"]) {
  defineScatter(prim, addSubJvp(prim), ([ct], args, p) => {
    const [x, i, u] = args;
    if (ct instanceof Zero) return zeroCts(args);
    let tu: Value | null = null;
    if (isUndef(u)) {
      tu = inverseGather(ct, i as Value, u.aval.shape, p);
      if (prim === "scatter-sub") tu = bind1("neg", [tu]);
    }
    return [isUndef(x) ? ct : null, null, tu];
  });
}

// d scatter_mul(x, i, y) = scatter_mul(dx, i, y) + x · scatter_add(0, i, dy)   (unique indices only for dy)
defineScatter("scatter-mul", ([x, i, u], [tx, , tu], p) => {
  const out = bind1("scatter-mul", [x, i, u], p);
  let t: MaybeZero = new Zero(tangentAval(getAval(out)));
  if (!(tx instanceof Zero)) t = bind1("scatter-mul", [tx, i, u], p);
  if (!(tu instanceof Zero)) {
    if (!p.unique_indices) throw new NotImplementedError("scatter_mul gradients are only implemented if `unique_indices=True`");
    const zeros = zerosLikeAval(getAval(x).strongType());
    const dy = bind1("mul", [x, bind1("scatter-add", [zeros, i, tu], { ...p, update_jaxpr: new ReductionJaxpr("add", getAval(x).dtype) })]);
    t = t instanceof Zero ? dy : bind1("add_any", [t, dy]);
  }
  return [[out], [t]];
}, ([ct], args, p) => {
  const [x, i, u] = args;
  if (ct instanceof Zero) return zeroCts(args);
  const tx = isUndef(x) ? bind1("scatter-mul", [ct, i as Value, u as Value], p) : null;
  let tu: Value | null = null;
  if (isUndef(u)) {
    if (!p.unique_indices) throw new NotImplementedError("scatter_mul gradients are only implemented if `unique_indices=True`");
    tu = inverseGather(bind1("mul", [ct, x as Value]), i as Value, u.aval.shape, p);
  }
  return [tx, null, tu];
});

/**
 * JAX's _scatter_extremal_jvp: where several values contend for a location (updates and/or the
 * original operand value), the tangent is the average of their tangents.
 */
function extremalJvp(prim: string) {
  return ([x, i, u]: Value[], [tx, , tu]: MaybeZero[], p: Params): [Value[], MaybeZero[]] => {
    const out = bind1(prim, [x, i, u], p);
    if (tx instanceof Zero && tu instanceof Zero) return [[out], [new Zero(tangentAval(getAval(out)))]];
    const gx = instantiate(tx), gu = instantiate(tu);
    const dn = p.dimension_numbers as ScatterDimensionNumbers;
    const us = getAval(u).shape;
    const xs = getAval(x);
    const dtype = xs.dtype;
    const addParams = { ...p, update_jaxpr: new ReductionJaxpr("add", dtype) };
    const plainAdd = { ...addParams, indices_are_sorted: false, unique_indices: false, mode: GatherScatterMode.FILL_OR_DROP };
    const initial = gatherWindows(x, i, us, dn);
    const target = gatherWindows(out, i, us, dn);
    const successful = bind1("eq", [u, target]);
    const retained = bind1("eq", [initial, target]);
    const zerosX = full(xs.shape, 0, dtype), onesU = full(us, 1, dtype), zerosU = full(us, 0, dtype);
    const numUpdates = gatherWindows(bind1("scatter-add", [zerosX, i, bind1("select_n", [successful, zerosU, onesU])], plainAdd), i, us, dn);
    const numRefs = gatherWindows(bind1("scatter-add", [zerosX, i, onesU], plainAdd), i, us, dn);
    const recip = (v: Value) => bind1("div", [full(us, 1, dtype), v]);
    const plusOne = bind1("add", [numUpdates, onesU]);
    const updatesNormalizer = bind1("select_n", [retained, recip(numUpdates), recip(plusOne)]);
    const updatesCoef = bind1("select_n", [successful, zerosU, updatesNormalizer]);
    const operandNormalizer = bind1("select_n", [retained, zerosU, recip(plusOne)]);
    const operandCoef = bind1("div", [bind1("add", [full(us, -1, dtype), operandNormalizer]), numRefs]);
    const targetTangents = gatherWindows(gx, i, us, dn);
    const tangentUpdates = bind1("add", [bind1("mul", [targetTangents, operandCoef]), bind1("mul", [gu, updatesCoef])]);
    return [[out], [bind1("scatter-add", [gx, i, tangentUpdates], addParams)]];
  };
}
defineScatter("scatter-min", extremalJvp("scatter-min"), null);
defineScatter("scatter-max", extremalJvp("scatter-max"), null);

/**
 * JAX's _scatter_jvp: with possibly overlapping indices, tag each update with an id, scatter the
 * ids, and keep only the primal and tangent values whose id won; then scatter-add them.
 */
defineScatter("scatter", ([x, i, u], [tx, , tu], p) => {
  if (tx instanceof Zero && tu instanceof Zero) {
    const out = bind1("scatter", [x, i, u], p);
    return [[out], [new Zero(tangentAval(getAval(out)))]];
  }
  const gx = instantiate(tx), gu = instantiate(tu);
  if (p.unique_indices) return [[bind1("scatter", [x, i, u], p)], [bind1("scatter", [gx, i, gu], p)]];
  const dn = p.dimension_numbers as ScatterDimensionNumbers;
  const us = getAval(u).shape;
  const xs = getAval(x);
  const idsShape = us.map((d, k) => (dn.updateWindowDims.includes(k) ? 1 : d));
  const numIds = prod(idsShape);
  const idDtype: DType = "int32";
  const updateIds = broadcastInDim(bind1("add", [reshape(iota(idDtype, numIds), idsShape), new TypedScalar(1, idDtype, false)]), us, us.map((_, k) => k));
  const scatteredIds = bind1("scatter", [full(xs.shape, 0, idDtype), i, updateIds], p);
  const gatheredIds = gatherWindows(scatteredIds, i, us, dn);
  const untouched = bind1("eq", [scatteredIds, full(xs.shape, 0, idDtype)]);
  const won = bind1("eq", [updateIds, gatheredIds]);
  const mask = (c: Value, v: Value, shape: readonly number[]) => bind1("select_n", [c, full(shape, 0, getAval(v).dtype), v]);
  const addParams = { ...p, update_jaxpr: new ReductionJaxpr("add", xs.dtype) };
  const out = bind1("scatter-add", [mask(untouched, x, xs.shape), i, mask(won, u, us)], addParams);
  const tout = bind1("scatter-add", [mask(untouched, gx, xs.shape), i, mask(won, gu, us)], addParams);
  return [[out], [tout]];
}, ([ct], args, p) => {
  const [x, i, u] = args;
  if (!p.unique_indices) throw new NotImplementedError("scatter transpose is only implemented where unique_indices=True");
  if (ct instanceof Zero) return zeroCts(args);
  const us = avalOf(u).shape;
  // Operand: the cotangent with the overwritten entries zeroed. Updates: the windows of the cotangent.
  const tx = isUndef(x) ? bind1("scatter", [ct, i as Value, full(us, 0, getAval(ct).dtype)], p) : null;
  const tu = isUndef(u) ? inverseGather(ct, i as Value, us, p) : null;
  return [tx, null, tu];
});
