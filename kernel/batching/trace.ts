/**
 * @file The batching interpreter (Autodidax's BatchTrace): a `BatchTracer` boxes a value with
 * one extra axis (its batch dim) and the trace applies each primitive's `batch` rule. Also the
 * axis environment (named vmapped axes, for collectives) and `matchAxis`, which moves or
 * broadcasts a batched value to a wanted batch dim.
 */

import {
  type Params, type Value, MainTrace, Trace, Tracer, bind, fullLower, getAval, installAxisTrace, newMain, rulesOf,
} from "../ir/core.js";
import { ShapedArray, canonicalAxis } from "../ir/shape.js";
import type { BDim } from "../ir/rules.js";
import { moveaxis } from "../lax/helpers.js";

/** What a vmapped axis is: its size and (optionally) its name, for collectives. */
export interface AxisData {
  readonly size: number;
  readonly name: string | null;
}

export class BatchTracer extends Tracer {
  constructor(readonly trace: BatchTrace, readonly val: Value, readonly batchDim: BDim) {
    super();
  }
  /** The aval of one element of the batch: the value's aval without the batch dim. */
  get aval(): ShapedArray {
    const a = getAval(this.val);
    if (this.batchDim === null) return a;
    return a.update({ shape: a.shape.filter((_, i) => i !== this.batchDim) });
  }
  override fullLower(): Value {
    return this.batchDim === null ? fullLower(this.val) : this;
  }
}

// The axes being batched, innermost last, while a batching rule or a vmapped function runs.
const axisStack: AxisData[] = [];

/** The innermost batched axis whose rule is running (collectives' batching rules read its name). */
export function currentBatchAxis(): AxisData | undefined {
  return axisStack[axisStack.length - 1];
}

/** The vmapped axis with this name, innermost first (undefined when no enclosing vmap has it). */
export function lookupAxis(name: string): AxisData | undefined {
  for (let i = axisStack.length - 1; i >= 0; i--) if (axisStack[i].name === name) return axisStack[i];
  return undefined;
}

// The main trace of each vmapped axis, and the primitives over named axes (collectives) with the
// axis names their params give: such a primitive naming a vmapped axis is bound at least at that
// vmap's level and reaches its batching rule even when nothing is batched.
const mainOfAxis = new WeakMap<AxisData, MainTrace>();
const axisPrimitives = new Map<string, (p: Params) => readonly string[]>();

/** Declares `prim` a primitive over the named axes `axesOf(params)` (see installAxisTrace in kernel/ir/core.ts). */
export function defineAxisPrimitive(prim: string, axesOf: (p: Params) => readonly string[]): void {
  axisPrimitives.set(prim, axesOf);
}

const namesAxis = (prim: string, params: Params, name: string | null): boolean =>
  name !== null && (axisPrimitives.get(prim)?.(params).includes(name) ?? false);

installAxisTrace((prim, params) => {
  const axesOf = axisPrimitives.get(prim);
  let top: MainTrace | null = null;
  for (const name of axesOf?.(params) ?? []) {
    const axis = lookupAxis(name);
    const main = axis && mainOfAxis.get(axis);
    if (main && (!top || main.level > top.level)) top = main;
  }
  return top;
});

/** Runs `fn` with `axis` as the innermost batched axis. */
export function withAxis<R>(axis: AxisData, fn: () => R): R {
  axisStack.push(axis);
  try {
    return fn();
  } finally {
    axisStack.pop();
  }
}

export class BatchTrace extends Trace {
  get axis(): AxisData {
    return this.main.globalData as AxisData;
  }
  pure(x: Value): Value {
    return new BatchTracer(this, x, null);
  }
  /** The value and batch dim of anything this trace sees (values of other traces are unbatched). */
  unbox(x: Value): [Value, BDim] {
    return x instanceof BatchTracer && x.trace.main === this.main ? [x.val, x.batchDim] : [x, null];
  }
  processPrimitive(prim: string, tracers: Value[], params: Params): Value[] {
    const unboxed = tracers.map((t) => this.unbox(t));
    const vals = unboxed.map(([v]) => v);
    const dims = unboxed.map(([, d]) => d);
    // Nothing batched: the primitive applies as it is, below this trace (unless it is a
    // collective over this trace's axis: its rule computes over the batch).
    if (dims.every((d) => d === null) && !namesAxis(prim, params, this.axis.name)) return bind(prim, vals, params);
    const [outs, outDims] = withAxis(this.axis, () => rulesOf(prim).batch(vals, dims, params, this.axis.size));
    return outs.map((o, i) => new BatchTracer(this, o, outDims[i]));
  }
}

/** A wanted batch dim of an output: an axis, unbatched (null), or axis 0 only if batched. */
export type OutDimSpec = BDim | "zeroIfMapped";

/** Raised when an output is batched but its wanted dim is None (vmap reports the output's path). */
export class SpecMatchError extends Error {
  constructor(readonly src: number, readonly axis: AxisData) {
    super(
      axis.name !== null
        ? `vmap has mapped output (axis_name=${axis.name}) but out_axes is None`
        : `vmap has mapped output but out_axes is None (the output was batched on axis ${src})`,
    );
    this.name = "ValueError";
  }
}

/** Broadcasts an unbatched value along a new axis `dim` of size `size`. */
export function broadcastBatch(x: Value, size: number, dim: number): Value {
  const shape = [...getAval(x).shape];
  shape.splice(dim, 0, size);
  const bd = shape.map((_, i) => i).filter((i) => i !== dim);
  return bind(
    "broadcast_in_dim", [x], { shape, broadcast_dimensions: bd, sharding: null },
  )[0];
}

/** Moves or broadcasts `x` (batched at `src`) so that its batch dim is `dst` (JAX's matchaxis). */
export function matchAxis(axis: AxisData, src: BDim, dst: OutDimSpec, x: Value): Value {
  if (dst === "zeroIfMapped") dst = src === null ? null : 0;
  if (src === dst) return x;
  const nd = getAval(x).ndim;
  if (src !== null && dst !== null) return moveaxis(x, src, canonicalAxis(dst, nd));
  if (src === null && dst !== null) return broadcastBatch(x, axis.size, canonicalAxis(dst, nd + 1));
  throw new SpecMatchError(src as number, axis);
}

/**
 * Runs `f` on values batched at `inDims` under a new batch trace, and returns its outputs with
 * their batch dims (null: unbatched). The building block of vmap and of jaxpr batching.
 */
export function batchSubtrace(
  f: (...args: Value[]) => Value[], axis: AxisData, inDims: readonly BDim[], args: readonly Value[],
): [Value[], BDim[]] {
  return newMain(BatchTrace, axis, (main: MainTrace) => {
    const outer = mainOfAxis.get(axis);
    mainOfAxis.set(axis, main);
    try {
      return batchIn(main, f, axis, inDims, args);
    } finally {
      if (outer) mainOfAxis.set(axis, outer);
      else mainOfAxis.delete(axis);
    }
  });
}

/** The body of batchSubtrace, under its main trace. */
function batchIn(main: MainTrace, f: (...args: Value[]) => Value[], axis: AxisData, inDims: readonly BDim[], args: readonly Value[]): [Value[], BDim[]] {
  const trace = new BatchTrace(main);
  const ins = args.map((x, i) => {
    const d = inDims[i];
    return d === null ? x : new BatchTracer(trace, x, canonicalAxis(d, getAval(x).ndim));
  });
  const outs = withAxis(axis, () => f(...ins));
  const unboxed = outs.map((o) => trace.unbox(o));
  return [unboxed.map(([v]) => v), unboxed.map(([, d]) => d)];
}
