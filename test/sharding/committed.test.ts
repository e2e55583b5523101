/**
 * @file Committed and uncommitted arrays (JAX's `_committed`): arrays made without a device are
 * uncommitted and move to where a computation runs; device_put(x, device) commits; results are
 * committed when an argument is; arguments committed to different devices raise JAX's ValueError.
 * On CPU and WebGPU devices, and on several CPU devices, eager and under jit.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { Array } from "../../kernel/backend/array.js";
import { type Device, cpuDevices, defaultDevice } from "../../kernel/backend/device.js";
import { devicePut } from "../../kernel/backend/transfer.js";
import type { Value } from "../../kernel/ir/core.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { testDevices } from "../util.js";

const on = (d: Device, xs: number[]): Array => Array.fromHost(xs, [xs.length], "float32", { device: d });
const add = (a: Value, b: Value): Value => lax.add(a, b);

describe("committed and uncommitted arrays", function () {
  this.timeout(60_000);
  let devs: Device[];
  before(() => {
    sh.setCpuDeviceCount(2);
    // Every test device, and a second CPU device.
    devs = [...new Set([...testDevices(), ...cpuDevices()])];
  });
  after(() => sh.setCpuDeviceCount(null));

  it("arrays are uncommitted until device_put(x, device); results are committed when an argument is", () => {
    const x = Array.fromHost([1, 2], [2], "float32");
    assert.equal(x.committed, false);
    assert.equal((lax.neg(x) as Array).committed, false);
    for (const d of devs) {
      const c = devicePut(x, d) as Array;
      assert.equal(c.committed, true, d.toString());
      assert.equal(c.device, d);
      assert.equal(x.committed, false, "the argument stays uncommitted");
      const y = lax.neg(c) as Array;
      assert.equal(y.committed, true);
      assert.equal(y.device, d);
      assert.equal((jit(add)(c, x) as Array).committed, true);
      assert.equal(devicePut(x) as Array, x, "device_put without a device leaves an array as it is");
    }
  });

  it("uncommitted arrays move to a committed argument's device (eager and jit)", () => {
    for (const d of devs) {
      for (const u of devs) {
        const c = devicePut(on(d, [1, 2]), d) as Array;
        const x = on(u, [10, 20]);
        for (const r of [add(c, x), add(x, c), jit(add)(x, c)] as Array[]) {
          assert.equal(r.device, d, `${u.toString()} -> ${d.toString()}`);
          assert.ok(r.committed);
          assert.deepEqual(r.toNumbers(), [11, 22]);
        }
      }
    }
  });

  it("uncommitted arrays on different devices meet on the default device", () => {
    for (const d of devs) {
      for (const u of devs) {
        if (d === u) continue;
        for (const r of [add(on(d, [1, 2]), on(u, [3, 4])), jit(add)(on(d, [1, 2]), on(u, [3, 4]))] as Array[]) {
          assert.equal(r.device, defaultDevice(), `${d.toString()} + ${u.toString()}`);
          assert.equal(r.committed, false);
          assert.deepEqual(r.toNumbers(), [4, 6]);
        }
      }
      // Uncommitted arrays that agree stay on their device.
      const r = add(on(d, [1]), on(d, [2])) as Array;
      assert.equal(r.device, d);
    }
  });

  it("arguments committed to different devices raise JAX's ValueError naming both", () => {
    const [c0, c1] = cpuDevices();
    const a = devicePut(on(c0, [1, 2, 3]), c0), b = devicePut(on(c1, [1, 2, 3]), c1);
    const msg = (fun: string): string =>
      `Received incompatible devices for jitted computation. Got argument args[0] of ${fun} with shape float32[3] and device ids [0] on platform CPU and argument args[1] of ${fun} with shape float32[3] and device ids [1] on platform CPU`;
    assert.throws(() => add(a, b), (e: Error) => e.name === "ValueError" && e.message === msg("add"));
    assert.throws(() => jit(add, { name: "f" })(a, b), (e: Error) => e.name === "ValueError" && e.message === msg("f"));
    for (const d of devs) {
      for (const e of devs) {
        if (d === e) continue;
        assert.throws(() => lax.mul(devicePut(on(d, [1]), d), devicePut(on(e, [1]), e)), (err: Error) => err.name === "ValueError" && /^Received incompatible devices/.test(err.message));
      }
    }
  });
});
