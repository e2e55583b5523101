/**
 * @file One batching case (or several) per primitive: the operands (shape, dtype, value domain)
 * and JAX's params, or a function binding it when the params are jaxprs or structured. The table
 * test vmaps each case over every in_axes variant and compares with a loop over the batch.
 */

import { type Params, type Value, bind } from "../../kernel/ir/core.js";
import * as sh from "../../kernel/sharding/index.js";
import type { DType } from "../../kernel/ir/dtype.js";
import { GatherDimensionNumbers, gather } from "../../kernel/lax/gather.js";
import { ScatterDimensionNumbers, scatter, scatterAdd, scatterMax, scatterMin, scatterMul, scatterSub } from "../../kernel/lax/scatter.js";
import { add, mul, sin, cos, lt, cond, switchBranches, whileLoop, scan, debugCallback } from "../../kernel/lax/index.js";
import { cholesky, eigh, lu, luPivotsToPermutation, matmul, mT, qr, svd, triangularSolve, tril } from "../../kernel/lax/linalg.js";
import { broadcastedIota, convertElementType } from "../../kernel/lax/structural.js";
import { eq } from "../../kernel/lax/select.js";
import { customJvp, customVjp, checkpoint, vjp } from "../../kernel/ad/index.js";
import { jit } from "../../kernel/jit/index.js";
import { iota2x32Shape, threefry2x32P } from "../../kernel/random/threefry.js";
import type { Domain } from "./helpers.js";

export interface ArgSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly dom?: Domain;
  /** Must stay unbatched (e.g. a padding value that must be a scalar). */
  readonly unbatched?: boolean;
}

export interface BatchCase {
  readonly args: readonly ArgSpec[];
  readonly params?: Params;
  /** Applies the primitive (defaults to binding it with `params`). */
  readonly fn?: (...xs: Value[]) => Value[];
  readonly note?: string;
}

const A = (shape: readonly number[], dtype: DType = "float32", dom?: Domain, unbatched = false): ArgSpec => ({ shape, dtype, dom, unbatched });
const f32 = (...shape: number[]) => A(shape);
const i32 = (...shape: number[]) => A(shape, "int32");

const unary = (dom: Domain = "any", dtype: DType = "float32", params: Params = {}): BatchCase[] => [
  { args: [A([2, 3], dtype, dom)], params },
  { args: [A([], dtype, dom)], params, note: "rank 0" },
];
const accuracy = { accuracy: null };
const binary = (dtype: DType = "float32", dom0: Domain = "any", dom1: Domain = "any"): BatchCase[] => [
  { args: [A([2, 3], dtype, dom0), A([2, 3], dtype, dom1)] },
  { args: [A([2, 3], dtype, dom0), A([], dtype, dom1)], note: "rank-0 operand" },
];

/** x[i] for rows i of a matrix, and x[i, j] for points (i, j). */
const rows = new GatherDimensionNumbers({ offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] });
const points = new GatherDimensionNumbers({ offsetDims: [], collapsedSliceDims: [0, 1], startIndexMap: [0, 1] });
/** Updates of whole rows of a matrix. */
const rowUpdates = new ScatterDimensionNumbers({ updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });

/** n·I plus a matrix: well conditioned (and positive definite for x·xᵀ). */
const plusEye = (x: Value, n: number): Value => {
  const shape = [3, 3];
  const eye = convertElementType(eq(broadcastedIota("int32", shape, 0), broadcastedIota("int32", shape, 1)), "float32");
  return add(x, mul(eye, n));
};

/** sin with a custom JVP rule (3·cos x, so that using it is visible), and a custom VJP. */
const customSin = customJvp((x: Value) => sin(x));
customSin.defjvp(([x]: Value[], [t]: Value[]) => [sin(x), mul(mul(cos(x), t), 3)]);
const customCos = customVjp((x: Value) => cos(x));
customCos.defvjp((x: Value) => [cos(x), x], (x: Value, g: Value) => [mul(mul(sin(x), g), -1)]);
const jitted = jit((x: Value, y: Value) => mul(sin(x), y));

/** `f` under shard_map over a one-device mesh with axis "i". */
const onMesh = (f: (x: Value) => Value) => (x: Value): Value =>
  sh.shardMap(f, { mesh: sh.makeMesh([1], ["i"]), in_specs: sh.P("i"), out_specs: sh.P("i") })(x) as Value;

export const CASES: Record<string, readonly BatchCase[]> = {
  // ---- elementwise unary
  neg: [...unary(), ...unary("any", "int32")],
  sign: [...unary(), ...unary("any", "int32")],
  floor: unary(),
  ceil: unary(),
  round: [...unary("any", "float32", { rounding_method: 0 }), ...unary("any", "float32", { rounding_method: 1 })],
  is_finite: unary(),
  exp: unary("small", "float32", accuracy),
  exp2: unary("small", "float32", accuracy),
  log: unary("pos", "float32", accuracy),
  log1p: unary("pos", "float32", accuracy),
  expm1: unary("small", "float32", accuracy),
  sqrt: unary("pos", "float32", accuracy),
  rsqrt: unary("pos", "float32", accuracy),
  cbrt: unary("any", "float32", accuracy),
  logistic: unary("any", "float32", accuracy),
  sin: unary("any", "float32", accuracy),
  cos: unary("any", "float32", accuracy),
  tan: unary("unit", "float32", accuracy),
  tanh: unary("any", "float32", accuracy),
  asin: unary("unit"),
  acos: unary("unit"),
  atan: unary(),
  sinh: unary(),
  cosh: unary(),
  asinh: unary(),
  acosh: unary("ge1"),
  atanh: unary("unit"),
  erf: unary(),
  erfc: unary(),
  erf_inv: unary("unit"),
  lgamma: unary("pos"),
  digamma: unary("pos"),
  abs: [...unary(), ...unary("any", "int32")],
  square: unary(),
  not: [...unary("any", "bool"), ...unary("any", "int32")],
  population_count: unary("any", "int32"),
  clz: unary("any", "int32"),
  integer_pow: [{ args: [f32(2, 3)], params: { y: 3 } }, { args: [f32(2, 3)], params: { y: -2 } }],
  stop_gradient: unary(),
  // ---- elementwise binary
  add: [...binary(), ...binary("int32")],
  add_any: [{ args: [f32(2, 3), f32(2, 3)] }],
  sub: binary(),
  mul: [...binary(), ...binary("int32")],
  div: [...binary("float32", "any", "nz"), ...binary("int32", "any", "nz")],
  rem: [...binary("float32", "any", "nz"), ...binary("int32", "any", "nz")],
  pow: binary("float32", "pos"),
  max: binary(),
  min: binary(),
  atan2: binary("float32", "any", "nz"),
  nextafter: binary(),
  polygamma: [{ args: [A([2, 3], "float32", { lo: 0, hi: 2, int: true }), A([2, 3], "float32", "pos")] }],
  and: [...binary("bool"), ...binary("int32")],
  or: [...binary("bool"), ...binary("int32")],
  xor: [...binary("bool"), ...binary("int32")],
  shift_left: binary("int32", "any", "shift"),
  shift_right_logical: binary("int32", "any", "shift"),
  shift_right_arithmetic: binary("int32", "any", "shift"),
  eq: [...binary(), ...binary("int32")],
  ne: binary(),
  lt: binary(),
  le: binary(),
  gt: binary(),
  ge: binary("int32"),
  select_n: [
    { args: [A([2, 3], "bool"), f32(2, 3), f32(2, 3)] },
    { args: [A([], "bool"), f32(2, 3), f32(2, 3)], note: "scalar predicate" },
    { args: [A([2, 3], "int32", { lo: 0, hi: 2 }), f32(2, 3), f32(2, 3), f32(2, 3)], note: "three cases" },
  ],
  clamp: [
    { args: [A([], "float32", { lo: -1, hi: -0.5 }), f32(2, 3), A([], "float32", { lo: 0.5, hi: 1 })] },
    { args: [A([2, 3], "float32", { lo: -1, hi: -0.5 }), f32(2, 3), A([2, 3], "float32", { lo: 0.5, hi: 1 })], note: "array bounds" },
  ],
  // ---- types
  convert_element_type: [
    { args: [f32(2, 3)], params: { new_dtype: "int32", weak_type: false, sharding: null } },
    { args: [i32(2, 3)], params: { new_dtype: "float32", weak_type: false, sharding: null } },
  ],
  bitcast_convert_type: [{ args: [f32(2, 3)], params: { new_dtype: "int32" } }],
  reduce_precision: [{ args: [f32(2, 3)], params: { exponent_bits: 5, mantissa_bits: 10 } }],
  // ---- shapes
  iota: [{ args: [], params: { dtype: "int32", shape: [2, 3], dimension: 1, sharding: null }, note: "no operands (axis_size)" }],
  broadcast_in_dim: [
    { args: [f32(3)], params: { shape: [2, 3], broadcast_dimensions: [1], sharding: null } },
    { args: [f32(1, 3)], params: { shape: [4, 2, 3], broadcast_dimensions: [1, 2], sharding: null }, note: "size-1 dim" },
  ],
  reshape: [{ args: [f32(2, 3)], params: { new_sizes: [3, 2], dimensions: null, sharding: null } }],
  squeeze: [{ args: [f32(2, 1, 3)], params: { dimensions: [1] } }],
  expand_dims: [{ args: [f32(2, 3)], params: { dimensions: [1] } }],
  transpose: [{ args: [f32(2, 3, 4)], params: { permutation: [2, 0, 1] } }],
  rev: [{ args: [f32(2, 3)], params: { dimensions: [1] } }],
  pad: [
    { args: [f32(2, 3), A([], "float32", "any")], params: { padding_config: [[1, 0, 1], [0, 2, 0]] } },
    { args: [f32(4), A([], "float32", "any")], params: { padding_config: [[-1, 1, 0]] }, note: "negative padding" },
  ],
  concatenate: [{ args: [f32(2, 3), f32(1, 3), f32(2, 3)], params: { dimension: 0 } }],
  split: [{ args: [f32(5, 3)], params: { sizes: [2, 3], axis: 0 } }],
  slice: [
    { args: [f32(5, 4)], params: { start_indices: [1, 0], limit_indices: [4, 3], strides: null } },
    { args: [f32(5, 4)], params: { start_indices: [0, 1], limit_indices: [5, 4], strides: [2, 2] }, note: "strided" },
  ],
  dynamic_slice: [
    { args: [f32(5, 4), A([], "int32", { lo: -1, hi: 4 }), A([], "int32", { lo: 0, hi: 3 })], params: { slice_sizes: [2, 3] } },
  ],
  dynamic_update_slice: [
    { args: [f32(5, 4), f32(2, 3), A([], "int32", { lo: -1, hi: 4 }), A([], "int32", { lo: 0, hi: 3 })] },
  ],
  gather: [
    { args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 })], fn: (x, i) => [gather(x, i, rows, [1, 3])], note: "rows" },
    { args: [f32(5, 3), A([2, 2], "int32", { lo: 0, hi: 2 })], fn: (x, i) => [gather(x, i, points, [1, 1])], note: "points" },
  ],
  scatter: [{ args: [f32(5, 3), A([1, 1], "int32", { lo: 0, hi: 4 }), f32(1, 3)], fn: (x, i, u) => [scatter(x, i, u, rowUpdates)], note: "one row" }],
  "scatter-add": [{ args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 }), f32(2, 3)], fn: (x, i, u) => [scatterAdd(x, i, u, rowUpdates)] }],
  "scatter-sub": [{ args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 }), f32(2, 3)], fn: (x, i, u) => [scatterSub(x, i, u, rowUpdates)] }],
  "scatter-mul": [{ args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 }), f32(2, 3)], fn: (x, i, u) => [scatterMul(x, i, u, rowUpdates)] }],
  "scatter-min": [{ args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 }), f32(2, 3)], fn: (x, i, u) => [scatterMin(x, i, u, rowUpdates)] }],
  "scatter-max": [{ args: [f32(5, 3), A([2, 1], "int32", { lo: 0, hi: 4 }), f32(2, 3)], fn: (x, i, u) => [scatterMax(x, i, u, rowUpdates)] }],
  // ---- linear algebra
  cholesky: [{ args: [f32(3, 3)], fn: (x) => [cholesky(plusEye(matmul(x, mT(x)), 3))] }],
  triangular_solve: [{ args: [f32(3, 3), f32(3, 2)], fn: (a, b) => [triangularSolve(plusEye(tril(a), 4), b, { leftSide: true, lower: true })] }],
  lu: [{ args: [f32(3, 3)], fn: (x) => lu(x) }],
  lu_pivots_to_permutation: [{ args: [A([3], "int32", { lo: 0, hi: 2 })], fn: (p) => [luPivotsToPermutation(p, 3)] }],
  qr: [{ args: [f32(3, 2)], fn: (x) => qr(x) }],
  eigh: [{ args: [f32(3, 3)], fn: (x) => eigh(add(x, mT(x))) }],
  svd: [{ args: [f32(3, 2)], fn: (x) => svd(x) }],
  // ---- random bits
  threefry2x32: [{ args: [A([], "uint32"), A([], "uint32"), A([4], "uint32"), A([4], "uint32")], fn: (a, b, c, d) => threefry2x32P(a, b, c, d) }],
  iota_2x32_shape: [{ args: [], fn: () => iota2x32Shape([2, 3]), note: "no operands (axis_size)" }],
  // ---- transformations as primitives
  custom_jvp_call: [{ args: [f32(3)], fn: (x) => [customSin(x)] }],
  // No outputs of its own (its per-element calls are tested in test/lax/debug.test.ts): vmap must leave the rest intact.
  debug_callback: [{ args: [f32(3), f32(3)], fn: (x, y) => (debugCallback(() => undefined, [x, y]), [add(x, y)]) }],
  custom_vjp_call: [{ args: [f32(3)], fn: (x) => [customCos(x)] }],
  // custom_lin lives in linear jaxprs and is only ever transposed (as in JAX): vmap a pullback through it.
  custom_lin: [{ args: [f32(3), f32(3)], fn: (x, ct) => (vjp(customCos as never, [x]) as [Value, (ct: Value) => Value[]])[1](ct), note: "a pullback through a custom_vjp" }],
  remat2: [{ args: [f32(3)], fn: (x) => [checkpoint((v: Value) => sin(mul(v, v)))(x)] }],
  jit: [{ args: [f32(3), f32(3)], fn: (x, y) => [jitted(x, y) as Value] }],
  // ---- sharding: collectives exist only over a named mesh axis, so inside shard_map (one-device mesh)
  shard_map: [{ args: [f32(4)], fn: (x) => [onMesh(sin)(x)] }],
  psum: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.psum(y, "i"))(x)] }],
  pmax: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.pmax(y, "i"))(x)] }],
  pmin: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.pmin(y, "i"))(x)] }],
  all_gather: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.allGather(y, "i", { tiled: true }))(x)] }],
  reduce_scatter: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.psumScatter(y, "i", { tiled: true }))(x)] }],
  ppermute: [{ args: [f32(4)], fn: (x) => [onMesh((y) => sh.ppermute(y, "i", [[0, 0]]))(x)] }],
  axis_index: [{ args: [f32(4)], fn: (x) => [onMesh((y) => add(y, convertElementType(sh.axisIndex("i"), "float32")))(x)] }],
  sharding_constraint: [{ args: [f32(4)], fn: (x) => [sh.withShardingConstraint(sin(x), new sh.NamedSharding(sh.makeMesh([1], ["i"]), sh.P())) as Value] }],
  // ---- control flow
  cond: [
    { args: [A([], "bool"), f32(3)], fn: (p, x) => [cond(p, sin, cos, x) as Value], note: "cond" },
    { args: [A([], "int32", { lo: -1, hi: 3 }), f32(3), f32(3)], fn: (i, x, y) => [switchBranches(i, [(a: Value) => sin(a), (a: Value, b: Value) => mul(a, b), (_a: Value, b: Value) => cos(b)], x, y) as Value], note: "switch" },
  ],
  while: [{
    args: [A([], "int32", { lo: 0, hi: 4 }), f32(3)],
    fn: (n, x) => [(whileLoop(([i]: Value[]) => lt(i, n), ([i, v]: Value[]) => [add(i, 1), mul(v, 1.5)], [0, x]) as Value[])[1]],
    note: "trip count from an operand",
  }],
  scan: [{
    args: [f32(3), f32(4, 3)],
    fn: (c0, xs) => scan((c: Value, x: Value) => [add(mul(c, x), 1), sin(c)], c0, xs) as Value[],
    note: "carry and ys",
  }],
  // ---- reductions
  reduce_sum: [{ args: [f32(2, 3, 4)], params: { axes: [0, 2], out_sharding: null } }, { args: [f32(2, 3)], params: { axes: [], out_sharding: null }, note: "no axes" }],
  reduce_max: [{ args: [f32(2, 3, 4)], params: { axes: [1], out_sharding: null } }],
  reduce_min: [{ args: [f32(2, 3, 4)], params: { axes: [0, 1], out_sharding: null } }],
  reduce_prod: [{ args: [f32(2, 3)], params: { axes: [1], out_sharding: null } }],
  reduce_and: [{ args: [A([2, 3], "bool")], params: { axes: [1], out_sharding: null } }],
  reduce_or: [{ args: [A([2, 3], "bool")], params: { axes: [0], out_sharding: null } }],
  reduce_xor: [{ args: [A([2, 3], "bool")], params: { axes: [0], out_sharding: null } }],
  argmax: [{ args: [f32(2, 3, 4)], params: { axes: [1], index_dtype: "int32" } }],
  argmin: [{ args: [f32(2, 3)], params: { axes: [0], index_dtype: "int32" } }],
  cumsum: [{ args: [f32(3, 4)], params: { axis: 1, reverse: false } }, { args: [f32(3, 4)], params: { axis: 0, reverse: true }, note: "reverse" }],
  cumprod: [{ args: [f32(3, 4)], params: { axis: 1, reverse: false } }],
  cummax: [{ args: [f32(3, 4)], params: { axis: 0, reverse: false } }],
  cummin: [{ args: [f32(3, 4)], params: { axis: 1, reverse: true } }],
  cumlogsumexp: [{ args: [f32(3, 4)], params: { axis: 1, reverse: false } }],
  sort: [
    { args: [f32(3, 4)], params: { dimension: 1, is_stable: true, num_keys: 1 } },
    { args: [A([3, 4], "int32", { lo: 0, hi: 2 }), f32(3, 4)], params: { dimension: 0, is_stable: true, num_keys: 1 }, note: "two operands" },
  ],
  dot_general: [
    { args: [f32(2, 3), f32(3, 4)], params: { dimension_numbers: [[[1], [0]], [[], []]], precision: null, preferred_element_type: null, out_sharding: null } },
    { args: [f32(2, 3, 4), f32(2, 4, 5)], params: { dimension_numbers: [[[2], [1]], [[0], [0]]], precision: null, preferred_element_type: null, out_sharding: null }, note: "batch dims" },
    { args: [f32(3), f32(3)], params: { dimension_numbers: [[[0], [0]], [[], []]], precision: null, preferred_element_type: null, out_sharding: null }, note: "vector dot" },
  ],
};

/** Binds `prim` on operands with a case's params (or runs the case's function). */
export function applyCase(prim: string, c: BatchCase, xs: Value[]): Value[] {
  return c.fn ? c.fn(...xs) : bind(prim, xs, c.params ?? {});
}
