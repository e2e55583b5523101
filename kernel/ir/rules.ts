/**
 * @file The rules a primitive stanza must provide, one field per transformation. The interface
 * is what makes a missing rule a compile error: `definePrimitive(name, { ... })` type-checks only
 * when every rule is there.
 */

import type { Params, Value } from "./core.js";
import type { ShapedArray } from "./shape.js";
import type { View } from "../codegen/exp.js";
import type { DType } from "./dtype.js";

/** A symbolic zero tangent or cotangent: costs nothing and is never materialized. */
export class Zero {
  constructor(readonly aval: ShapedArray) {}
}
export type MaybeZero = Value | Zero;

/** A linear input whose value is unknown during transposition (JAX's ad.UndefinedPrimal). */
export class UndefinedPrimal {
  constructor(readonly aval: ShapedArray) {}
}

/** JVP: primals and tangents in, primal and tangent outputs out. */
export type JvpRule = (primals: Value[], tangents: MaybeZero[], params: Params) => [Value[], MaybeZero[]];

/**
 * Transpose of a primitive that is linear in its undefined inputs: given the output cotangents,
 * the cotangent of every input (`null` for inputs that are defined, i.e. not linear).
 */
export type TransposeRule = (cts: MaybeZero[], args: (Value | UndefinedPrimal)[], params: Params) => (MaybeZero | null)[];

/** The batch dimension of each value (`null`: not batched). */
export type BDim = number | null;
/** Batching: values with their batch dims in, outputs with their batch dims out. */
export type BatchRule = (args: Value[], dims: BDim[], params: Params, axisSize: number) => [Value[], BDim[]];

/** A plain host array, for primitives computed by sequential code (sort, scatter, linalg, …). */
export interface HostArray {
  readonly data: HostData;
  readonly shape: readonly number[];
  readonly dtype: DType;
}
export type HostData = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | BigInt64Array | BigUint64Array;

/**
 * How a primitive is computed:
 * - fusible: as views (elementwise, movement, reductions): the JIT fuses these into kernels;
 * - host: sequential code over host arrays (runs on the CPU; GPU data is read back);
 * - impl: in terms of other primitives (higher-order primitives evaluating sub-jaxprs, composites).
 */
export type Lowering =
  | { readonly kind: "fusible"; readonly rule: (ins: View[], params: Params, outAvals: ShapedArray[]) => View[] }
  | { readonly kind: "host"; readonly run: (ins: HostArray[], params: Params, outAvals: ShapedArray[]) => HostArray[] }
  | { readonly kind: "impl"; readonly impl: (args: Value[], params: Params) => Value[] };

/**
 * Stages one equation into the unknown part during partial evaluation: `args` may mix unknown
 * inputs (as a partial-eval rule received them) and known values (which become residuals).
 * Returns the equation's (unknown) outputs.
 */
export type StageFn = (prim: string, args: readonly Value[], params: Params) => Value[];

/**
 * Trace-time partial evaluation (JAX's `partial_eval_rules`), for primitives that need more than
 * the default — call primitives, control flow, remat: split the sub-jaxpr with
 * `partialEvalJaxpr` (kernel/ad), `bind` the known part on the known args now, and `stage` the
 * unknown part. `unknown[i]` tells whether `args[i]` is unknown (then it is opaque: only pass it
 * to `stage`). Returns every output: known values, or unknown ones that `stage` returned.
 */
export type PartialEvalRule = (args: Value[], unknown: boolean[], params: Params, stage: StageFn) => Value[];

/**
 * An array's layout over a mesh of devices: for each dimension, the mesh axes splitting it (major
 * to minor; empty: not split). Axes a layout does not mention replicate the array.
 */
export type ArraySpec = readonly (readonly string[])[];

/** Mesh axes over which per-device results are partial and must be combined (an all-reduce). */
export interface ShardReduce {
  readonly axes: readonly string[];
  readonly op: "sum" | "max" | "min" | "prod" | "and" | "or";
}

/** What a sharding rule decides for one equation (see `ShardRule`). */
export interface ShardResult {
  /** The layout each input must have; inputs in another layout are resharded first. */
  readonly ins: readonly ArraySpec[];
  /** The layout of each output, as computed per device. */
  readonly outs: readonly ArraySpec[];
  /** Per output: partial results to combine across devices (null or absent: complete). */
  readonly reduce?: readonly (ShardReduce | null)[];
  /** Params of the per-device equation, when shape-carrying params must be made local. */
  readonly params?: Params;
}

/** The sizes of the mesh axes a sharding rule sees. */
export interface ShardContext {
  axisSize(name: string): number;
}

/**
 * SPMD partitioning (kernel/sharding): given the layouts of the inputs, how the primitive runs on
 * each device's blocks — which layouts it needs, what layouts it produces, which outputs are
 * partial (e.g. a sum over a split axis: partial sums per device, then an all-reduce). Returns
 * null when it cannot run on blocks; the partitioner then gathers the inputs to one device.
 */
export type ShardRule = (specs: readonly ArraySpec[], avals: readonly ShapedArray[], params: Params, ctx: ShardContext) => ShardResult | null;

/** All the rules of one primitive, side by side. */
export interface PrimitiveRules {
  /** Output avals from input avals; raises JAX's errors for bad shapes and dtypes. */
  readonly abstractEval: (avals: ShapedArray[], params: Params) => ShapedArray[];
  /** Forward-mode derivative, or "nondiff" for primitives whose outputs have zero tangents (comparisons, argmax, …). */
  readonly jvp: JvpRule | "nondiff";
  /** For primitives linear in some inputs; null for non-linear primitives. */
  readonly transpose: TransposeRule | null;
  readonly batch: BatchRule;
  readonly lower: Lowering;
  /**
   * Optional: partial evaluation when some inputs are unknown. Without it, an equation with any
   * unknown input is staged whole (known inputs become residuals), as for ordinary primitives.
   */
  readonly partialEval?: PartialEvalRule;
  /**
   * Optional: the primitive has a side effect (JAX's effects, e.g. `debug_callback`'s Debug):
   * its equations are kept by dead-code elimination and partial evaluation even when nothing
   * reads their outputs.
   */
  readonly effectful?: boolean;
  /**
   * Optional: how the primitive runs on sharded operands. Without it, an equation whose inputs
   * are all replicated runs on every device as it is, and one with a split input is computed on
   * one device from gathered inputs, its results then re-split (correct, slower; logged).
   */
  readonly shard?: ShardRule;
}
