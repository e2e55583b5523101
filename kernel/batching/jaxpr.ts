/**
 * @file Batching at the jaxpr level: `vmapJaxpr` turns a closed jaxpr into the jaxpr of its
 * vmapped version (JAX's batch_jaxpr_axes), and `batchJaxpr` is the boolean form that the
 * control-flow primitives' batching rules use (batch dims at 0, JAX's batch_jaxpr).
 */

import type { Value } from "../ir/core.js";
import { type ClosedJaxpr, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { ShapedArray, canonicalAxis } from "../ir/shape.js";
import type { BDim } from "../ir/rules.js";
import { type AxisData, type OutDimSpec, batchSubtrace, currentBatchAxis, matchAxis } from "./trace.js";

/** The aval of a batched value: `aval` with an axis of `size` inserted at `dim`. */
export function unmappedAval(size: number, dim: number, aval: ShapedArray): ShapedArray {
  const shape = [...aval.shape];
  shape.splice(canonicalAxis(dim, aval.ndim + 1), 0, size);
  return aval.update({ shape });
}

/** The axis to batch along: given as a size (named like the innermost batched axis of that size, if any). */
function axisOf(axis: number | AxisData): AxisData {
  if (typeof axis !== "number") return axis;
  const cur = currentBatchAxis();
  return cur && cur.size === axis ? cur : { size: axis, name: null };
}

/**
 * The jaxpr of `closed` vmapped over inputs batched at `inDims` (null: unbatched), with outputs
 * moved to `outDimsWanted` (an axis, null for unbatched, or "zeroIfMapped"; one spec for all or one
 * per output). Returns the new closed jaxpr and the batch dim of each of its outputs.
 */
export function vmapJaxpr(
  closed: ClosedJaxpr, axisSize: number | AxisData, inDims: readonly BDim[],
  outDimsWanted: OutDimSpec | readonly OutDimSpec[] = "zeroIfMapped",
): [ClosedJaxpr, BDim[]] {
  const axis = axisOf(axisSize);
  if (inDims.length !== closed.inAvals.length) throw new TypeError(`vmapJaxpr: the jaxpr takes ${closed.inAvals.length} inputs, got ${inDims.length} batch dims`);
  const avals = closed.inAvals.map((a, i) => (inDims[i] === null ? a : unmappedAval(axis.size, inDims[i] as number, a)));
  const dims = inDims.map((d, i) => (d === null ? null : canonicalAxis(d, avals[i].ndim)));
  const wanted = Array.isArray(outDimsWanted) ? outDimsWanted : closed.outAvals.map(() => outDimsWanted as OutDimSpec);
  if (wanted.length !== closed.outAvals.length) throw new TypeError(`vmapJaxpr: the jaxpr has ${closed.outAvals.length} outputs, got ${wanted.length} wanted batch dims`);
  let outDims: BDim[] = [];
  const batched = traceToJaxpr((...args: Value[]) => {
    const [outs, srcs] = batchSubtrace((...xs) => evalJaxpr(closed.jaxpr, closed.consts, xs), axis, dims, args);
    outDims = srcs.map((s, i) => {
      const w = wanted[i];
      if (w === "zeroIfMapped") return s === null ? null : 0;
      return w === null ? null : canonicalAxis(w, closed.outAvals[i].ndim + 1);
    });
    return outs.map((o, i) => matchAxis(axis, srcs[i], wanted[i], o));
  }, avals);
  return [batched, outDims];
}

/**
 * JAX's batch_jaxpr: inputs batched at axis 0 where `inBatched`; outputs batched at axis 0 when
 * they depend on a batched input or `instantiate` forces them. Returns which outputs are batched.
 */
export function batchJaxpr(
  closed: ClosedJaxpr, axis: number | AxisData, inBatched: readonly boolean[], instantiate: boolean | readonly boolean[],
): [ClosedJaxpr, boolean[]] {
  const inst = typeof instantiate === "boolean" ? closed.outAvals.map(() => instantiate) : instantiate;
  const [j, outDims] = vmapJaxpr(closed, axis, inBatched.map((b) => (b ? 0 : null)), inst.map((b): OutDimSpec => (b ? 0 : "zeroIfMapped")));
  return [j, outDims.map((d) => d !== null)];
}
