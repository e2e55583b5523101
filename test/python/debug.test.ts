/**
 * @file `jax.debug.print`/`jax.debug.callback` through `bin/jaxnb run`: the lines JAX prints, in
 * order — eagerly, at every call of a jitted function, with primals (once) under grad and jvp,
 * once per element under vmap, per iteration in fori_loop/scan bodies — JAX's format checks,
 * and the callback in a jaxpr.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { programs, runCli } from "./run.js";

// Every value here is exact (small integers and halves), so the text is JAX's own.
const EXPECTED = [
    "eager x=[1. 2. 3.]",
    "eager positional [1. 2. 3.] 2",
    "jit y=[2. 4. 6.]",
    "f -> [3. 5. 7.]",
    "jit y=[4. 6. 8.]",
    "f -> [5. 7. 9.]",
    "grad x=[1. 2. 3.]",
    "grad -> [2. 4. 6.]",
    "grad x=[1. 2. 3.]",
    "grad jit -> [2. 4. 6.]",
    "grad x=[1. 2. 3.]",
    "jit grad -> [2. 4. 6.]",
    "grad x=[1. 2. 3.]",
    "jvp -> 12.0",
    "vmap v=0",
    "vmap v=1",
    "vmap v=2",
    "vmap row=[0 1] w=7",
    "vmap row=[2 3] w=7",
    "fori i=0 c=10",
    "fori i=1 c=10",
    "fori i=2 c=11",
    "fori -> 13",
    "fori i=0 c=5",
    "fori i=1 c=5",
    "jit fori -> 6",
    "scan c=0.0 v=1.0",
    "scan c=1.0 v=2.0",
    "scan c=3.0 v=3.0",
    "scan -> 6.0",
    "two-call 4",
    "ordered [1. 2. 3.]",
    "callback static [1. 2. 3.]",
    "jit callback (3,) float32",
    "ValueError: Unused positional arguments to `jax.debug.print`: [Array([1., 2., 3.], dtype=float32)]",
    "ValueError: Unused keyword arguments to `jax.debug.print`: ['z']. You may be passing an f-string (i.e, `f\"{x}\"`) into `jax.debug.print` and instead should pass in a regular string.",
    "TypeError: first argument to jax.debug.callback must be callable, but got an object of type <class 'int'>",
    "{ lambda ; a:f32[3]. let",
    "    debug_callback[",
    "      callback=<function debug_callback.<locals>._flat_callback at 0xXXXXXXXXXXXX>",
    "      effect=Debug",
    "      partitioned=False",
    "    ] a",
    "    b:f32[3] = integer_pow[y=2] a",
    "    c:f32[] = reduce_sum[axes=(0,) out_sharding=None] b",
    "  in (c,) }",
];

describe("jaxnb run: jax.debug on traced values", function () {
  this.timeout(120_000);

  it("prints what JAX prints, where and as often as JAX does", async () => {
    const r = await runCli(["run", path.join(programs, "debug.py")]);
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.replace(/\n$/, "").split("\n");
    got.forEach((line, i) => assert.equal(line, EXPECTED[i], `line ${i + 1}`));
    assert.equal(got.length, EXPECTED.length, "number of lines");
  });
});
