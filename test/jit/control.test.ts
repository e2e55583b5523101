/** @file Control flow inside jit: cond and loops are program steps between kernels. */

import assert from "node:assert/strict";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";

const f32 = (data: number[]): Array => Array.fromHost(data, [data.length], "float32");

describe("jit with control flow", () => {
  it("cond picks its branch at run time, with kernels before and after it", () => {
    const fn = jit((p: Value, x: Value) => {
      const y = lax.mul(x, 2);
      const z = lax.cond(p, (v: Value) => lax.add(v, 1), (v: Value) => lax.neg(v), y) as Value;
      return lax.exp(lax.mul(z, 0));
    });
    const g = jit((p: Value, x: Value) => lax.cond(p, (v: Value) => lax.add(lax.mul(v, 2), 1), (v: Value) => lax.neg(lax.mul(v, 2)), x));
    assert.deepEqual((g(Array.scalar(true, "bool", false), f32([1, 2])) as Array).toNumbers(), [3, 5]);
    assert.deepEqual((g(Array.scalar(false, "bool", false), f32([1, 2])) as Array).toNumbers(), [-2, -4]);
    assert.deepEqual((fn(Array.scalar(true, "bool", false), f32([1, 2])) as Array).toNumbers(), [1, 1]);
    assert.equal(g.cacheSize, 1, "the predicate's value is not part of the trace");
  });

  it("fori_loop runs its body the dynamic number of times", () => {
    const fn = jit((n: Value, x: Value) => lax.foriLoop(0, n, (_i: Value, v: Value) => lax.add(lax.mul(v, 2), 1), x));
    assert.deepEqual((fn(Array.scalar(3, "int32", false), f32([0, 1])) as Array).toNumbers(), [7, 15]);
    assert.deepEqual((fn(Array.scalar(1, "int32", false), f32([0, 1])) as Array).toNumbers(), [1, 3]);
  });
});
