/**
 * @file Sharding rules for the primitives' stanzas (the `shard` field, see kernel/ir/rules.ts):
 * how each family runs on blocks of arrays split over mesh axes. Elementwise ops keep the layout
 * (operands follow the first split one); reductions over a split dimension give partial results
 * combined by an all-reduce; ops along some dimensions (cumulative, sort, rev) need those
 * dimensions whole; dot_general keeps batch and free dimensions split and sums partial products
 * over a split contracting dimension; shape ops map dimensions to dimensions.
 */

import type { Params } from "../ir/core.js";
import type { ArraySpec, ShardContext, ShardReduce, ShardRule } from "../ir/rules.js";
import type { ShapedArray } from "../ir/shape.js";

const none = (n: number): string[][] => Array.from({ length: n }, () => []);
const splits = (ctx: ShardContext, axes: readonly string[]): number => axes.reduce((n, a) => n * ctx.axisSize(a), 1);
/** The block shape of `shape` laid out as `dims`. */
export const localShape = (ctx: ShardContext, shape: readonly number[], dims: ArraySpec): number[] => shape.map((s, i) => s / splits(ctx, dims[i] ?? []));

/**
 * Elementwise (n-ary, broadcasting rank-0 and size-1 operands): each output dimension takes the
 * axes of the first operand splitting it (an axis used once only); operands are brought to that
 * layout, except along dimensions where they have size 1 (kept whole).
 */
export const shardElementwise: ShardRule = (specs, avals) => {
  const full = avals.filter((a) => a.ndim > 0);
  if (!full.length) return { ins: specs.map(() => []), outs: [[]] };
  const nd = full[0].ndim;
  const outShape = Array.from({ length: nd }, (_, i) => Math.max(...full.map((a) => a.shape[i])));
  const used = new Set<string>();
  const out = outShape.map((size, i) => {
    for (let k = 0; k < avals.length; k++) {
      if (avals[k].ndim === 0 || avals[k].shape[i] !== size) continue;
      const axes = specs[k][i];
      if (axes.length && axes.every((a) => !used.has(a))) {
        axes.forEach((a) => used.add(a));
        return [...axes];
      }
    }
    return [];
  });
  const ins = avals.map((a) => (a.ndim === 0 ? [] : out.map((axes, i) => (a.shape[i] === outShape[i] ? axes : []))));
  return { ins, outs: [out] };
};

/**
 * A reduction over `axes` combined with `op`: other dimensions keep their layout; split reduced
 * dimensions leave partial results per device, all-reduced over their mesh axes.
 */
export function shardReduce(op: ShardReduce["op"]): ShardRule {
  return ([spec], _avals, p) => {
    const axes = p.axes as number[];
    const out = spec.filter((_, i) => !axes.includes(i));
    const meshAxes = axes.flatMap((i) => spec[i]);
    return { ins: [spec], outs: [out], reduce: [meshAxes.length ? { axes: meshAxes, op } : null] };
  };
}

/**
 * Operations along some dimensions (given by the params): those dimensions must be whole on each
 * device; the others keep their layout, the same for every operand and output.
 */
export function shardAlong(dimsOf: (p: Params, avals: readonly ShapedArray[]) => readonly number[], outs: number | "perOperand" = 1): ShardRule {
  return (specs, avals, p) => {
    const along = new Set(dimsOf(p, avals));
    const spec = specs[0].map((axes, i) => (along.has(i) ? [] : [...axes]));
    return { ins: specs.map(() => spec), outs: Array.from({ length: outs === "perOperand" ? specs.length : outs }, () => spec) };
  };
}

/** Index reductions (argmax, argmin) along `axes`: those dimensions whole, the others kept. */
export const shardArgReduce: ShardRule = ([spec], _avals, p) => {
  const axes = p.axes as number[];
  const whole = spec.map((a, i) => (axes.includes(i) ? [] : [...a]));
  return { ins: [whole], outs: [whole.filter((_, i) => !axes.includes(i))] };
};

/** transpose: the layout permuted. */
export const shardTranspose: ShardRule = ([spec], _avals, p) => ({ ins: [spec], outs: [(p.permutation as number[]).map((i) => spec[i])] });

/** broadcast_in_dim: operand dimensions keep their axes where not broadcast from size 1; new dimensions are whole. */
export const shardBroadcastInDim: ShardRule = ([spec], [x], p, ctx) => {
  const shape = p.shape as number[];
  const bd = p.broadcast_dimensions as number[];
  const ins = spec.map((axes, i) => (x.shape[i] === shape[bd[i]] ? [...axes] : []));
  const out: string[][] = none(shape.length);
  bd.forEach((d, i) => (out[d] = ins[i]));
  return { ins: [ins], outs: [out], params: { ...p, shape: localShape(ctx, shape, out) } };
};

/**
 * reshape: a split dimension stays split when it maps onto an output dimension that starts at the
 * same flat offset and that its number of blocks also divides (then blocks are contiguous runs
 * the same way in both shapes); other split dimensions are gathered first.
 */
export const shardReshape: ShardRule = ([spec], [x], p, ctx) => {
  const shape = p.new_sizes as number[];
  const prefix = (s: readonly number[], i: number): number => s.slice(0, i).reduce((a, b) => a * b, 1);
  const ins = spec.map((axes) => [...axes]);
  const out: string[][] = none(shape.length);
  ins.forEach((axes, i) => {
    if (!axes.length) return;
    const n = splits(ctx, axes);
    const j = shape.findIndex((_, k) => prefix(shape, k) === prefix(x.shape, i) && shape[k] % n === 0);
    if (j < 0 || x.shape[i] % n !== 0 || out[j].length) ins[i] = [];
    else out[j] = axes;
  });
  return { ins: [ins], outs: [out], params: { ...p, new_sizes: localShape(ctx, shape, out) } };
};

/** squeeze: the removed (size-1) dimensions drop out of the layout. */
export const shardSqueeze: ShardRule = ([spec], _avals, p) => {
  const dims = p.dimensions as number[];
  return { ins: [spec], outs: [spec.filter((_, i) => !dims.includes(i))] };
};

/**
 * dot_general: batch dimensions split alike on both sides, free dimensions keep their axes,
 * and a contracting dimension split on the left is split alike on the right: each device then
 * holds a partial product, summed over those axes by an all-reduce.
 */
export const shardDotGeneral: ShardRule = ([ls, rs], [l, r], p) => {
  const [[lc, rc], [lb, rb]] = p.dimension_numbers as [[number[], number[]], [number[], number[]]];
  const used = new Set<string>();
  const take = (axes: readonly string[]): string[] => {
    if (!axes.length || axes.some((a) => used.has(a))) return [];
    axes.forEach((a) => used.add(a));
    return [...axes];
  };
  const lIn: string[][] = none(l.ndim), rIn: string[][] = none(r.ndim);
  lb.forEach((d, i) => {
    const axes = take(ls[d].length ? ls[d] : rs[rb[i]]);
    lIn[d] = axes;
    rIn[rb[i]] = axes;
  });
  const reduceAxes: string[] = [];
  lc.forEach((d, i) => {
    const axes = take(ls[d].length ? ls[d] : rs[rc[i]]);
    lIn[d] = axes;
    rIn[rc[i]] = axes;
    reduceAxes.push(...axes);
  });
  const lFree = [...Array(l.ndim).keys()].filter((d) => !lc.includes(d) && !lb.includes(d));
  const rFree = [...Array(r.ndim).keys()].filter((d) => !rc.includes(d) && !rb.includes(d));
  lFree.forEach((d) => (lIn[d] = take(ls[d])));
  rFree.forEach((d) => (rIn[d] = take(rs[d])));
  const out = [...lb.map((d) => lIn[d]), ...lFree.map((d) => lIn[d]), ...rFree.map((d) => rIn[d])];
  return { ins: [lIn, rIn], outs: [out], reduce: [reduceAxes.length ? { axes: reduceAxes, op: "sum" } : null] };
};

/** Primitives without operands (iota, constants): replicated. */
export const shardNullary: ShardRule = (_specs, _avals, p) => ({ ins: [], outs: [none(((p.shape as number[] | undefined) ?? []).length)] });

/**
 * slice and pad: dimensions they change (a start, limit, stride or padding) must be whole;
 * the others keep their axes, and their extent in the params becomes the block's.
 */
export const shardSlice: ShardRule = ([spec], [x], p, ctx) => {
  const start = p.start_indices as number[], limit = p.limit_indices as number[];
  const strides = (p.strides as number[] | null) ?? start.map(() => 1);
  const ins = spec.map((axes, i) => (start[i] === 0 && limit[i] === x.shape[i] && strides[i] === 1 ? [...axes] : []));
  const local = localShape(ctx, x.shape, ins);
  return { ins: [ins], outs: [ins], params: { ...p, limit_indices: limit.map((l, i) => (ins[i].length ? local[i] : l)) } };
};

export const shardPad: ShardRule = ([spec, pv], _avals, p) => {
  const config = p.padding_config as [number, number, number][];
  const ins = spec.map((axes, i) => (config[i].every((c) => c === 0) ? [...axes] : []));
  return { ins: [ins, pv.map(() => [])], outs: [ins] };
};

/** concatenate: the joined dimension whole, the others laid out alike. */
export const shardConcatenate: ShardRule = (specs, avals, p, ctx) => {
  const d = p.dimension as number;
  const r = shardElementwise(specs.map((s) => s.map((a, i) => (i === d ? [] : a))), avals.map((a) => a), p, ctx)!;
  const spec = r.outs[0].map((a, i) => (i === d ? [] : a));
  return { ins: specs.map(() => spec), outs: [spec] };
};

/**
 * dynamic_slice: a dimension sliced whole (its start clamps to 0) keeps its axes, the slice size
 * becoming the block's; the others are made whole. The start indices are scalars.
 */
export const shardDynamicSlice: ShardRule = ([spec, ...idx], [x], p, ctx) => {
  const sizes = p.slice_sizes as number[];
  const ins = spec.map((axes, i) => (sizes[i] === x.shape[i] ? [...axes] : []));
  return { ins: [ins, ...idx.map(() => [])], outs: [ins], params: { ...p, slice_sizes: localShape(ctx, sizes, ins) } };
};

/** dynamic_update_slice: dimensions the update covers whole keep the operand's axes (the update split alike); the others whole. */
export const shardDynamicUpdateSlice: ShardRule = ([xs, , ...idx], [x, u]) => {
  const ins = xs.map((axes, i) => (u.shape[i] === x.shape[i] ? [...axes] : []));
  return { ins: [ins, ins, ...idx.map(() => [])], outs: [ins] };
};

/** The operand dimensions that are windows of a gather or scatter (neither collapsed/inserted nor batching), ascending. */
const windowsOf = (rank: number, dropped: readonly number[], batching: readonly number[]): number[] =>
  [...Array(rank).keys()].filter((d) => !dropped.includes(d) && !batching.includes(d));

/**
 * gather: an operand window dimension taken whole and not indexed keeps its axes (its output
 * offset dimension split alike, the slice size the block's); the batch dimensions of the indices
 * (all but the last, the index vector) keep theirs, and so do the output dimensions they become.
 * Everything else is whole.
 */
export const shardGather: ShardRule = ([os, is], [x, ind], p, ctx) => {
  const dn = p.dimension_numbers as { offsetDims: number[]; collapsedSliceDims: number[]; startIndexMap: number[]; operandBatchingDims: number[]; startIndicesBatchingDims: number[] };
  const sizes = p.slice_sizes as number[];
  const outRank = ind.ndim - 1 + dn.offsetDims.length;
  const used = new Set<string>();
  const take = (axes: readonly string[]): string[] => {
    if (!axes.length || axes.some((a) => used.has(a))) return [];
    axes.forEach((a) => used.add(a));
    return [...axes];
  };
  const oIn: string[][] = none(x.ndim), iIn: string[][] = none(ind.ndim), out: string[][] = none(outRank);
  windowsOf(x.ndim, dn.collapsedSliceDims, dn.operandBatchingDims).forEach((d, j) => {
    if (dn.startIndexMap.includes(d) || sizes[d] !== x.shape[d]) return;
    oIn[d] = take(os[d]);
    out[dn.offsetDims[j]] = oIn[d];
  });
  const batchPos = [...Array(outRank).keys()].filter((i) => !dn.offsetDims.includes(i));
  batchPos.forEach((o, k) => {
    if (dn.startIndicesBatchingDims.includes(k)) return;
    iIn[k] = take(is[k]);
    out[o] = iIn[k];
  });
  return { ins: [oIn, iIn], outs: [out], params: { ...p, slice_sizes: localShape(ctx, sizes, oIn) } };
};

/**
 * scatter (and scatter-add, …): an operand window dimension that is not indexed and that the
 * updates cover whole keeps its axes, the updates' window dimension split alike; indices and the
 * updates' scatter dimensions are whole (each device applies every update to its block).
 */
export const shardScatter: ShardRule = ([os], [x, ind, u], p) => {
  const dn = p.dimension_numbers as { updateWindowDims: number[]; insertedWindowDims: number[]; scatterDimsToOperandDims: number[]; operandBatchingDims: number[] };
  const oIn: string[][] = none(x.ndim), uIn: string[][] = none(u.ndim);
  windowsOf(x.ndim, dn.insertedWindowDims, dn.operandBatchingDims).forEach((d, j) => {
    const w = dn.updateWindowDims[j];
    if (dn.scatterDimsToOperandDims.includes(d) || u.shape[w] !== x.shape[d]) return;
    oIn[d] = [...os[d]];
    uIn[w] = oIn[d];
  });
  return { ins: [oIn, none(ind.ndim), uIn], outs: [oIn] };
};
