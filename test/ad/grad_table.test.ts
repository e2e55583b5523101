/**
 * @file checkGrads (JAX's check_grads) over every differentiable primitive: forward and reverse
 * mode, orders 1 and 2, against central finite differences in float64 (x64 on). The table is run
 * over `primitiveNames()`: a primitive with a JVP rule that has no case here fails the suite, so
 * every new primitive must bring its gradient test.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import "../../kernel/jit/index.js";
import { type Value, primitiveNames, rulesOf } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { GatherDimensionNumbers } from "../../kernel/lax/gather.js";
import { ScatterDimensionNumbers } from "../../kernel/lax/scatter.js";
import { jit } from "../../kernel/jit/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { type CheckGradsOptions, checkGrads, checkpoint, customJvp, customVjp, jvp } from "../../kernel/ad/index.js";

/** A float64 array (x64 is on while the table runs). */
const f64 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float64");
const i32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "int32");
const v = [0.3, -0.7, 1.1, 0.45];
const pos = [0.35, 0.7, 1.15, 2.45];
const unit = [0.1, -0.35, 0.6, 0.25];
const mat = (): Array => f64([0.5, -1.2, 0.8, 2.0, -0.3, 1.5], [2, 3]);
/** A well-conditioned 3×3 matrix with distinct eigen- and singular values (symmetric part positive definite). */
const sq = (): Array => f64([4.0, 0.5, -0.3, 0.9, 3.0, 0.4, 0.2, -0.6, 1.5], [3, 3]);
/** Elementwise squares: eigen- and singular vectors up to sign. */
const sqr = (x: Value): Value => lax.mul(x, x);

interface Case {
  args: () => Value[];
  f: (...xs: Value[]) => Value | Value[];
  order?: number;
  opts?: CheckGradsOptions;
}
const un = (f: (x: Value) => Value, data = v): Case => ({ args: () => [f64(data)], f });
const bin = (f: (x: Value, y: Value) => Value, a = v, b = pos): Case => ({ args: () => [f64(a), f64(b)], f });

const sinJvp = customJvp((x: Value) => lax.sin(x));
sinJvp.defjvp(([x]: Value[], [t]: Value[]) => [lax.sin(x), lax.mul(lax.cos(x), t)]);
const sinVjp = customVjp((x: Value) => lax.sin(x));
sinVjp.defvjp((x: Value) => [lax.sin(x), lax.cos(x)], (c: Value, g: Value) => [lax.mul(c, g)]);

/** `f` under shard_map over a one-device mesh with axis "i" (the argument split along it). */
const onMesh = (f: (x: Value) => Value) => (x: Value): Value =>
  sh.shardMap(f, { mesh: sh.makeMesh([1], ["i"]), in_specs: sh.P("i"), out_specs: sh.P("i") })(x) as Value;

const gdn = new GatherDimensionNumbers({ offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] });
const sdn = new ScatterDimensionNumbers({ updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });
const scatterCase = (fn: (o: Value, i: Value, u: Value, d: ScatterDimensionNumbers, opts?: object) => Value, opts = {}): Case => ({
  args: () => [mat(), f64([0.25, -1.75, 0.9, 3.1, 0.65, -2.2], [2, 3])],
  f: (o, u) => fn(o, i32([1, 0], [2, 1]), u, sdn, opts),
});

/** Every differentiable primitive, with arguments inside its smooth domain (no ties, no poles). */
const CASES: Record<string, Case> = {
  abs: un(lax.abs),
  acos: un(lax.acos, unit),
  acosh: un(lax.acosh, [1.2, 1.5, 2.5, 4.0]),
  add: bin(lax.add),
  add_any: bin(lax.addAny),
  asin: un(lax.asin, unit),
  asinh: un(lax.asinh),
  atan: un(lax.atan),
  atan2: bin(lax.atan2),
  atanh: un(lax.atanh, unit),
  broadcast_in_dim: un((x) => lax.broadcastInDim(x, [3, 4], [1])),
  cbrt: un(lax.cbrt),
  cholesky: { args: () => [sq()], f: (x) => lax.cholesky(x) },
  clamp: { args: () => [f64([-0.5]), f64(v), f64([0.9])], f: (lo, x, hi) => lax.clamp(lax.reshape(lo, []), x, lax.reshape(hi, [])) },
  concatenate: bin((x, y) => lax.concatenate([x, y], 0)),
  cond: un((x) => lax.cond(lax.gt(lax.reduceSum(x, [0]), 0), (y: Value) => lax.sin(y), (y: Value) => lax.cos(y), x) as Value),
  convert_element_type: { args: () => [f64(v)], f: (x) => lax.convertElementType(x, "float32"), opts: { eps: 1e-2 } },
  cos: un(lax.cos),
  cosh: un(lax.cosh),
  cumlogsumexp: un((x) => lax.cumlogsumexp(x, 0, false)),
  cummax: un((x) => lax.cummax(x, 0, true)),
  cummin: un((x) => lax.cummin(x, 0, false)),
  cumprod: un((x) => lax.cumprod(x, 0, false)),
  cumsum: un((x) => lax.cumsum(x, 0, true)),
  custom_jvp_call: un((x) => sinJvp(x)),
  // The callback sees primals only and adds nothing to the derivative.
  debug_callback: un((x) => (lax.debugCallback(() => undefined, [x]), lax.sin(x))),
  custom_vjp_call: { ...un((x) => sinVjp(x)), opts: { modes: ["rev"] } },
  digamma: un(lax.digamma, pos),
  div: bin(lax.div),
  dot_general: { args: () => [mat(), f64([0.3, -0.2, 1.4, 0.7, -0.9, 0.1], [3, 2])], f: (a, b) => lax.dotGeneral(a, b, [[[1], [0]], [[], []]]) },
  dynamic_slice: un((x) => lax.dynamicSlice(x, [i32([1], [])], [2])),
  dynamic_update_slice: bin((x, u) => lax.dynamicUpdateSlice(x, u, [i32([1], [])]), v, [0.2, -0.4]),
  erf: un(lax.erf),
  erf_inv: un(lax.erfInv, unit),
  erfc: un(lax.erfc),
  exp: un(lax.exp),
  exp2: un(lax.exp2),
  expm1: un(lax.expm1),
  gather: { args: () => [mat()], f: (o) => lax.gather(o, i32([1, 0, 1], [3, 1]), gdn, [1, 3]) },
  integer_pow: un((x) => lax.integerPow(x, 3)),
  jit: un((x) => jit((y: Value) => lax.mul(lax.sin(y), y))(x) as Value),
  eigh: { args: () => [sq()], f: (x) => { const [vecs, w] = lax.eigh(x); return [w, sqr(vecs)]; } },
  lgamma: un(lax.lgamma, pos),
  log: un(lax.log, pos),
  log1p: un(lax.log1p, pos),
  logistic: un(lax.logistic),
  lu: { args: () => [sq()], f: (x) => lax.lu(x)[0] },
  max: bin(lax.max),
  min: bin(lax.min),
  mul: bin(lax.mul),
  neg: un(lax.neg),
  pad: { args: () => [f64(v), f64([0.5], [])], f: (x, p) => lax.pad(x, p, [[1, 2, 1]]) },
  polygamma: un((x) => lax.polygamma(lax.convertElementType(lax.broadcastInDim(1, [4], []), "float64"), x), pos),
  pow: bin((x, y) => lax.pow(x, y), pos, v),
  qr: { args: () => [sq()], f: (x) => lax.qr(x) },
  reduce_max: un((x) => lax.reduceMax(x, [0])),
  reduce_min: un((x) => lax.reduceMin(x, [0])),
  reduce_prod: un((x) => lax.reduceProd(x, [0])),
  reduce_sum: un((x) => lax.reduceSum(x, [0])),
  rem: bin(lax.rem, [2.3, -0.7, 5.1, 0.45], [0.9, 0.5, 1.6, 1.1]),
  remat2: un((x) => checkpoint((y: Value) => lax.sin(lax.sin(y)))(x) as Value),
  reshape: un((x) => lax.reshape(x, [2, 2])),
  rev: un((x) => lax.rev(x, [0])),
  rsqrt: un(lax.rsqrt, pos),
  scan: un((x) => lax.scan((c: Value, y: Value) => [lax.mul(c, lax.sin(y)), lax.cos(c)], lax.reduceSum(x, [0]), x)[0] as Value),
  scatter: scatterCase(lax.scatter, { uniqueIndices: true }),
  "scatter-add": scatterCase(lax.scatterAdd),
  "scatter-max": scatterCase(lax.scatterMax),
  "scatter-min": scatterCase(lax.scatterMin),
  "scatter-mul": scatterCase(lax.scatterMul, { uniqueIndices: true }),
  "scatter-sub": scatterCase(lax.scatterSub),
  select_n: bin((x, y) => lax.selectN(lax.gt(x, 0), x, y)),
  sin: un(lax.sin),
  sinh: un(lax.sinh),
  slice: un((x) => lax.slice(x, [1], [4], [2])),
  sort: un((x) => lax.sort(x, 0)),
  sqrt: un(lax.sqrt, pos),
  square: un(lax.square),
  squeeze: { args: () => [f64(v, [1, 4])], f: (x) => lax.squeeze(x, [0]) },
  sub: bin(lax.sub),
  svd: { args: () => [sq()], f: (x) => { const [u, sv, vt] = lax.svd(x); return [sv, sqr(u), sqr(vt)]; } },
  tan: un(lax.tan),
  tanh: un(lax.tanh),
  triangular_solve: {
    args: () => [sq(), mat()],
    f: (a, b) => lax.triangularSolve(a, lax.transpose(b, [1, 0]), { leftSide: true, lower: true }),
  },
  transpose: { args: () => [mat()], f: (x) => lax.transpose(x, [1, 0]) },
  // while_loop: forward mode only, as in JAX.
  while: { ...un((x) => lax.whileLoop(([i]: Value[]) => lax.lt(i, 3), ([i, y]: Value[]) => [lax.add(i, 1), lax.sin(y)], [i32([0], []), x])[1] as Value), opts: { modes: ["fwd"] } },
  // Collectives exist only over a named mesh axis: inside shard_map over a one-device mesh.
  shard_map: un((x) => onMesh(lax.sin)(x)),
  psum: un((x) => onMesh((y) => sh.psum(lax.sin(y), "i"))(x)),
  all_gather: un((x) => onMesh((y) => sh.allGather(lax.sin(y), "i", { tiled: true }))(x)),
  reduce_scatter: un((x) => onMesh((y) => sh.psumScatter(lax.sin(y), "i", { tiled: true }))(x)),
  ppermute: un((x) => onMesh((y) => sh.ppermute(lax.sin(y), "i", [[0, 0]]))(x)),
  sharding_constraint: un((x) => sh.withShardingConstraint(lax.sin(x), new sh.NamedSharding(sh.makeMesh([1], ["i"]), sh.P())) as Value),
};

/** Primitives with a JVP field whose derivative is not defined (JAX raises), and how to reach them. */
const NO_DERIVATIVE: Record<string, () => unknown> = {
  nextafter: () => jvp((x: Value) => lax.nextafter(x, f64([1, 1, 1, 1])), [f64(v)], [f64(v)]),
  custom_lin: () => jvp((x: Value) => sinVjp(x), [f64(v)], [f64(v)]),
  // JAX defines no derivative for pmax/pmin either.
  pmax: () => jvp((x: Value) => onMesh((y) => sh.pmax(y, "i"))(x), [f64(v)], [f64(v)]),
  pmin: () => jvp((x: Value) => onMesh((y) => sh.pmin(y, "i"))(x), [f64(v)], [f64(v)]),
};

describe("ad: checkGrads over every differentiable primitive (float64)", () => {
  let prevX64 = false;
  before(() => {
    prevX64 = config.enableX64;
    config.enableX64 = true;
  });
  after(() => {
    config.enableX64 = prevX64;
  });

  it("the table covers every registered differentiable primitive", () => {
    const differentiable = primitiveNames().filter((p) => rulesOf(p).jvp !== "nondiff");
    const missing = differentiable.filter((p) => !(p in CASES) && !(p in NO_DERIVATIVE));
    assert.deepEqual(missing, [], `differentiable primitives without a gradient case: ${missing.join(", ")}`);
  });

  for (const [prim, c] of Object.entries(CASES)) {
    it(`${prim}: order ${c.order ?? 2}, ${(c.opts?.modes ?? ["fwd", "rev"]).join(" + ")}`, () => {
      assert.ok(primitiveNames().includes(prim), `${prim} is not a registered primitive`);
      checkGrads(c.f as (...a: unknown[]) => unknown, c.args(), c.order ?? 2, c.opts);
    });
  }

  for (const [prim, reach] of Object.entries(NO_DERIVATIVE)) {
    it(`${prim}: differentiating raises, as in JAX`, () => {
      assert.throws(reach, (e: Error) => /not implemented|can't apply forward-mode/.test(e.message));
    });
  }

  it("checkGrads detects a wrong derivative", () => {
    const wrong = customJvp((x: Value) => lax.sin(x));
    wrong.defjvp(([x]: Value[], [t]: Value[]) => [lax.sin(x), lax.mul(lax.mul(lax.cos(x), t), 1.01)]);
    assert.throws(() => checkGrads((x) => wrong(x as Value), [f64(v)], 1, { modes: ["fwd"] }), /JVP tangent/);
    assert.throws(() => checkGrads((x) => wrong(x as Value), [f64(v)], 1, { modes: ["rev"] }), /VJP cotangent projection/);
  });
});
