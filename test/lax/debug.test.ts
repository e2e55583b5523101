/**
 * @file `debug_callback`: called with concrete values eagerly, from a compiled jit program, once
 * per batch element under vmap, with primals under jvp/grad (once, in the forward pass), inside
 * control flow; kept by dead-code elimination and partial evaluation; printed as JAX prints it.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { dceJaxpr, grad, jvp } from "../../kernel/ad/index.js";
import { type DebugCallback } from "../../kernel/lax/debug.js";

const f32 = (data: number[], shape = [data.length]): Array => Array.fromHost(data, shape, "float32");

/** A callback recording the values it is called with (as plain nested numbers). */
function recorder(): { calls: number[][][]; cb: DebugCallback } {
  const calls: number[][][] = [];
  const cb = (...xs: Value[]): void => {
    calls.push(xs.map((x) => {
      assert.ok(x instanceof Array, "callback operands are concrete arrays");
      return x.toNumbers();
    }));
  };
  return { calls, cb };
}

describe("lax.debug_callback", () => {
  it("eager: called at once with the values", () => {
    const { calls, cb } = recorder();
    lax.debugCallback(cb, [f32([1, 2, 3]), f32([5])]);
    assert.deepEqual(calls, [[[1, 2, 3], [5]]]);
  });

  it("jit: called by the compiled program at every call, with the values computed before it", () => {
    const { calls, cb } = recorder();
    const f = jit((x: Value) => {
      const y = lax.mul(x, 2);
      lax.debugCallback(cb, [y]);
      return lax.add(y, 1);
    });
    assert.deepEqual((f(f32([1, 2])) as Array).toNumbers(), [3, 5]);
    assert.deepEqual((f(f32([3, 4])) as Array).toNumbers(), [7, 9]);
    assert.deepEqual(calls, [[[2, 4]], [[6, 8]]]);
    assert.equal(f.cacheSize, 1, "traced once");
  });

  it("jit: a callback whose operand nothing else reads is not eliminated or fused away", () => {
    const { calls, cb } = recorder();
    const f = jit((x: Value) => {
      lax.debugCallback(cb, [lax.exp(lax.neg(x))]);
      return x;
    });
    f(f32([0]));
    assert.deepEqual(calls, [[[1]]]);
  });

  it("vmap: unrolled over the batch as in JAX (one call per element, unmapped operands whole)", () => {
    const { calls, cb } = recorder();
    vmap((x: Value, y: Value) => {
      lax.debugCallback(cb, [x, y]);
      return x;
    }, { inAxes: [0, null] })(f32([1, 2, 3, 4], [2, 2]), f32([9]));
    assert.deepEqual(calls, [[[1, 2], [9]], [[3, 4], [9]]]);
  });

  it("grad and jvp: the callback sees the primals once, and the derivative is unchanged", () => {
    const { calls, cb } = recorder();
    const f = (x: Value): Value => {
      lax.debugCallback(cb, [x]);
      return lax.reduceSum(lax.mul(x, x), [0]);
    };
    assert.deepEqual((grad(f)(f32([1, 2])) as Array).toNumbers(), [2, 4]);
    assert.deepEqual(calls, [[[1, 2]]]);
    const [, t] = jvp(f, [f32([1, 2])], [f32([1, 1])]) as Array[];
    assert.deepEqual(t.toNumbers(), [6]);
    assert.deepEqual(calls.length, 2);
    assert.deepEqual((grad(jit(f))(f32([3, 4])) as Array).toNumbers(), [6, 8]);
    assert.deepEqual(calls[2], [[3, 4]]);
    assert.equal(calls.length, 3, "runs once under grad of jit (the forward pass only)");
  });

  it("inside a fori_loop body under jit, once per iteration", () => {
    const { calls, cb } = recorder();
    const loop = (x: Value): Value => lax.foriLoop(0, 3, (i: Value, c: Value) => {
      lax.debugCallback(cb, [c]);
      return lax.mul(c, 2);
    }, x) as Value;
    jit(loop)(f32([1]));
    assert.deepEqual(calls, [[[1]], [[2]], [[4]]]);
  });

  it("prints in a jaxpr as JAX does, and dead-code elimination keeps it", () => {
    const cb = Object.defineProperty((() => undefined) as DebugCallback, "name", { value: "<function debug_callback.<locals>._flat_callback at 0xXXXXXXXXXXXX>" });
    const cj = makeJaxpr((x: Value) => {
      lax.debugCallback(cb, [x], { ordered: true });
      return lax.sin(x);
    })(f32([1, 2]));
    assert.equal(
      printJaxpr(cj),
      [
        "{ lambda ; a:f32[2]. let",
        "    debug_callback[",
        "      callback=<function debug_callback.<locals>._flat_callback at 0xXXXXXXXXXXXX>",
        "      effect=OrderedDebug",
        "      partitioned=False",
        "    ] a",
        "    b:f32[2] = sin a",
        "  in (b,) }",
      ].join("\n"),
    );
    const { jaxpr } = dceJaxpr(cj.jaxpr, [false]);
    assert.deepEqual(jaxpr.eqns.map((e) => e.primitive), ["debug_callback"]);
  });

  it("rejects a callback that is not a function", () => {
    assert.throws(() => lax.debugCallback(3 as unknown as DebugCallback, []), /first argument to jax.debug.callback must be callable/);
  });
});
