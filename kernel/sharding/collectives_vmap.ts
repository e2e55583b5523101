/**
 * @file Collectives over a vmapped axis: `vmap(f, axis_name='i')` with `lax.psum(x, 'i')` inside
 * (JAX's collective batchers). Along a vmapped axis the "devices" are the batch's elements, so a
 * collective becomes an operation over the batch dimension: psum/pmax/pmin reduce it (an unbatched
 * operand is the same for every element), all_gather moves it into place, psum_scatter reduces
 * it and splits the result, ppermute shuffles its entries (axis_index, an iota, is in its stanza).
 *
 * A collective may name the vmapped axis together with others (mesh axes of an enclosing
 * shard_map, other vmaps): the devices are then the tuples of positions along all the named axes,
 * numbered row-major in the order the names are given, as on a mesh. The rules below do the
 * vmapped axis's share over the batch dimension and bind the collective over the other names
 * (a `Split` says where the vmapped axis sits among them), which the enclosing shard_map or vmap
 * handles. (JAX's batchers raise NotImplementedError for all_gather/psum_scatter over such a mix
 * and let ppermute ignore the vmapped axis; these follow the mesh semantics instead.)
 */

import { type Value, bind1, getAval } from "../ir/core.js";
import { isBool } from "../ir/dtype.js";
import type { BDim } from "../ir/rules.js";
import { moveaxis } from "../lax/helpers.js";
import * as lax from "../lax/index.js";
import { broadcastBatch } from "../batching/trace.js";

/** `x` (batched at `d`, or unbatched) with its batch dimension of `size` at the front. */
const atFront = (x: Value, d: BDim, size: number): Value => (d === null ? broadcastBatch(x, size, 0) : moveaxis(x, d, 0));

/** psum/pmax/pmin over the batch: unbatched results. */
export function reduceBatch(op: "sum" | "max" | "min", args: readonly Value[], dims: readonly BDim[], size: number): Value[] {
  return args.map((x, i) => {
    const d = dims[i];
    if (d === null) return op === "sum" ? lax.mul(x, size) : x;
    return op === "sum" ? lax.reduceSum(x, [d]) : op === "max" ? lax.reduceMax(x, [d]) : lax.reduceMin(x, [d]);
  });
}

/** all_gather over the batch: every element gets the whole batch, stacked at `dim` (concatenated when tiled); unbatched. */
export function gatherBatch(x: Value, d: BDim, size: number, dim: number, tiled: boolean): Value {
  const stacked = moveaxis(atFront(x, d, size), 0, dim);
  if (!tiled) return stacked;
  const shape = getAval(stacked).shape;
  return lax.reshape(stacked, [...shape.slice(0, dim), shape[dim] * shape[dim + 1], ...shape.slice(dim + 2)]);
}

/**
 * psum_scatter over the batch: the sum over the batch, of which element k keeps part k along
 * `dim` (index k, or the k-th block when tiled). The parts become the batch: batched at `dim`.
 */
export function scatterBatch(x: Value, d: BDim, size: number, dim: number, tiled: boolean): [Value, BDim] {
  const [sum] = reduceBatch("sum", [x], [d], size);
  if (!tiled) return [sum, dim];
  const shape = getAval(sum).shape;
  return [lax.reshape(sum, [...shape.slice(0, dim), size, shape[dim] / size, ...shape.slice(dim + 1)]), dim];
}

/** ppermute over the batch: element `dst` gets element `src`'s value for each pair, zeros where none is sent; batched at 0. */
export function permuteBatch(x: Value, d: BDim, size: number, perm: readonly (readonly [number, number])[]): Value {
  const xs = atFront(x, d, size);
  const shape = getAval(xs).shape;
  const parts = Array.from({ length: size }, (_, k) => {
    const from = perm.find(([, dst]) => dst === k);
    if (from) return lax.sliceInDim(xs, from[0], from[0] + 1, 1, 0);
    return lax.broadcastInDim(lax.convertElementType(0, getAval(xs).dtype), [1, ...shape.slice(1)], []);
  });
  return lax.concatenate(parts, 0);
}


/**
 * Where the vmapped axis sits among the names a collective gives: the other names (`rest`, in
 * order), and how many positions the names before and after it span. A device's index along all
 * the names is then `(before · size + batch index) · after + index after`, and its index along
 * `rest` is `index before · after + index after`.
 */
export interface Split {
  readonly rest: readonly string[];
  readonly before: number;
  readonly after: number;
}

/** all_gather over the vmapped axis and `rest`: rest's blocks gathered below, the batch woven in at its place; unbatched. */
export function gatherMixed(x: Value, d: BDim, size: number, split: Split, dim: number, tiled: boolean): Value {
  const xs = atFront(x, d, size);
  const s = getAval(xs).shape.slice(1);
  const m = split.before * split.after;
  const g = bind1("all_gather", [xs], { all_gather_dimension: dim + 1, axis_name: split.rest, axis_index_groups: null, axis_size: m, tiled: false });
  // [B, s[:dim], before, after, s[dim:]] → [s[:dim], before, B, after, s[dim:]] → [s[:dim], N, s[dim:]]
  const parts = lax.reshape(g, [size, ...s.slice(0, dim), split.before, split.after, ...s.slice(dim)]);
  const woven = moveaxis(parts, 0, dim + 1);
  const n = m * size;
  return lax.reshape(woven, tiled ? [...s.slice(0, dim), n * s[dim], ...s.slice(dim + 1)] : [...s.slice(0, dim), n, ...s.slice(dim)]);
}

/**
 * psum_scatter over the vmapped axis and `rest`: the batch summed, the scattered dimension split
 * into (before, batch, after[, block]) parts, the batch part moved out in front of it (it becomes
 * the batch dimension, at `dim`) and the rest scattered below.
 */
export function scatterMixed(x: Value, d: BDim, size: number, split: Split, dim: number, tiled: boolean): [Value, BDim] {
  const [sum] = reduceBatch("sum", [x], [d], size);
  const s = getAval(sum).shape;
  const n = split.before * size * split.after;
  const block = tiled ? [s[dim] / n] : [];
  const parts = lax.reshape(sum, [...s.slice(0, dim), split.before, size, split.after, ...block, ...s.slice(dim + 1)]);
  const front = moveaxis(parts, dim + 1, dim);
  const m = split.before * split.after;
  const merged = lax.reshape(front, [...s.slice(0, dim), size, m * (tiled ? block[0] : 1), ...s.slice(dim + 1)]);
  const y = bind1("reduce_scatter", [merged], { scatter_dimension: dim + 1, axis_name: split.rest, axis_index_groups: null, axis_size: m, tiled });
  return [y, dim];
}

/**
 * ppermute over the vmapped axis and `rest`: each (source, destination) pair of devices splits
 * into a pair of batch indices and a pair of rest indices. For each pair of batch indices, the
 * source element is sent along rest by a ppermute of those rest pairs; destination element k
 * collects what it is sent (destinations are unique, so at most one part is non-zero on each
 * device; zeros where nothing is sent). Batched at 0.
 */
export function permuteMixed(x: Value, d: BDim, size: number, split: Split, perm: readonly (readonly [number, number])[]): Value {
  const xs = atFront(x, d, size);
  const decompose = (i: number): [number, number] => {
    const b = Math.floor(i / split.after) % size;
    return [b, Math.floor(i / (split.after * size)) * split.after + (i % split.after)];
  };
  const byBatch = new Map<string, [number, number, [number, number][]]>();
  for (const [src, dst] of perm) {
    const [bs, rs] = decompose(src), [bd, rd] = decompose(dst);
    const key = `${bs},${bd}`;
    if (!byBatch.has(key)) byBatch.set(key, [bs, bd, []]);
    byBatch.get(key)![2].push([rs, rd]);
  }
  const dtype = getAval(xs).dtype;
  const elem = getAval(xs).shape.slice(1);
  const combine = isBool(dtype) ? lax.bitwiseOr : lax.add;
  const parts = Array.from({ length: size }, (_, k) => {
    let acc: Value | null = null;
    for (const [bs, bd, restPerm] of byBatch.values()) {
      if (bd !== k) continue;
      const sent = bind1("ppermute", [lax.indexInDim(xs, bs, 0, false)], { axis_name: split.rest, perm: restPerm });
      acc = acc === null ? sent : combine(acc, sent);
    }
    return lax.broadcastInDim(acc ?? lax.broadcastInDim(lax.convertElementType(0, dtype), elem, []), [1, ...elem], elem.map((_, i) => i + 1));
  });
  return lax.concatenate(parts, 0);
}

