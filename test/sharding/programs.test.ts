/**
 * @file Common programs under jit on arrays split over their batch (or feature) dimension run
 * without gathering anything to one device (the sharding debug log stays empty) and equal the
 * same program on unsharded arrays: the post's function, an MLP layer (dot, tanh, logsumexp) and
 * its gradient, softmax, and the index-heavy primitives (gather, dynamic_slice and
 * dynamic_update_slice, scatter-add, concatenate, pad, cumulative ops, argmax/argmin, sort,
 * select_n, clamp, iota) along unsplit dimensions.
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
import { grad } from "../../kernel/ad/index.js";
import { assertClose } from "../util.js";

const data = (n: number, f: (i: number) => number): Float32Array => Float32Array.from({ length: n }, (_, i) => f(i));
const x = (): Array => Array.fromHost(data(8 * 6, (i) => Math.sin(1.3 * i) * 2), [8, 6], "float32");
const w = (): Array => Array.fromHost(data(6 * 5, (i) => Math.cos(0.7 * i)), [6, 5], "float32");
const idx = (): Array => Array.fromHost(new Int32Array([0, 5, 2, 2]), [4], "int32");

/** Updates of whole columns (x.at[:, idx].add(u)). */
const columns = new lax.ScatterDimensionNumbers({ updateWindowDims: [0], insertedWindowDims: [1], scatterDimsToOperandDims: [1] });

const logsumexp = (h: Value, axis: number): Value => {
  const m = jnp.max(h, { axis, keepdims: true });
  return jnp.add(m, jnp.log(jnp.sum(jnp.exp(jnp.subtract(h, m)), { axis, keepdims: true })));
};

/** name → program of one [8, 6] argument. */
const PROGRAMS: Record<string, (v: Value) => Value> = {
  post: (v) => jnp.multiply(jnp.exp(jnp.negative(jnp.square(v))), jnp.cos(jnp.exp(jnp.square(v)))),
  "mlp layer (dot, tanh, logsumexp)": (v) => {
    const h = jnp.tanh(jnp.matmul(v, w()));
    return jnp.subtract(h, logsumexp(h, 1));
  },
  "grad of the mlp's loss": (v) => grad((u: Value) => jnp.sum(logsumexp(jnp.tanh(jnp.matmul(u, w())), 1)))(v) as Value,
  softmax: (v) => {
    const e = jnp.exp(jnp.subtract(v, jnp.max(v, { axis: 1, keepdims: true })));
    return jnp.divide(e, jnp.sum(e, { axis: 1, keepdims: true }));
  },
  "gather (take columns)": (v) => jnp.take(v, idx(), { axis: 1 }),
  "dynamic_slice": (v) => lax.dynamicSlice(v, [0, jnp.argmax(jnp.sum(v, { axis: 0 }))], [8, 3]),
  "dynamic_update_slice": (v) => lax.dynamicUpdateSlice(v, jnp.zeros([8, 2]), [0, 3]),
  "scatter-add (columns)": (v) => lax.scatterAdd(v, lax.reshape(idx(), [4, 1]), jnp.ones([8, 4]), columns),
  concatenate: (v) => lax.concatenate([v, jnp.multiply(v, 2)], 1),
  pad: (v) => lax.pad(v, 0, [[0, 0, 0], [1, 2, 0]]),
  cumsum: (v) => lax.cumsum(v, 1),
  cumlogsumexp: (v) => lax.cumlogsumexp(v, 1),
  "argmax, argmin": (v) => jnp.add(jnp.argmax(v, { axis: 1 }), jnp.argmin(v, { axis: 1 })),
  sort: (v) => jnp.sort(v, { axis: 1 }),
  "select_n (where)": (v) => jnp.where(jnp.greater(v, 0), v, jnp.negative(v)),
  clamp: (v) => lax.clamp(-0.5, v, 0.5),
  iota: (v) => jnp.add(v, jnp.arange(6)),
};

describe("common programs on arrays split over a batch dimension", function () {
  this.timeout(120_000);
  let mesh: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(2);
    mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices() });
  });
  after(() => sh.setCpuDeviceCount(null));

  for (const [name, f] of Object.entries(PROGRAMS)) {
    it(`${name}: nothing gathered, equals the unsharded result`, () => {
      const want = jit(f)(x()) as Value;
      const logged: string[] = [];
      const stop = sh.onShardingLog((m) => logged.push(m));
      const got = jit(f)(sh.devicePut(x(), new sh.NamedSharding(mesh, sh.P("x")))) as Value;
      stop();
      assert.deepEqual(logged, []);
      assert.ok(got instanceof sh.ShardedArray, "the result is sharded");
      const expected = want as Array;
      assertClose(got, { shape: [...expected.shape], dtype: expected.dtype, data: expected.toNumbers() }, { rtol: 1e-5, atol: 1e-6 });
    });
  }
});
