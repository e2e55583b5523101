/**
 * @file Collectives over a vmapped axis: `vmap(f, axis_name='i')` with `lax.psum(x, 'i')` inside
 * (JAX's collective batchers). Along a vmapped axis the "devices" are the batch's elements, so a
 * collective becomes an operation over the batch dimension: psum/pmax/pmin reduce it (an unbatched
 * operand is the same for every element), all_gather moves it into place, psum_scatter reduces
 * it and splits the result, ppermute shuffles its entries, axis_index counts along it.
 */

import type { Value } from "../ir/core.js";
import { getAval } from "../ir/core.js";
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

/** axis_index along the batch: 0, 1, …, size-1, batched at 0. */
export const indexBatch = (size: number): Value => lax.iota("int32", size);
