/**
 * @file Control flow on sharded arrays under jit: a fori_loop, while_loop or cond whose body is
 * elementwise along the split array runs on every device's block (nothing logged) and equals the
 * unsharded computation; a body with a reduction over the split axis still falls back to the
 * gathered path (logged) and is still correct. References are the same functions on one device.
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
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";

describe("control flow on sharded arrays", function () {
  this.timeout(120_000);
  let mesh: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(4); // as the other sharding suites; this mesh uses two of them
    mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices().slice(0, 2) });
  });

  const x0 = (): Value => Array.fromHost(globalThis.Array.from({ length: 8 }, (_, i) => 0.25 * i - 1), [8], "float32");
  const split = (x: Value): Value => sh.devicePut(x, new sh.NamedSharding(mesh, sh.P("x")));
  const values = (v: unknown): number[] => (v as Array).toNumbers();

  /** Runs `f` on the split array and unsharded under jit; returns what was logged while sharded. */
  function compare(f: (x: Value) => Value): string[] {
    const logged: string[] = [];
    const stop = sh.onShardingLog((m) => logged.push(m));
    const got = jit(f)(split(x0())) as Value;
    stop();
    assert.ok(got instanceof sh.ShardedArray, "result is sharded");
    assert.equal(got.sharding.spec.toString(), "PartitionSpec('x',)");
    const want = values(jit(f)(x0()));
    values(got).forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 1e-6 * (1 + Math.abs(want[i])), `[${i}]: ${g} vs ${want[i]}`));
    return logged;
  }

  it("a fori_loop with an elementwise body runs on blocks", () => {
    const logged = compare((x) => lax.foriLoop(0, 10, (_i, c: Value) => jnp.add(jnp.multiply(c, 0.9), jnp.sin(c)), x));
    assert.deepEqual(logged, []);
  });

  it("a while_loop on a replicated counter and a cond with elementwise branches run on blocks", () => {
    const f = (x: Value): Value => {
      const [i, y] = lax.whileLoop(([k]: Value[]) => lax.lt(k, 5), ([k, c]: Value[]) => [lax.add(k, 1), jnp.cos(c)], [jnp.asarray(0, { dtype: "int32" }), x]);
      return lax.cond(lax.gt(i, 2), (v: Value) => jnp.multiply(v, 2), (v: Value) => jnp.negative(v), y) as Value;
    };
    assert.deepEqual(compare(f), []);
    assert.match(printJaxpr(makeJaxpr(f)(x0())), /while\[[^]*cond\[/);
  });

  it("a body reducing over the split axis falls back to the gathered path, logged, still correct", () => {
    const logged = compare((x) => lax.foriLoop(0, 3, (_i, c: Value) => jnp.subtract(c, jnp.mean(c)), x));
    assert.ok(logged.some((m) => m.startsWith("no sharding rule for scan")), logged.join("\n"));
  });
});
