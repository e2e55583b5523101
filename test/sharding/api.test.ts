/**
 * @file The sharding API: CPU devices (counted from XLA_FLAGS / jax_num_cpu_devices at every
 * query, each on its own thread), meshes, partition specs and shardings with JAX's reprs and
 * errors, device_put (blocks, replication, changes of layout), and visualize_array_sharding.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { Array } from "../../kernel/backend/array.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import { CpuThreadBackend } from "../../kernel/backend/cpu-threads.js";
import * as lax from "../../kernel/lax/index.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

const fx = loadFixture<Record<string, FixtureArray>>("sharding");
const iota = (shape: number[]): Array => Array.fromHost(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape, "float32");

/** Asserts that `fn` throws an error of class name `name` whose message starts with `start`. */
function throwsLike(fn: () => unknown, name: string, start: string): void {
  assert.throws(fn, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.ok(e.message.startsWith(start), `message:\n${e.message}\nexpected to start with:\n${start}`);
    return true;
  });
}

describe("sharding API", function () {
  this.timeout(120_000);
  const saved = process.env.XLA_FLAGS;
  before(() => delete process.env.XLA_FLAGS);
  after(() => (saved === undefined ? delete process.env.XLA_FLAGS : (process.env.XLA_FLAGS = saved)));
  afterEach(() => {
    sh.setCpuDeviceCount(null);
    delete process.env.XLA_FLAGS;
  });

  describe("CPU devices", () => {
    it("are counted from XLA_FLAGS at every query, and from jax_num_cpu_devices", () => {
      assert.equal(cpuDevices().length, 1);
      process.env.XLA_FLAGS = "--xla_force_host_platform_device_count=4";
      assert.deepEqual(cpuDevices().map(String), ["CpuDevice(id=0)", "CpuDevice(id=1)", "CpuDevice(id=2)", "CpuDevice(id=3)"]);
      sh.setCpuDeviceCount(2);
      assert.equal(cpuDevices().length, 2);
      sh.setCpuDeviceCount(null);
      assert.equal(cpuDevices().length, 4);
      assert.throws(() => sh.setCpuDeviceCount(0), TypeError);
    });

    it("run kernels on their own threads; arrays stay valid when the count drops", () => {
      sh.setCpuDeviceCount(4);
      const d3 = cpuDevices()[3];
      assert.ok(d3.backend instanceof CpuThreadBackend);
      const x = fromFixture(fx.x, d3);
      const f = lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2)))) as Array;
      assert.equal(f.device, d3);
      sh.setCpuDeviceCount(1);
      assertClose(f, fx.post_f, { rtol: 2e-5, atol: 1e-6 });
      assertClose(lax.add(f, 1) as Array, { ...fx.post_f, data: (fx.post_f.data as number[]).map((v) => v + 1) }, { rtol: 2e-6, atol: 1e-6 });
    });
  });

  describe("meshes, specs and shardings", () => {
    beforeEach(() => sh.setCpuDeviceCount(4));

    it("print as JAX prints them", () => {
      const mesh = sh.makeMesh([4, 1], ["x", "y"]);
      assert.equal(mesh.toString(), "Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto))");
      assert.equal(mesh.repr(), "Mesh(axis_sizes=(4, 1), axis_names=('x', 'y'), axis_types=(Auto, Auto))");
      assert.equal(sh.P(["x", "y"]).toString(), "PartitionSpec(('x', 'y'),)");
      assert.equal(sh.P("x", null).toString(), "PartitionSpec('x', None)");
      assert.equal(sh.P().toString(), "PartitionSpec()");
      assert.equal(sh.P(["x"]).toString(), "PartitionSpec('x',)");
      const s = new sh.NamedSharding(mesh, sh.P(["x", "y"]));
      assert.equal(s.toString(), "NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec(('x', 'y'),))");
      const y = sh.devicePut(iota([8]), s) as sh.ShardedArray;
      assert.equal(y.sharding.toString(), "NamedSharding(mesh=Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto)), spec=PartitionSpec(('x', 'y'),), memory_kind=unpinned_host)");
      assert.equal(new sh.SingleDeviceSharding(cpuDevices()[0]).toString(), "SingleDeviceSharding(device=CpuDevice(id=0))");
    });

    it("nest devices as grids (Mesh) and take the first devices (make_mesh)", () => {
      const d = cpuDevices();
      const mesh = new sh.Mesh([[d[0], d[1]], [d[2], d[3]]], ["a", "b"]);
      assert.deepEqual(mesh.shape, [2, 2]);
      assert.deepEqual(mesh.coords(2), [1, 0]);
      assert.deepEqual(mesh.group(1, ["a"]), [1, 3]);
      assert.deepEqual(sh.makeMesh([2], ["x"]).devices.map((x) => x.id), [0, 1]);
      throwsLike(() => new sh.Mesh([d[0], d[1]], ["a", "b"]), "ValueError", "Mesh requires the ndim of its first argument (`devices`) to equal the length of its second argument (`axis_names`), but got devices.ndim == 1 and len(axis_names) == 2.");
      throwsLike(() => sh.makeMesh([4, 2], ["x", "y"]), "ValueError", "Number of devices 4 must be >= the product of mesh_shape (4, 2)");
    });

    it("reject unknown and repeated axis names, too-long specs and indivisible dimensions as JAX does", () => {
      const mesh = sh.makeMesh([2, 2], ["data", "model"]);
      throwsLike(() => new sh.NamedSharding(mesh, sh.P("batch", null)), "ValueError", "Resource axis: batch of PartitionSpec('batch', None) is not found in mesh: ('data', 'model').");
      throwsLike(() => new sh.NamedSharding(mesh, sh.P("data", "data")), "DuplicateSpecError", "A single NamedSharding spec specification can map every mesh axis to at most one positional dimension, but PartitionSpec('data', 'data') has duplicate entries for `data`");
      throwsLike(
        () => sh.devicePut(iota([6, 16]), new sh.NamedSharding(mesh, sh.P(["data", "model"]))),
        "ValueError",
        "One of device_put args was given the sharding of NamedSharding(mesh=Mesh('data': 2, 'model': 2, axis_types=(Auto, Auto)), spec=PartitionSpec(('data', 'model'),), memory_kind=unpinned_host), which implies that the global size of its dimension 0 should be divisible by 4, but it is equal to 6 (full shape: (6, 16))",
      );
      throwsLike(
        () => sh.devicePut(iota([8]), new sh.NamedSharding(mesh, sh.P("data", "model"))),
        "ValueError",
        "One of device_put args is incompatible with its sharding annotation NamedSharding(mesh=Mesh('data': 2, 'model': 2, axis_types=(Auto, Auto)), spec=PartitionSpec('data', 'model'), memory_kind=unpinned_host): Sharding NamedSharding(mesh=Mesh('data': 2, 'model': 2, axis_types=(Auto, Auto)), spec=PartitionSpec('data', 'model'), memory_kind=unpinned_host) is only valid for values of rank at least 2, but was applied to a value of rank 1.",
      );
    });
  });

  describe("device_put", () => {
    beforeEach(() => sh.setCpuDeviceCount(4));

    it("splits an array into one block per device, replicated over the axes the spec leaves out", () => {
      const mesh = sh.makeMesh([2, 2], ["a", "b"]);
      const y = sh.devicePut(iota([4, 6]), new sh.NamedSharding(mesh, sh.P("a"))) as sh.ShardedArray;
      const shards = y.addressableShards;
      assert.deepEqual(shards.map((s) => s.device.id), [0, 1, 2, 3]);
      assert.deepEqual(shards.map((s) => s.index), [[[0, 2], [0, 6]], [[0, 2], [0, 6]], [[2, 4], [0, 6]], [[2, 4], [0, 6]]]);
      assert.deepEqual(shards[3].data.toNumbers(), [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
      assert.equal(shards[1].data.device.id, 1);
      assert.equal(y.isFullyReplicated(), false);
      assert.deepEqual(y.toNumbers(), iota([4, 6]).toNumbers());
      assert.equal((sh.devicePut(iota([4]), new sh.NamedSharding(mesh, sh.P())) as sh.ShardedArray).isFullyReplicated(), true);
    });

    it("changes layouts: within blocks by slicing on each device, else through the host", () => {
      const mesh = sh.makeMesh([2, 2], ["a", "b"]);
      const x = iota([8, 4]);
      const layouts = [sh.P(), sh.P("a"), sh.P("a", "b"), sh.P(["a", "b"]), sh.P("b", "a"), sh.P(null, ["b", "a"]), sh.P()];
      let y: unknown = x;
      for (const spec of layouts) {
        y = sh.devicePut(y, new sh.NamedSharding(mesh, spec));
        const s = y as sh.ShardedArray;
        assert.equal(s.sharding.spec.toString(), spec.toString());
        assert.deepEqual(s.toNumbers(), x.toNumbers(), spec.toString());
        s.shards.forEach((b, k) => assert.deepEqual(b.toNumbers(), x.toNumbers().filter((_, i) => {
          const [[r0, r1], [c0, c1]] = s.addressableShards[k].index;
          const r = Math.floor(i / 4), c = i % 4;
          return r >= r0 && r < r1 && c >= c0 && c < c1;
        }), `${spec.toString()} block ${k}`));
      }
      const back = sh.devicePut(y, cpuDevices()[2]) as Array;
      assert.ok(!(back instanceof sh.ShardedArray));
      assert.equal(back.device.id, 2);
      assert.deepEqual(back.toNumbers(), x.toNumbers());
    });
  });

  describe("visualize_array_sharding", () => {
    beforeEach(() => sh.setCpuDeviceCount(4));

    it("draws the post's layout as one row of four cells, CPU 0 to CPU 3", () => {
      const mesh = sh.makeMesh([4, 1], ["x", "y"]);
      const y = sh.devicePut(iota([10000]), new sh.NamedSharding(mesh, sh.P(["x", "y"])));
      assert.equal(sh.shardingText(y), ["┌───────┬───────┬───────┬───────┐", "│ CPU 0 │ CPU 1 │ CPU 2 │ CPU 3 │", "└───────┴───────┴───────┴───────┘"].join("\n"));
      assert.deepEqual(sh.shardingData(y), {
        shape: [10000],
        mesh: { axis_names: ["x", "y"], shape: [4, 1] },
        spec: [["x", "y"]],
        devices: ["CPU 0", "CPU 1", "CPU 2", "CPU 3"],
        tiles: [0, 1, 2, 3].map((k) => ({ device: k, index: [[k * 2500, (k + 1) * 2500]] })),
      });
    });

    it("draws 2-D grids sized by the blocks, and replicated blocks as CPU 0,1", () => {
      const mesh = sh.makeMesh([2, 2], ["a", "b"]);
      const grid = sh.shardingText(sh.devicePut(iota([8, 4]), new sh.NamedSharding(mesh, sh.P("a", "b"))));
      const cellRows = ["│       │       │", "│       │       │", "│       │       │"];
      assert.equal(grid, ["┌───────┬───────┐", cellRows[0], "│ CPU 0 │ CPU 1 │", cellRows[1], cellRows[2], "├───────┼───────┤", cellRows[0], "│ CPU 2 │ CPU 3 │", cellRows[1], cellRows[2], "└───────┴───────┘"].join("\n"));
      const rows = sh.devicePut(iota([8, 4]), new sh.NamedSharding(mesh, sh.P("a")));
      const text = sh.shardingText(rows);
      assert.ok(text.includes("│ CPU 0,1  │") && text.includes("│ CPU 2,3  │"), text);
      const data = sh.shardingData(rows);
      assert.deepEqual(data.tiles, [{ device: [0, 1], index: [[0, 4], [0, 4]] }, { device: [2, 3], index: [[4, 8], [0, 4]] }]);
      assert.ok(sh.shardingText(sh.devicePut(iota([4]), new sh.NamedSharding(mesh, sh.P()))).includes("CPU 0,1,2,3"));
      throwsLike(() => sh.shardingText(iota([2, 2, 2])), "ValueError", "`visualize_sharding` only works for shapes with 1 and 2 dimensions.");
    });

    it("shows an array on one device as one cell", () => {
      assert.equal(sh.shardingText(iota([5])), ["┌───────┐", "│ CPU 0 │", "└───────┘"].join("\n"));
      assert.deepEqual(sh.shardingData(iota([5])).tiles, [{ device: 0, index: [[0, 5]] }]);
    });
  });
});
