/**
 * @file Computing on sharded arrays against NumPy/PyTorch references: the post's function eager
 * and under jit, reductions over split and unsplit dimensions (partials + all-reduce), a matrix
 * product split on its contracting dimension, grad and vmap through sharded jit, jit with
 * in/out shardings and sharding constraints, the gathered fallback (and its log), and shard_map
 * with every collective and its errors.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { Array } from "../../kernel/backend/array.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import type { Value } from "../../kernel/ir/core.js";
import * as lax from "../../kernel/lax/index.js";
import * as jnp from "../../kernel/numpy/index.js";
import { jit } from "../../kernel/jit/index.js";
import { grad, valueAndGrad } from "../../kernel/ad/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { type FixtureArray, assertClose, decode, fromFixture, loadFixture } from "../util.js";

const fx = loadFixture<Record<string, FixtureArray>>("sharding");
const f32 = { rtol: 2e-5, atol: 2e-6, checkDtype: false };
const values = (a: FixtureArray): number[] => a.data.map(decode);

const post = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));

function sharded(x: unknown): sh.ShardedArray {
  assert.ok(x instanceof sh.ShardedArray, `expected a sharded array, got ${String(x)}`);
  return x;
}

describe("computing on sharded arrays", function () {
  this.timeout(300_000);
  let mesh4: sh.Mesh, mesh22: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(4);
    mesh4 = sh.makeMesh([4, 1], ["x", "y"], { devices: cpuDevices() });
    mesh22 = sh.makeMesh([2, 2], ["a", "b"], { devices: cpuDevices() });
  });
  after(() => sh.setCpuDeviceCount(null));
  const put = (x: Value, mesh: sh.Mesh, spec: sh.PartitionSpec): sh.ShardedArray => sharded(sh.devicePut(x, new sh.NamedSharding(mesh, spec)));

  it("the post's function, eager and jit, on the post's layout equals NumPy and keeps the layout", () => {
    const y = put(fromFixture(fx.x), mesh4, sh.P(["x", "y"]));
    const eager = sharded(post(y));
    const staged = sharded(jit(post)(y));
    assertClose(eager, fx.post_f, f32);
    assertClose(staged, fx.post_f, f32);
    assert.equal(staged.sharding.spec.toString(), "PartitionSpec(('x', 'y'),)");
    // One fused kernel per device: one compiled segment, no communication.
    assert.deepEqual(staged.shards.map((s) => s.device.id), [0, 1, 2, 3]);
  });

  it("reduces over split dimensions with an all-reduce, over others locally", () => {
    const a = fromFixture(fx.a);
    for (const spec of [sh.P("a", "b"), sh.P(["a", "b"]), sh.P(null, "b"), sh.P("b")]) {
      const y = put(a, mesh22, spec);
      const what = spec.toString();
      assertClose(lax.reduceSum(y, [0]), fx.a_sum0, { ...f32, msg: `sum axis 0, ${what}` });
      assertClose(lax.reduceSum(y, [1]), fx.a_sum1, { ...f32, msg: `sum axis 1, ${what}` });
      assertClose(jit((v: Value) => lax.reduceSum(v, [0, 1]))(y) as Value, fx.a_sum, { ...f32, msg: `jit sum, ${what}` });
      assertClose(lax.reduceMax(y, [0]), fx.a_max0, { ...f32, msg: `max, ${what}` });
      assertClose(jit((v: Value) => lax.reduceMin(v, [1]))(y) as Value, fx.a_min1, { ...f32, msg: `min, ${what}` });
      assertClose(jnp.mean(y) as Value, fx.a_mean, { ...f32, msg: `mean, ${what}` });
      assertClose(lax.cumsum(y, 1) as Value, fx.a_cumsum1, { ...f32, msg: `cumsum, ${what}` });
    }
    const s = sharded(lax.reduceSum(put(a, mesh22, sh.P("a", "b")), [0]));
    assert.equal(s.sharding.spec.toString(), "PartitionSpec('b',)");
  });

  it("computes matrix products split on rows, on the contracting dimension (partial sums), or both", () => {
    const a = fromFixture(fx.a), b = fromFixture(fx.b);
    const mm = jit((l: Value, r: Value) => lax.dotGeneral(l, r, [[[1], [0]], [[], []]]));
    for (const [la, lb] of [[sh.P("a"), sh.P()], [sh.P(null, "a"), sh.P("a")], [sh.P("a", "b"), sh.P("b")], [sh.P(null, ["a", "b"]), sh.P()]]) {
      const out = mm(put(a, mesh22, la), put(b, mesh22, lb)) as Value;
      assertClose(out, fx.ab, { ...f32, msg: `${la.toString()} @ ${lb.toString()}` });
    }
  });

  it("composes: softmax and centering under jit on a 2-D mesh", () => {
    const a = fromFixture(fx.a);
    const softmax = jit((x: Value) => {
      const e = lax.exp(lax.sub(x, lax.broadcastInDim(lax.reduceMax(x, [1]), [8, 12], [0])));
      return lax.div(e, lax.broadcastInDim(lax.reduceSum(e, [1]), [8, 12], [0]));
    });
    const center = jit((x: Value) => jnp.subtract(x, jnp.mean(x, { axis: 0, keepdims: true })));
    for (const spec of [sh.P("a", "b"), sh.P(null, ["a", "b"]), sh.P("b")]) {
      assertClose(softmax(put(a, mesh22, spec)) as Value, fx.softmax, { ...f32, msg: spec.toString() });
      assertClose(center(put(a, mesh22, spec)) as Value, fx.centered, { ...f32, msg: spec.toString() });
    }
  });

  it("differentiates through sharded jit and vmaps over sharded arrays", () => {
    const y = put(fromFixture(fx.x), mesh4, sh.P("x"));
    const loss = (v: Value): Value => lax.reduceSum(post(v), [0]);
    const g = sharded(jit(grad(loss))(y) as Value);
    assertClose(g, fx.post_grad, { rtol: 1e-4, atol: 1e-5, checkDtype: false });
    assert.equal(g.sharding.spec.toString(), "PartitionSpec('x',)");
    assertClose(grad(jit(loss))(y) as Value, fx.post_grad, { rtol: 1e-4, atol: 1e-5, checkDtype: false });
    const [v] = valueAndGrad(jit(loss))(y) as [Value, Value];
    const total = (fx.post_f.data as number[]).reduce((s, t) => s + t, 0);
    assert.ok(Math.abs((v as Array).item() as number - total) < 1e-4);
    assertClose(sharded(vmap(grad(post))(y) as Value), fx.post_grad, { rtol: 1e-4, atol: 1e-5, checkDtype: false });
    assertClose(sharded(jit(vmap(grad(post)))(y) as Value), fx.post_grad, { rtol: 1e-4, atol: 1e-5, checkDtype: false });
  });

  it("jit places arguments by in_shardings and results by out_shardings", () => {
    const x = fromFixture(fx.x);
    const s = new sh.NamedSharding(mesh4, sh.P("x"));
    const rep = new sh.NamedSharding(mesh4, sh.P());
    const f = sh.jit((v: Value) => [post(v), lax.reduceSum(v, [0])], { in_shardings: s, out_shardings: [rep, rep] });
    const [a, b] = f(x) as [Value, Value];
    assertClose(a, fx.post_f, f32);
    assert.equal(sharded(a).sharding.spec.toString(), "PartitionSpec()");
    assert.ok(sharded(b).isFullyReplicated());
    assert.throws(() => sh.jit(post, { in_shardings: new sh.NamedSharding(mesh4, sh.P("x")) })(Array.fromHost([1, 2, 3], [3], "float32")), (e: Error) => {
      assert.equal(e.name, "ValueError");
      assert.match(e.message, /^One of pjit arguments with pytree key path args\[0\] was given the sharding of NamedSharding\(.*\), which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 3 \(full shape: \(3,\)\)$/);
      return true;
    });
    // JAX's exact text, with the parameter's name as its key path; outputs are "result".
    const s4 = "NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec('x',), memory_kind=unpinned_host)";
    const ten = Array.fromHost(new Float32Array(10), [10], "float32");
    assert.throws(() => sh.jit((v: Value, _p: unknown) => post(v), { in_shardings: [null, { w: s }], argNames: ["x", "params"] })(ten, { w: ten }), (e: Error) =>
      e.name === "ValueError" && e.message === `One of pjit arguments with pytree key path params['w'] was given the sharding of ${s4}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 10 (full shape: (10,))`);
    assert.throws(() => sh.jit((v: Value) => [v, lax.reduceSum(v, [0])], { out_shardings: [s, s] })(ten), (e: Error) =>
      e.name === "ValueError" && e.message === `One of pjit outputs with pytree key path result[0] was given the sharding of ${s4}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 10 (full shape: (10,))`);
  });

  it("with_sharding_constraint fixes a layout inside jit and relays arrays out outside", () => {
    const x = fromFixture(fx.x);
    const s = new sh.NamedSharding(mesh4, sh.P("x"));
    const f = jit((v: Value) => post(sh.withShardingConstraint(v, s)));
    const out = sharded(f(x));
    assertClose(out, fx.post_f, f32);
    assert.equal(out.sharding.spec.toString(), "PartitionSpec('x',)");
    assert.match(printJaxpr(makeJaxpr((v: Value) => sh.withShardingConstraint(v, s))(x)), /sharding_constraint\[/);
    assert.equal(sharded(sh.withShardingConstraint(x, s)).sharding.spec.toString(), "PartitionSpec('x',)");
  });

  it("gathers to one device for a primitive without a sharding rule, correctly, and logs it", () => {
    const y = put(fromFixture(fx.a), mesh22, sh.P("a", "b"));
    const logged: string[] = [];
    const stop = sh.onShardingLog((m) => logged.push(m));
    const out = jit((v: Value) => lax.bitcastConvertType(v, "int32"))(y) as Value;
    stop();
    assertClose(out, fx.a_bits, { rtol: 0, atol: 0 });
    assert.ok(logged.some((m) => m.startsWith("no sharding rule for bitcast_convert_type")), logged.join("\n"));
  });

  describe("shard_map", () => {
    const blocksOf = (v: Value): sh.ShardedArray => sharded(v);
    it("psum, pmean, pmax over the blocks", () => {
      const x = fromFixture(fx.x);
      const f = sh.shardMap((b: Value) => [sh.psum(b, "x"), sh.pmean(b, "x"), sh.pmax(b, "x")], { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P() });
      const [s, m, mx] = f(x) as Value[];
      assertClose(s, fx.psum_blocks, f32);
      assertClose(m, fx.pmean_blocks, f32);
      assertClose(mx, fx.pmax_blocks, f32);
      assert.ok(blocksOf(s).isFullyReplicated());
    });

    it("all_gather, ppermute and axis_index", () => {
      const x = fromFixture(fx.x);
      const f = sh.shardMap((b: Value) => [sh.allGather(b, "x"), sh.allGather(b, "x", { tiled: true }), sh.ppermute(b, "x", [[0, 1], [1, 2], [2, 3], [3, 0]]), lax.broadcastInDim(sh.axisIndex("x"), [1], [])], {
        mesh: mesh4, in_specs: sh.P("x"), out_specs: [sh.P(), sh.P(), sh.P("x"), sh.P("x")],
      });
      const [stacked, tiled, shifted, idx] = f(x) as Value[];
      assertClose(stacked, fx.all_gather_stacked, f32);
      assertClose(tiled, fx.x, f32);
      assertClose(shifted, fx.ppermute_shift, f32);
      assertClose(idx, fx.axis_index, { rtol: 0, atol: 0 });
    });

    it("psum_scatter, and grad through all_gather (its transpose)", () => {
      const x = fromFixture(fx.x);
      // Each device's 16 values summed over the 4 devices; device j keeps elements 4j..4j+3 (tiled),
      // or row j of the 4x4 sum.
      const tiled = sh.shardMap((b: Value) => sh.psumScatter(b, "x", { tiled: true }), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P("x") });
      assertClose(tiled(x) as Value, fx.psum_scatter_tiled, f32);
      const rows = sh.shardMap((b: Value) => sh.psumScatter(lax.reshape(b, [4, 4]), "x"), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P("x") });
      assertClose(jit(rows)(x) as Value, fx.psum_scatter_rows, f32);
      // Every device sums the squares of all 64 gathered values (the same Σ x², a replicated output):
      // d/dx = 2x, through all_gather's transpose (psum_scatter) of each device's share.
      const gathered = sh.shardMap((b: Value) => lax.reduceSum(lax.mul(sh.allGather(b, "x", { tiled: true }), sh.allGather(b, "x", { tiled: true })), [0]), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P(), check_vma: false });
      assertClose(grad((v: Value) => gathered(v) as Value)(x) as Value, { ...fx.x, data: (fx.x.data as number[]).map((v) => 2 * v) }, f32);
    });

    it("runs inside jit (inlined) and under grad (transposed with psum)", () => {
      const x = fromFixture(fx.x);
      const total = sh.shardMap((b: Value) => sh.psum(lax.reduceSum(lax.mul(b, b), [0]), "x"), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P() });
      const sumsq = (x.toNumbers()).reduce((s, v) => s + v * v, 0);
      assert.ok(Math.abs(((jit(total)(x) as Array).item() as number) - sumsq) < 1e-3);
      // d/dx Σ x² = 2x, from blocks and from the replicated output's cotangent shared per device.
      const g = grad(total)(x) as Value;
      assertClose(g, { ...fx.x, data: (fx.x.data as number[]).map((v) => 2 * v) }, f32);
      const blockSums = sh.shardMap((b: Value) => lax.broadcastInDim(lax.reduceSum(b, [0]), [1], []), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P("x") });
      assertClose(jit(blockSums)(x) as Value, fx.block_sums, f32);
    });

    it("on a 2-D mesh: psum over one axis, vmapped, jitted and differentiated", () => {
      const a = fromFixture(fx.a);
      const rowSums = sh.shardMap((blk: Value) => sh.psum(lax.reduceSum(blk, [1]), "b"), { mesh: mesh22, in_specs: sh.P("a", "b"), out_specs: sh.P("a") });
      assertClose(rowSums(a) as Value, fx.a_sum1, f32);
      const twice = lax.broadcastInDim(a, [2, 8, 12], [1, 2]);
      const sums = values(fx.a_sum1);
      assertClose(vmap(rowSums)(twice) as Value, { shape: [2, 8], dtype: "float32", data: [...sums, ...sums] }, f32);
      assertClose(jit(vmap(rowSums))(twice) as Value, { shape: [2, 8], dtype: "float32", data: [...sums, ...sums] }, f32);
      // d/da Σ_i (Σ_j a_ij)² = 2 Σ_j a_ij for every entry of row i.
      const g = grad((x: Value) => { const r = rowSums(x) as Value; return lax.reduceSum(lax.mul(r, r), [0]); })(a) as Value;
      assertClose(g, { shape: [8, 12], dtype: "float32", data: sums.flatMap((s) => new globalThis.Array<number>(12).fill(2 * s)) }, { ...f32, rtol: 1e-4 });
    });

    it("raises JAX's errors for indivisible arguments, unprovable replication and unbound axis names", () => {
      const f = sh.shardMap(function add1(b: Value) { return lax.add(b, 1); }, { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P("x") });
      assert.throws(() => f(Array.fromHost([1, 2, 3, 4, 5, 6], [6], "float32")), (e: Error) => {
        assert.equal(e.name, "ValueError");
        assert.ok(e.message.startsWith("shard_map applied to the function 'add1' was given argument arrays with axis sizes that are not evenly divisible by the corresponding mesh axis sizes:\n\nThe mesh given has shape (4, 1) with corresponding axis names ('x', 'y').\n\nargs[0] of shape f32[6] corresponds to in_specs[0] of value PartitionSpec('x',), which maps array axis 0 (of size 6) to mesh axis 'x' (of size 4), but 4 does not evenly divide 6"), e.message);
        return true;
      });
      // An output said to be replicated (P()) that varies over 'x' (check_vma, as JAX).
      const blocks = sh.shardMap(function ident(b: Value) { return b; }, { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P() });
      assert.throws(() => blocks(fromFixture(fx.x)), (e: Error) => {
        assert.equal(e.name, "ValueError");
        assert.equal(e.message, "shard_map applied to the function 'ident' was given out_specs which require replication which can't be statically inferred given the mesh:\n\nThe mesh given has shape (4, 1) with corresponding axis names ('x', 'y').\n\nout_specs is PartitionSpec() which implies that the corresponding output value is only varying across mesh axes {} and not {x}, but it was inferred to be possibly varying over {x}\n\nCheck if these output values are meant to be replicated over those mesh axes. If not, consider revising the corresponding out_specs entries. If so, consider disabling the check by passing the check_vma=False argument to `jax.shard_map`.");
        return true;
      });
      const oneAxis = sh.makeMesh([4], ["i"], { devices: cpuDevices() });
      assert.throws(() => sh.shardMap((b: Value) => [lax.mul(b, 2)], { mesh: oneAxis, in_specs: sh.P("i"), out_specs: [sh.P()] })(fromFixture(fx.x)), (e: Error) =>
        e.message.includes("out_specs[0] is PartitionSpec() which implies that the corresponding output value is replicated across mesh axis 'i', but could not infer replication over any axes"));
      const unchecked = sh.shardMap((b: Value) => b, { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P(), check_vma: false })(fromFixture(fx.x)) as Value;
      assertClose(unchecked, { ...fx.x, shape: [16], data: fx.x.data.slice(0, 16) }, f32);
      const g = sh.shardMap((b: Value) => sh.psum(b, "z"), { mesh: mesh4, in_specs: sh.P("x"), out_specs: sh.P("x") });
      assert.throws(() => g(fromFixture(fx.x)), (e: Error) => e.name === "NameError" && e.message === "unbound axis name: z");
      assert.throws(() => sh.psum(fromFixture(fx.x), "x"), (e: Error) => e.name === "NameError");
      assert.throws(() => sh.shardMap((b: Value) => b, { mesh: mesh4, in_specs: sh.P("q"), out_specs: sh.P() }), (e: Error) => e.name === "ValueError" && /Resource axis: q/.test(e.message));
    });
  });
});
