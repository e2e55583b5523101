/**
 * @file Differentiating shard_map: grad runs the body's forward part once (partial evaluation
 * splits the JVP's shard_map into a forward shard_map, which also returns the residuals, and a
 * tangent shard_map whose transpose is the backward pass — two shard_maps in the jaxpr, as JAX
 * prints), with gradients against PyTorch and central finite differences, eager and under jit,
 * with scalar residuals (made rank 1) and residuals that are inputs passed on.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import type { Value } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { ClosedJaxpr, type Jaxpr, makeJaxpr } from "../../kernel/ir/jaxpr.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { grad, jvp, valueAndGrad } from "../../kernel/ad/index.js";
import { checkGrads } from "../../kernel/ad/check_grads.js";
import { Array } from "../../kernel/backend/array.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

const fx = loadFixture<Record<string, FixtureArray>>("sharding");
const tol = { rtol: 1e-4, atol: 1e-4, checkDtype: false };

/** How many equations of `prim` a jaxpr holds, nested jaxprs included. */
function count(j: Jaxpr, prim: string): number {
  let n = 0;
  for (const e of j.eqns) {
    if (e.primitive === prim) n++;
    for (const v of Object.values(e.params)) if (v instanceof ClosedJaxpr) n += count(v.jaxpr, prim);
  }
  return n;
}

describe("shard_map under grad", function () {
  this.timeout(120_000);
  let mesh: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(4);
    mesh = sh.makeMesh([4], ["x"], { devices: cpuDevices() });
  });
  after(() => sh.setCpuDeviceCount(null));

  // f1(x, w) = (Σ sin(x)·w)², the sum a psum of each device's block sum.
  const f1 = (x: Value, w: Value): Value =>
    sh.shardMap((xb: Value, wb: Value) => lax.integerPow(sh.psum(lax.reduceSum(lax.mul(lax.sin(xb), wb), [0]), "x"), 2), { mesh, in_specs: [sh.P("x"), sh.P("x")], out_specs: sh.P() })(x, w) as Value;
  // f2(x) = Σ (x·s)², s = Σ x: a replicated scalar residual, and a split output summed outside.
  const f2 = (x: Value): Value =>
    lax.reduceSum(lax.integerPow(sh.shardMap((xb: Value) => lax.mul(xb, sh.psum(lax.reduceSum(xb, [0]), "x")), { mesh, in_specs: sh.P("x"), out_specs: sh.P("x") })(x) as Value, 2), [0]);

  it("grad's jaxpr has two shard_maps, the forward one computing the body's primal once", () => {
    const x = fromFixture(fx.x), w = fromFixture(fx.w);
    const j = (makeJaxpr(grad(f1, { argnums: [0, 1] }))(x, w) as ClosedJaxpr).jaxpr;
    assert.equal(j.eqns.filter((e) => e.primitive === "shard_map").length, 2);
    assert.equal(count(j, "shard_map"), 2);
    assert.equal(count(j, "sin"), 1, "sin runs once, in the forward shard_map");
    assert.equal(count(j, "cos"), 1);
    // The forward one returns the primal result and the residuals; the second reads them.
    const [fwd, bwd] = j.eqns.filter((e) => e.primitive === "shard_map");
    assert.ok(fwd.outBinders.length > 1);
    assert.ok(bwd.inputs.some((a) => fwd.outBinders.includes(a as never)));
  });

  it("gradients equal PyTorch's, eager and under jit", () => {
    const x = fromFixture(fx.x), w = fromFixture(fx.w);
    const [v, [gx, gw]] = valueAndGrad(f1, { argnums: [0, 1] })(x, w) as [Value, [Value, Value]];
    assertClose(v, fx.f1, tol);
    assertClose(gx, fx.f1_grad_x, tol);
    assertClose(gw, fx.f1_grad_w, tol);
    const [jx, jw] = jit(grad(f1, { argnums: [0, 1] }))(x, w) as [Value, Value];
    assertClose(jx, fx.f1_grad_x, tol);
    assertClose(jw, fx.f1_grad_w, tol);
    const xs = fromFixture(fx.x_shift);
    assertClose(grad(f2)(xs) as Value, fx.f2_grad, { ...tol, rtol: 2e-4 });
    assertClose(jit(grad(f2))(xs) as Value, fx.f2_grad, { ...tol, rtol: 2e-4 });
  });

  it("forward mode gives primal and tangent from one shard_map", () => {
    const x = fromFixture(fx.x), w = fromFixture(fx.w);
    const j = (makeJaxpr((a: Value, t: Value) => jvp((y: Value) => f1(y, w), [a], [t]))(x, x) as ClosedJaxpr).jaxpr;
    assert.equal(count(j, "shard_map"), 1);
    const ones = Array.fromHost(new Float32Array(64).fill(1), [64], "float32");
    const [p, t] = jvp((y: Value) => f1(y, w), [x], [ones]) as [Value, Value];
    assertClose(p, fx.f1, tol);
    const want = (fx.f1_grad_x.data as number[]).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs((t as Array).item() as number - want) < 1e-3 * Math.abs(want), `tangent ${String(t)} vs ${want}`);
  });

  it("passes central finite differences (float64)", () => {
    const prev = config.enableX64;
    config.enableX64 = true;
    try {
      const x = Array.fromHost(fx.x.data as number[], [64], "float64"), w = Array.fromHost(fx.w.data as number[], [64], "float64");
      checkGrads(f1 as never, [x, w], 1);
      checkGrads(f2 as never, [Array.fromHost(fx.x_shift.data as number[], [64], "float64")], 1);
    } finally {
      config.enableX64 = prev;
    }
  });
});
