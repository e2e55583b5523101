/**
 * @file sort: XLA's variadic Sort along one dimension, ordering lexicographically by the first
 * `num_keys` operands and carrying the rest along; floats order -inf < … < -0 = 0 < … < inf < NaN,
 * as in JAX. Host code (a stable comparison sort per line). The JVP sorts an iota alongside and
 * gathers the tangents with the resulting permutation.
 */

import { type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { ShapedArray, shapeStr, canonicalAxis } from "../ir/shape.js";
import { type HostArray, Zero } from "../ir/rules.js";
import { moveaxis, tangentAval } from "./helpers.js";
import { broadcastInDim, broadcastedIota, expandDims } from "./structural.js";
import { GatherDimensionNumbers, GatherScatterMode, gather } from "./gather.js";
import { allocHost, forEachLine, rawOut, readHost } from "./host.js";
import { ValueError } from "./errors.js";
import { shardAlong } from "./shard.js";

/** `lax.sort` of several operands: returns all of them, permuted together. */
export function sortMulti(operands: readonly Value[], dimension = -1, isStable = true, numKeys = 1): Value[] {
  if (operands.length === 0) throw new TypeError("Sort requires at least one operand");
  if (!(numKeys >= 1 && numKeys <= operands.length)) throw new ValueError(`num_keys=${numKeys} must be between 1 and len(operand)=${operands.length}`);
  const dim = canonicalAxis(dimension, getAval(operands[0]).ndim);
  return bind("sort", operands, { dimension: dim, is_stable: isStable, num_keys: numKeys });
}

/** `lax.sort` of one array. */
export const sort = (x: Value, dimension = -1, isStable = true): Value => sortMulti([x], dimension, isStable, 1)[0];

/** `lax.sort_key_val`: sorts `keys` and applies the same permutation to `values`. */
export const sortKeyVal = (keys: Value, values: Value, dimension = -1, isStable = true): [Value, Value] =>
  sortMulti([keys, values], dimension, isStable, 1) as [Value, Value];

/** Compares two keys: NaN after everything, -0 equal to 0 (64-bit integers compare exactly as bigints). */
function compareKeys(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number" && typeof b === "number") {
    if (a !== a) return b !== b ? 0 : 1;
    if (b !== b) return -1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function runSort(ins: HostArray[], dimension: number, numKeys: number): HostArray[] {
  const keys = ins.slice(0, numKeys).map((h) => (h.data instanceof BigInt64Array || h.data instanceof BigUint64Array ? h.data : readHost(h)));
  const outs = ins.map((h) => allocHost(h.dtype, h.data.length));
  const shape = ins[0].shape;
  const n = shape[dimension];
  const perm = new Array<number>(n);
  forEachLine(shape, dimension, (base, stride) => {
    for (let i = 0; i < n; i++) perm[i] = i;
    perm.sort((i, j) => {
      for (const k of keys) {
        const c = compareKeys(k[base + i * stride], k[base + j * stride]);
        if (c !== 0) return c;
      }
      return 0;
    });
    ins.forEach((h, o) => {
      const src = h.data as unknown as ArrayLike<number>;
      const dst = outs[o] as unknown as number[];
      for (let i = 0; i < n; i++) dst[base + i * stride] = src[base + perm[i] * stride];
    });
  });
  return ins.map((h, o) => ({ data: rawOut(outs[o], h.dtype), shape: h.shape, dtype: h.dtype }));
}

definePrimitive("sort", {
  abstractEval: (avals, p) => {
    if (avals.some((a) => a.shape.join() !== avals[0].shape.join())) {
      throw new TypeError(`Arguments to sort must have equal shapes, got: ${avals.map((a) => shapeStr(a.shape)).join(" ")}`);
    }
    const dim = p.dimension as number;
    if (dim < 0 || dim >= avals[0].ndim) throw new ValueError(`sort dimension ${dim} is out of bounds for operands of shape ${shapeStr(avals[0].shape)}`);
    return avals.map((a) => new ShapedArray(a.shape, a.dtype, a.weakType));
  },
  // Sort an iota along with the primals; the sorted iota is the permutation the tangents follow.
  jvp: (primals, tangents, p) => {
    const shape = getAval(primals[0]).shape;
    const dim = p.dimension as number;
    const outs = bind("sort", [...primals, broadcastedIota("uint32", shape, dim)], p);
    const perm = outs.pop()!;
    const others = shape.map((_, i) => i).filter((i) => i !== dim);
    const dnums = new GatherDimensionNumbers({
      offsetDims: [], collapsedSliceDims: [dim], startIndexMap: [dim], operandBatchingDims: others, startIndicesBatchingDims: others,
    });
    const idx = expandDims(perm, [shape.length]);
    const tOut = tangents.map((t, i) => (t instanceof Zero
      ? new Zero(tangentAval(getAval(outs[i])))
      : gather(t, idx, dnums, shape.map(() => 1), { mode: GatherScatterMode.PROMISE_IN_BOUNDS })));
    return [outs, tOut];
  },
  transpose: null,
  // Unbatched operands are broadcast to the batched shape; the sort dimension shifts past the batch dim.
  batch: (args, dims, p) => {
    const k = dims.findIndex((d) => d !== null);
    const bd = dims[k] as number;
    const proto = getAval(args[k]).shape;
    const moved = args.map((a, i) => (dims[i] === null
      ? broadcastInDim(a, proto, proto.map((_, j) => j).filter((j) => j !== bd))
      : moveaxis(a, dims[i] as number, bd)));
    const dim = p.dimension as number;
    const outs = bind("sort", moved, { ...p, dimension: dim + (bd <= dim ? 1 : 0) });
    return [outs, outs.map(() => bd)];
  },
  shard: shardAlong((p) => [p.dimension as number], "perOperand"),
  lower: { kind: "host", run: (ins, p) => runSort(ins, p.dimension as number, p.num_keys as number) },
});
