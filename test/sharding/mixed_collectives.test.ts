/**
 * @file Collectives naming a vmapped axis together with mesh axes of an enclosing shard_map, or
 * with another vmapped axis: all_gather, psum_scatter, ppermute, axis_index, psum/pmean/pmax/pmin
 * over the devices numbered row-major in the order the names are given, as on a mesh; eager and
 * under jit; gradients through them against PyTorch. References: test/fixtures/gen_collectives_mixed.py
 * (NumPy), or loops over its input arrays.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import { type Value, bind1 } from "../../kernel/ir/core.js";
import { ClosedJaxpr, type Jaxpr, makeJaxpr } from "../../kernel/ir/jaxpr.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { grad } from "../../kernel/ad/index.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

const fx = loadFixture<Record<string, FixtureArray>>("collectives_mixed");
const f32 = { rtol: 2e-5, atol: 2e-6, checkDtype: false };
const exact = { rtol: 0, atol: 0, checkDtype: true };
type Perm = [number, number][];

/** Every primitive a jaxpr binds, nested jaxprs included. */
function prims(j: Jaxpr, acc: string[] = []): string[] {
  for (const e of j.eqns) {
    acc.push(e.primitive);
    for (const v of Object.values(e.params)) if (v instanceof ClosedJaxpr) prims(v.jaxpr, acc);
  }
  return acc;
}

describe("collectives over a vmapped axis mixed with mesh axes", function () {
  this.timeout(180_000);
  let mesh: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(4);
    mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices().slice(0, 2) });
  });
  after(() => sh.setCpuDeviceCount(null));

  /** shard_map over 'x' of a vmap named 'i' over each block's rows. */
  const onA = (body: (v: Value) => Value) =>
    sh.shardMap((b: Value) => vmap(body, { axisName: "i" })(b), { mesh, in_specs: sh.P("x"), out_specs: sh.P("x"), check_vma: false });
  const X = (): Value => fromFixture(fx.X);

  it("all_gather over ('x', 'i') and ('i', 'x'): rows in the names' row-major order", () => {
    assertClose(onA((v) => sh.allGather(v, ["x", "i"]))(X()) as Value, fx.A_all_gather_xi, f32);
    assertClose(onA((v) => sh.allGather(v, ["i", "x"]))(X()) as Value, fx.A_all_gather_ix, f32);
    assertClose(onA((v) => sh.allGather(v, ["i", "x"], { axis: 1 }))(X()) as Value, fx.A_all_gather_ix_axis1, f32);
    assertClose(onA((v) => sh.allGather(v, ["i", "x"], { tiled: true }))(X()) as Value, fx.A_all_gather_ix_tiled, f32);
  });

  it("axis_index over ('i', 'x') and ('x', 'i'), built from one axis_index per name as JAX does", () => {
    const idx = (names: string[]) => onA(() => sh.axisIndex(names));
    assertClose(idx(["i", "x"])(X()) as Value, fx.A_axis_index_ix, exact);
    assertClose(idx(["x", "i"])(X()) as Value, fx.A_axis_index_xi, exact);
    // An axis_index equation naming both (bound directly, as a transformed jaxpr may hold one).
    assertClose(onA(() => bind1("axis_index", [], { axis_name: ["i", "x"] }))(X()) as Value, fx.A_axis_index_ix, exact);
    const j = (makeJaxpr(idx(["i", "x"]))(X()) as ClosedJaxpr).jaxpr;
    assert.equal(prims(j).filter((p) => p === "axis_index").length, 1, "the vmapped name's index is an iota, the mesh name's one axis_index");
    assert.ok(prims(j).includes("iota"));
  });

  it("ppermute over ('i', 'x'): a full cycle and a partial permutation (zeros where nothing arrives)", () => {
    const cycle: Perm = Array.from({ length: 6 }, (_, k) => [k, (k + 1) % 6]);
    assertClose(onA((v) => sh.ppermute(v, ["i", "x"], cycle))(X()) as Value, fx.A_ppermute_ix_cycle, f32);
    assertClose(onA((v) => sh.ppermute(v, ["i", "x"], [[0, 3], [4, 1], [5, 2]]))(X()) as Value, fx.A_ppermute_ix_partial, f32);
    // Booleans travel too (combined with or, not add).
    const positive = onA((v) => sh.ppermute(lax.gt(v, 0), ["i", "x"], cycle))(X()) as Value;
    const want = fx.A_ppermute_ix_cycle.data.map((d) => Number(d) > 0);
    assert.deepEqual(Array.from((positive as unknown as { toNumbers(): number[] }).toNumbers(), Boolean), want);
  });

  it("psum_scatter over ('i', 'x') and ('x', 'i'): untiled, on dimension 1, tiled", () => {
    const W = fromFixture(fx.W);
    assertClose(onA((w) => sh.psumScatter(w, ["i", "x"]))(W) as Value, fx.A_psum_scatter_ix, f32);
    const W1 = lax.reshape(fromFixture(fx.W), [6, 4, 6]);
    assertClose(onA((w) => sh.psumScatter(w, ["i", "x"], { scatter_dimension: 1 }))(W1) as Value, fx.A_psum_scatter_ix_dim1, f32);
    const W2 = lax.reshape(fromFixture(fx.W), [6, 12, 2]);
    assertClose(onA((w) => sh.psumScatter(w, ["i", "x"], { tiled: true }))(W2) as Value, fx.A_psum_scatter_ix_tiled, f32);
    assertClose(onA((w) => sh.psumScatter(w, ["x", "i"], { tiled: true }))(W2) as Value, fx.A_psum_scatter_xi_tiled, f32);
  });

  it("the vmapped axis alone inside shard_map: ppermute and all_gather over 'i' stay within each device's block", () => {
    const xs = fx.X.data.map(Number);
    const row = (r: number): number[] => xs.slice(4 * r, 4 * r + 4);
    // Element (x, i) receives element (x, i - 1 mod 3): row 3x + (i + 2) % 3.
    const shifted = Array.from({ length: 6 }, (_, g) => row(3 * Math.floor(g / 3) + ((g % 3) + 2) % 3)).flat();
    assertClose(onA((v) => sh.ppermute(v, "i", [[0, 1], [1, 2], [2, 0]]))(X()) as Value, { shape: [6, 4], dtype: "float32", data: shifted }, f32);
    // Every element of device x gets the block's 3 rows.
    const gathered = Array.from({ length: 6 }, (_, g) => [0, 1, 2].flatMap((i) => row(3 * Math.floor(g / 3) + i))).flat();
    assertClose(onA((v) => sh.allGather(v, "i"))(X()) as Value, { shape: [6, 3, 4], dtype: "float32", data: gathered }, f32);
  });

  it("psum, pmean, pmax, pmin over ('i', 'x'): over all six elements", () => {
    const xs = fx.X.data.map(Number);
    const col = (j: number): number[] => [0, 1, 2, 3, 4, 5].map((r) => xs[4 * r + j]);
    const each = (f: (c: number[]) => number): { shape: number[]; dtype: string; data: number[] } =>
      ({ shape: [6, 4], dtype: "float32", data: Array.from({ length: 24 }, (_, k) => f(col(k % 4))) });
    const sum = (c: number[]): number => c.reduce((a, b) => a + b, 0);
    assertClose(onA((v) => sh.psum(v, ["i", "x"]))(X()) as Value, each(sum), f32);
    assertClose(onA((v) => sh.pmean(v, ["x", "i"]))(X()) as Value, each((c) => sum(c) / 6), f32);
    assertClose(onA((v) => sh.pmax(v, ["i", "x"]))(X()) as Value, each((c) => Math.max(...c)), f32);
    assertClose(onA((v) => sh.pmin(v, ["x", "i"]))(X()) as Value, each((c) => Math.min(...c)), f32);
  });

  it("under jit (of the shard_map, and of the vmapped body)", () => {
    assertClose(jit(onA((v) => sh.allGather(v, ["i", "x"])))(X()) as Value, fx.A_all_gather_ix, f32);
    const cycle: Perm = Array.from({ length: 6 }, (_, k) => [k, (k + 1) % 6]);
    assertClose(jit(onA((v) => sh.ppermute(v, ["i", "x"], cycle)))(X()) as Value, fx.A_ppermute_ix_cycle, f32);
    const body = jit((w: Value) => sh.psumScatter(w, ["i", "x"]));
    assertClose(onA(body)(fromFixture(fx.W)) as Value, fx.A_psum_scatter_ix, f32);
  });

  it("a 2-D mesh with the vmapped axis between its axes: ('x', 'i', 'y'), ('y', 'i', 'x')", () => {
    const mesh2 = sh.makeMesh([2, 2], ["x", "y"], { devices: cpuDevices() });
    const onC = (body: (v: Value) => Value) =>
      sh.shardMap((b: Value) => vmap(body, { axisName: "i" })(b), { mesh: mesh2, in_specs: sh.P("x", "y"), out_specs: sh.P(["x", "y"]), check_vma: false });
    const Z = fromFixture(fx.Z);
    assertClose(onC((v) => sh.allGather(v, ["x", "i", "y"]))(Z) as Value, fx.C_all_gather_xiy, f32);
    assertClose(onC(() => sh.axisIndex(["y", "i", "x"]))(Z) as Value, fx.C_axis_index_yix, exact);
    const shift: Perm = Array.from({ length: 8 }, (_, d) => [(d + 3) % 8, d]);
    assertClose(onC((v) => sh.ppermute(v, ["x", "i", "y"], shift))(Z) as Value, fx.C_ppermute_xiy, f32);
    // Element (x, y, i) reads row 4x + 2y + i of U: its 8 values, scattered over ('x', 'i', 'y').
    const scatter = sh.shardMap((b: Value) => vmap((u: Value) => sh.psumScatter(u, ["x", "i", "y"]), { axisName: "i" })(b), {
      mesh: mesh2, in_specs: sh.P(["x", "y"]), out_specs: sh.P(["x", "y"]), check_vma: false,
    });
    assertClose(scatter(fromFixture(fx.U)) as Value, fx.C_psum_scatter_xiy, f32);
  });

  describe("gradients through mixed-axis collectives, against PyTorch", () => {
    const K = (): Value => fromFixture(fx.K);
    const cycle: Perm = Array.from({ length: 6 }, (_, k) => [k, (k + 1) % 6]);
    // Each element's output weighted by its slice of K (split over 'x' and the vmap like X).
    const weighted = (body: (v: Value, k: Value) => Value) => (x: Value): Value => {
      const per = sh.shardMap((b: Value, kb: Value) => vmap(body, { axisName: "i" })(b, kb), { mesh, in_specs: [sh.P("x"), sh.P("x")], out_specs: sh.P("x"), check_vma: false })(x, K()) as Value;
      return lax.reduceSum(per, [0]);
    };
    const fGather = weighted((v, k) => lax.reduceSum(lax.mul(lax.tanh(sh.allGather(v, ["i", "x"])), k), [0, 1]));
    const fPsum = weighted((v, k) => lax.reduceSum(lax.mul(lax.mul(v, sh.psum(lax.sin(v), ["i", "x"])), lax.indexInDim(k, 0, 0, false)), [0]));
    const fPerm = weighted((v, k) => lax.reduceSum(lax.mul(lax.cos(sh.ppermute(v, ["i", "x"], cycle)), lax.indexInDim(k, 1, 0, false)), [0]));
    const fScatter = weighted((w, k) => lax.reduceSum(lax.mul(sh.psumScatter(lax.mul(w, w), ["i", "x"]), lax.indexInDim(k, 2, 0, false)), [0]));
    const tol = { rtol: 1e-4, atol: 1e-5, checkDtype: false };

    it("all_gather and psum", () => {
      assertClose(grad(fGather)(X()) as Value, fx.grad_gather_ix, tol);
      assertClose(grad(fPsum)(X()) as Value, fx.grad_psum_ix, tol);
    });
    it("ppermute and psum_scatter", () => {
      assertClose(grad(fPerm)(X()) as Value, fx.grad_ppermute_ix, tol);
      assertClose(grad(fScatter)(fromFixture(fx.W)) as Value, fx.grad_scatter_ix, tol);
    });
    it("under jit", () => {
      assertClose(jit(grad(fGather))(X()) as Value, fx.grad_gather_ix, tol);
      assertClose(jit(grad(fScatter))(fromFixture(fx.W)) as Value, fx.grad_scatter_ix, tol);
    });
  });
});

describe("collectives over two vmapped axes", function () {
  this.timeout(60_000);
  // N (2 x 3 x 4): vmapped over 'outer' (2) then 'inner' (3); collectives over ('inner', 'outer').
  const nested = (body: (v: Value) => Value) => vmap(vmap(body, { axisName: "inner" }), { axisName: "outer" });
  const io = ["inner", "outer"];

  it("all_gather, axis_index, ppermute, psum_scatter", () => {
    const N = fromFixture(fx.N);
    assertClose(nested((v) => sh.allGather(v, io))(N), fx.B_all_gather_io, f32);
    assertClose(nested(() => sh.axisIndex(io))(N), fx.B_axis_index_io, exact);
    const back2: Perm = Array.from({ length: 6 }, (_, d) => [(d + 2) % 6, d]);
    assertClose(nested((v) => sh.ppermute(v, io, back2))(N), fx.B_ppermute_io, f32);
    assertClose(nested((v) => sh.psumScatter(v, io))(fromFixture(fx.V)), fx.B_psum_scatter_io, f32);
  });

  it("under jit", () => {
    assertClose(jit(nested((v) => sh.allGather(v, io)))(fromFixture(fx.N)) as Value, fx.B_all_gather_io, f32);
    assertClose(jit(nested((v) => sh.psumScatter(v, io)))(fromFixture(fx.V)) as Value, fx.B_psum_scatter_io, f32);
  });
});
