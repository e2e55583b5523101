/**
 * @file Sharding through `bin/jaxnb run` (JAX_PLATFORMS=cpu, as the post's notebook runs): the
 * post's sequence exactly — XLA_FLAGS set through os.environ after arrays exist, four devices, a
 * (4, 1) mesh, device_put with P(('x', 'y')), visualize_array_sharding's four cells, func(y) and
 * jit(func)(y) equal to func(x) and to NumPy/PyTorch — shard_map with every collective, collectives
 * over vmapped axes, the
 * debug log of the gathered fallback (Python logging), and the errors JAX raises.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { type FixtureArray, decode, loadFixture } from "../util.js";
import { assertAllClose, flat, programs, runCli } from "./run.js";

const fx = loadFixture<Record<string, FixtureArray> & { big_index: number[] }>("sharding");
const values = (a: FixtureArray): number[] => a.data.map(decode);
const cpu = { env: { JAX_PLATFORMS: "cpu" } };

/** The JSON line a program prints last. */
function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
}

describe("jaxnb run: sharding", function () {
  this.timeout(300_000);

  it("runs the post's sequence: 4 devices, four cells CPU 0..3, func(y) and jit(func)(y) equal func(x)", async () => {
    const r = await runCli(["run", path.join(programs, "sharding_post.py")], cpu);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "4");
    assert.deepEqual(lines.slice(1, 4), ["┌───────┬───────┬───────┬───────┐", "│ CPU 0 │ CPU 1 │ CPU 2 │ CPU 3 │", "└───────┴───────┴───────┴───────┘"]);
    const v = lastJson(r.stdout);
    // Arrays made before the flag changed stay valid on their device.
    assert.deepEqual((v.arrays_before_the_flag as number[])[2], 0);
    assertAllClose((v.arrays_before_the_flag as number[]).slice(0, 2), [values(fx.post_f)[0], values(fx.post_f)[63]], "func(linspace(-2, 2)) ends", 1e-5, 1e-7);
    assert.equal(v.sharding, "NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec(('x', 'y'),), memory_kind=unpinned_host)");
    assert.deepEqual(v.shards, [0, 1, 2, 3].map((d) => [d, [[d * 2500000, (d + 1) * 2500000]]]));
    for (const k of ["eager_sharded", "jit_sharded"]) {
      const [spec, diff] = v[k] as [string, number];
      assert.equal(spec, "PartitionSpec(('x', 'y'),)", k);
      assert.ok(diff <= 1e-6, `${k}: max |func(y) - func(x)| = ${diff}`);
    }
    assertAllClose(v.x as number[], values(fx.big_x), "x samples", 1e-6, 1e-6);
    assertAllClose(v.f as number[], values(fx.big_f), "jit(func)(y) samples", 1e-4, 1e-5);
    const [gspec, g] = v.grad as [string, number[]];
    assert.equal(gspec, "PartitionSpec(('x', 'y'),)");
    assertAllClose(g, values(fx.big_grad), "jit(grad(sum∘func))(y) samples", 1e-4, 1e-5);
    assertAllClose(v.vmap_grad as number[], values(fx.big_grad), "vmap(grad(func))(y) samples", 1e-4, 1e-5);
    assert.deepEqual(v.devices, ["TFRT_CPU_0", "TFRT_CPU_1", "TFRT_CPU_2", "TFRT_CPU_3"]);
    assert.deepEqual(v.replicated, [false, true]);
    assert.equal(v.device_is_sharding, true);
    assert.deepEqual(v.array_devices, [0, 1, 2, 3]);
    // Rows split over 'a', replicated over 'b': devices 1 and 3 hold replicas 1 of blocks 0 and 1.
    const rows = (r: string): string => `(slice(${r}, None), slice(None, None, None))`;
    assert.deepEqual(v.shards_2d, [[0, rows("0, 2"), 0], [1, rows("0, 2"), 1], [2, rows("2, 4"), 0], [3, rows("2, 4"), 1]]);
    assert.deepEqual(v.typeof, ["ShapedArray(float32[10000000])", "ShapedArray(float32[4@(a,b),6])", "f32[4@(a,b),6]"]);
  });

  it("computes every collective inside shard_map as NumPy does, eagerly, under jit and under grad", async () => {
    const r = await runCli(["run", path.join(programs, "sharding_collectives.py")], cpu);
    assert.equal(r.code, 0, r.stderr);
    const v = lastJson(r.stdout);
    const tol = [2e-6, 2e-6] as const;
    assertAllClose(flat(v.psum), values(fx.psum_blocks), "psum", ...tol);
    assertAllClose(flat(v.pmean), values(fx.pmean_blocks), "pmean", ...tol);
    assertAllClose(flat(v.pmax), values(fx.pmax_blocks), "pmax", ...tol);
    assert.equal((v.all_gather as unknown[]).length, 4);
    assertAllClose(flat(v.all_gather), values(fx.all_gather_stacked), "all_gather", ...tol);
    assertAllClose(flat(v.all_gather_tiled), values(fx.x), "all_gather tiled", ...tol);
    assertAllClose(flat(v.ppermute), values(fx.ppermute_shift), "ppermute", ...tol);
    assertAllClose(flat(v.psum_scatter), values(fx.psum_scatter_tiled), "psum_scatter", ...tol);
    assert.deepEqual(v.axis_index, [0, 1, 2, 3]);
    assertAllClose(flat(v.block_sum), values(fx.block_sums), "per-block sums", 1e-5, 1e-5);
    assert.equal(v.jit_agrees, true);
    assertAllClose(flat(v.grad), values(fx.x).map((t) => 2 * t), "grad of psum(sum(b²))", ...tol);
    const [sliced, bits, records] = v.gathered as [number[], number[], string[]];
    assertAllClose(sliced, values(fx.x).slice(1, 5), "dynamic_slice of a sharded array", ...tol);
    assertAllClose([...new Float32Array(Int32Array.from(bits).buffer)], values(fx.x), "bitcast_convert_type of a sharded array (its bits read back)", ...tol);
    assert.ok(!records.some((m) => m.includes("dynamic_slice")), `dynamic_slice has a sharding rule; logged: ${JSON.stringify(records)}`);
    assert.ok(records.some((m) => m.startsWith("no sharding rule for bitcast_convert_type")), `logged: ${JSON.stringify(records)}`);
  });

  it("computes collectives over a vmapped axis (vmap with axis_name), eagerly and under jit", async () => {
    const r = await runCli(["run", path.join(programs, "sharding_vmap.py")], cpu);
    assert.equal(r.code, 0, r.stderr);
    const v = lastJson(r.stdout);
    const tol = [2e-6, 2e-6] as const;
    assertAllClose(flat(v.psum), values(fx.rows_psum), "psum over the vmapped rows", ...tol);
    assertAllClose(flat(v.centered), values(fx.rows_centered), "rows minus their pmean, jitted", ...tol);
    assertAllClose(flat(v.pmax), values(fx.rows_pmax), "pmax in a jit inside the vmap", ...tol);
    assertAllClose(flat(v.all_gather_tiled), values(fx.rows_all_gather_tiled), "all_gather tiled", ...tol);
    assert.deepEqual(v.axis_index, [...Array(16).keys()]);
  });

  it("raises JAX's errors for bad specs, indivisible shapes, too few devices and unbound axes", async () => {
    const r = await runCli(["run", path.join(programs, "sharding_errors.py")], cpu);
    assert.equal(r.code, 0, r.stderr);
    const got = new Map(r.stdout.trim().split("\n").filter((l) => l.includes(" -> ")).map((l) => l.split(" -> ") as [string, string]));
    const ns = "NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec('x',), memory_kind=unpinned_host)";
    const expected: Record<string, string> = {
      "unknown axis": "ValueError: Resource axis: z of PartitionSpec('z',) is not found in mesh: ('x', 'y').",
      "repeated axis": "jax._src.named_sharding.DuplicateSpecError: A single NamedSharding spec specification can map every mesh axis to at most one positional dimension, but PartitionSpec('x', 'x') has duplicate entries for `x`",
      indivisible: `ValueError: One of device_put args was given the sharding of ${ns}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 10 (full shape: (10,))`,
      rank: "ValueError: One of device_put args is incompatible with its sharding annotation NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec('x', 'y', None), memory_kind=unpinned_host): Sharding NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec('x', 'y', None), memory_kind=unpinned_host) is only valid for values of rank at least 3, but was applied to a value of rank 1.",
      "too few devices": "ValueError: Number of devices 4 must be >= the product of mesh_shape (8,)",
      "mesh names": "ValueError: Mesh requires the ndim of its first argument (`devices`) to equal the length of its second argument (`axis_names`), but got devices.ndim == 1 and len(axis_names) == 2.",
      "shard_map indivisible": "ValueError: shard_map applied to the function '<lambda>' was given argument arrays with axis sizes that are not evenly divisible by the corresponding mesh axis sizes:",
      "unbound axis": "NameError: unbound axis name: z",
      "psum outside": "NameError: unbound axis name: x",
      "visualize 3-D": "ValueError: `visualize_sharding` only works for shapes with 1 and 2 dimensions.",
      "jit in_shardings": `ValueError: One of pjit arguments with pytree key path a was given the sharding of ${ns}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 6 (full shape: (6,))`,
      "jit in_shardings path": `ValueError: One of pjit arguments with pytree key path params['w'] was given the sharding of ${ns}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 10 (full shape: (10,))`,
      "committed devices":
        "ValueError: Received incompatible devices for jitted computation. Got argument args[0] of add with shape float32[3] and device ids [0] on platform CPU and argument args[1] of add with shape float32[3] and device ids [1] on platform CPU",
    };
    for (const [name, want] of Object.entries(expected)) assert.equal(got.get(name), want, name);
    // Outputs name their path as JAX does (result[0] of the returned tuple).
    assert.equal(got.get("jit out_shardings"), `ValueError: One of pjit outputs with pytree key path result[0] was given the sharding of ${ns}, which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 6 (full shape: (6,))`);
  });
});
