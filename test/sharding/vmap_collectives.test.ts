/**
 * @file Collectives over a vmapped axis (`vmap(f, axis_name='i')` with lax.psum/pmean/pmax/pmin/
 * all_gather/psum_scatter/ppermute/axis_index inside), under jit, in nested vmaps, with unbatched
 * operands, and vmap of a function calling shard_map — against NumPy references.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import type { Value } from "../../kernel/ir/core.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

const fx = loadFixture<Record<string, FixtureArray>>("sharding");
const f32 = { rtol: 2e-5, atol: 2e-6, checkDtype: false };
const named = { axisName: "i" };

describe("collectives over a vmapped axis", function () {
  this.timeout(120_000);
  const c = (): Value => fromFixture(fx.c);

  it("psum, pmean, pmax, pmin reduce over the batch", () => {
    assertClose(vmap((x: Value) => sh.psum(x, "i"), named)(c()), fx.c_psum, f32);
    assertClose(vmap((x: Value) => sh.pmean(x, "i"), named)(c()), fx.c_pmean, f32);
    assertClose(vmap((x: Value) => sh.pmax(x, "i"), named)(c()), fx.c_pmax, f32);
    assertClose(vmap((x: Value) => sh.pmin(x, "i"), named)(c()), fx.c_pmin, f32);
  });

  it("all_gather stacks (or concatenates) the batch for every element", () => {
    assertClose(vmap((x: Value) => sh.allGather(x, "i"), named)(c()), fx.c_all_gather, f32);
    assertClose(vmap((x: Value) => sh.allGather(x, "i", { axis: 1 }), named)(c()), fx.c_all_gather_axis1, f32);
    assertClose(vmap((x: Value) => sh.allGather(x, "i", { tiled: true }), named)(c()), fx.c_all_gather_tiled, f32);
  });

  it("axis_index counts along the batch; ppermute shifts it", () => {
    assertClose(vmap((_x: Value) => sh.axisIndex("i"), named)(c()), fx.c_axis_index, { checkDtype: true });
    const shift = Array.from({ length: 5 }, (_, k) => [k, k + 1] as [number, number]);
    assertClose(vmap((x: Value) => sh.ppermute(x, "i", shift), named)(c()), fx.c_ppermute, f32);
  });

  it("psum_scatter sums the batch and gives each element its part", () => {
    assertClose(vmap((x: Value) => sh.psumScatter(x, "i", { tiled: true }), named)(fromFixture(fx.v)), fx.v_psum_scatter_tiled, f32);
    assertClose(vmap((x: Value) => sh.psumScatter(x, "i"), named)(fromFixture(fx.v4)), fx.v4_psum_scatter, f32);
  });

  it("an unbatched operand is the same for every element: psum multiplies it by the axis size", () => {
    const ones = lax.broadcastInDim(lax.convertElementType(1, "float32"), [4], []);
    const out = vmap((x: Value) => lax.add(lax.mul(x, 0), sh.psum(ones, "i")), named)(c());
    assertClose(out, { shape: [6, 4], dtype: "float32", data: new Array<number>(24).fill(6) }, f32);
  });

  it("works under jit (inside and outside the vmap) and gathers for comparisons", () => {
    const center = (x: Value): Value => lax.sub(x, sh.pmean(x, "i"));
    assertClose(jit(vmap(center, named))(c()) as Value, fx.c_centered, f32);
    assertClose(vmap(jit(center), named)(c()), fx.c_centered, f32);
    // For each element, how many elements of the batch exceed it (all_gather + compare).
    const rank = (x: Value): Value => lax.reduceSum(lax.convertElementType(lax.lt(lax.broadcastInDim(x, [6, 4], [1]), sh.allGather(x, "i")), "int32"), [0]);
    assertClose(jit(vmap(rank, named))(c()) as Value, fx.c_rank, { checkDtype: true });
  });

  it("nested vmaps name their own axes: psum over the outer, the inner, or both", () => {
    const n = fromFixture(fx.n);
    const nested = (axes: string | string[]) => vmap(vmap((x: Value) => sh.psum(x, axes), { axisName: "inner" }), { axisName: "outer" });
    assertClose(nested("outer")(n), fx.n_psum_outer, f32);
    assertClose(nested("inner")(n), fx.n_psum_inner, f32);
    assertClose(nested(["outer", "inner"])(n), fx.n_psum_both, f32);
  });

  it("raises NameError for an axis name no vmap or shard_map binds", () => {
    assert.throws(() => vmap((x: Value) => sh.psum(x, "j"), named)(c()), (e: Error) => e.name === "NameError" && /unbound axis name: j/.test(e.message));
  });

  it("vmap of a function calling shard_map", () => {
    sh.setCpuDeviceCount(2);
    try {
      const mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices() });
      const sums = sh.shardMap((b: Value) => sh.psum(b, "x"), { mesh, in_specs: sh.P("x"), out_specs: sh.P() });
      // Each row of v (4 x 8) as two blocks of 4: their sum.
      const v = fromFixture(fx.v);
      const out = vmap((row: Value) => sums(row))(v);
      const data = fx.v.data as number[];
      const want = Array.from({ length: 16 }, (_, k) => data[Math.floor(k / 4) * 8 + (k % 4)] + data[Math.floor(k / 4) * 8 + (k % 4) + 4]);
      assertClose(out, { shape: [4, 4], dtype: "float32", data: want }, f32);
    } finally {
      sh.setCpuDeviceCount(null);
    }
  });
});
