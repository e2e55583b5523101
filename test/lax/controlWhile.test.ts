/**
 * @file lax.while_loop and lax.fori_loop: exact integer loops (Collatz) and Newton's iteration
 * against Python's loops, vmap with batched predicates, JAX's errors, jaxprs, forward-mode
 * derivatives, and reverse mode (an error for while; through scan for static fori_loop).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, checkGrads, config, grad, jvp, lax, makeJaxpr, printJaxpr, ShapedArray, vmap } from "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

interface Fixture {
  collatz: { n: number[]; steps: number[] };
  newton: { x: FixtureArray; y: FixtureArray; iters: number[] };
}
const fx = loadFixture<Fixture>("control");

const i32 = (...shape: number[]) => new ShapedArray(shape, "int32");
const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const arr = (data: number[], shape: number[] = [data.length], dtype: "float32" | "int32" | "float64" = "float32") => Array.fromHost(data, shape, dtype);
const nums = (x: unknown) => (x as Array).toNumbers();

function withX64<T>(fn: () => T): T {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    return fn();
  } finally {
    config.enableX64 = prev;
  }
}

function throwsKind(f: () => unknown, name: string, pattern: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The number of Collatz steps from n to 1. */
const collatz = (n: Value): Value => (lax.whileLoop(
  ([m]: Value[]) => lax.ne(m, 1),
  ([m, k]: Value[]) => [lax.select(lax.eq(lax.rem(m, 2), 0), lax.div(m, 2), lax.add(lax.mul(m, 3), 1)), lax.add(k, 1)],
  [n, arr([0], [], "int32")],
) as Value[])[1];

/** Newton's iteration for sqrt(x) until |y² - x| < 1e-9 x: [y, iterations]. */
const newton = (x: Value): Value[] => lax.whileLoop(
  ([y]: Value[]) => lax.ge(lax.abs(lax.sub(lax.mul(y, y), x)), lax.mul(x, 1e-9)),
  ([y, k]: Value[]) => [lax.mul(lax.add(y, lax.div(x, y)), 0.5), lax.add(k, 1)],
  [x, arr([0], [], "int32")],
) as Value[];

describe("lax.while_loop", () => {
  describe("values", () => {
    it("counts Collatz steps exactly, element by element and vmapped (a batched predicate)", () => {
      const ns = fx.collatz.n;
      assert.deepEqual(ns.map((n) => nums(collatz(arr([n], [], "int32")))[0]), fx.collatz.steps);
      assert.deepEqual(nums(vmap(collatz)(arr(ns, [ns.length], "int32"))), fx.collatz.steps);
    });

    it("runs Newton's iteration to Python's result and iteration count (float64), also vmapped", () => withX64(() => {
      const xs = fromFixture(fx.newton.x);
      const [y, k] = vmap(newton)(xs);
      assertClose(y, fx.newton.y, { rtol: 1e-15, atol: 0 });
      assert.deepEqual(nums(k), fx.newton.iters);
      const [y2, k2] = newton(arr([9], [], "float64"));
      assert.deepEqual([nums(y2), nums(k2)], [[fx.newton.y.data[1]], [fx.newton.iters[1]]]);
    }));

    it("an unbatched predicate with a batched carry stays one loop", () => {
      const f = (v: Value) => (lax.whileLoop(([i]: Value[]) => lax.lt(i, 3), ([i, x]: Value[]) => [lax.add(i, 1), lax.mul(x, 2)], [arr([0], [], "int32"), v]) as Value[])[1];
      assert.deepEqual(nums(vmap(f)(arr([1, 2, 3]))), [8, 16, 24]);
      const j = makeJaxpr(vmap(f))(f32(3));
      const w = j.jaxpr.eqns.find((e) => e.primitive === "while")!;
      assert.deepEqual((w.params.cond_jaxpr as { outAvals: ShapedArray[] }).outAvals[0].shape, [], "the predicate stays scalar");
    });

    it("returns the initial value when the predicate is false at once", () => {
      assert.deepEqual(nums((lax.whileLoop(() => lax.lt(1, 0), (c: Value) => lax.add(c, 1), arr([5])) as Value)), [5]);
    });
  });

  describe("errors", () => {
    it("requires a boolean scalar predicate", () => {
      throwsKind(() => lax.whileLoop((c: Value) => c, (c: Value) => c, arr([1], [])), "TypeError", /^cond_fun must return a boolean scalar, but got output type\(s\) \[ShapedArray\(float32\[\]\)\]\.$/);
      throwsKind(() => lax.whileLoop(() => [lax.lt(1, 2), lax.lt(1, 2)], (c: Value) => c, arr([1], [])), "TypeError", /^cond_fun must return a boolean scalar, but got pytree PyTreeDef\(\(\*, \*\)\)\.$/);
    });

    it("requires the body to keep the carry's types", () => {
      throwsKind(
        () => lax.whileLoop(() => lax.lt(1, 2), (c: Value) => lax.convertElementType(c, "int32"), arr([1], [])),
        "TypeError",
        /^while_loop body function carry input and carry output must have equal types, but they differ:\n\nThe input carry has type f32\[\] but the corresponding output carry component has type i32\[\], so the dtypes do not match\./,
      );
    });

    it("refuses reverse-mode differentiation with JAX's error", () => {
      const f = (x: Value) => (lax.whileLoop(([i]: Value[]) => lax.lt(i, 3), ([i, y]: Value[]) => [lax.add(i, 1), lax.sin(y)], [arr([0], [], "int32"), x]) as Value[])[1];
      throwsKind(() => grad(f)(arr([0.5], [])), "ValueError",
        /^Reverse-mode differentiation does not work for lax\.while_loop or lax\.fori_loop with dynamic start\/stop values\. Try using lax\.scan, or using fori_loop with static start\/stop\.$/);
    });
  });

  describe("jaxprs", () => {
    it("prints while as JAX does", () => {
      const j = makeJaxpr((x: Value) => lax.whileLoop(([i]: Value[]) => lax.lt(i, 10), ([i, y]: Value[]) => [lax.add(i, 1), lax.mul(y, 2)], [0, x]))(f32());
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[]. let",
        "    b:i32[] c:f32[] = while[",
        "      body_jaxpr={ lambda ; d:i32[] e:f32[]. let",
        "          f:i32[] = add d 1:i32[]",
        "          g:f32[] = mul e 2.0:f32[]",
        "        in (f, g) }",
        "      body_nconsts=0",
        "      cond_jaxpr={ lambda ; h:i32[] i:f32[]. let",
        "          j:bool[] = lt h 10:i32[]",
        "        in (j,) }",
        "      cond_nconsts=0",
        "    ] 0:i32[] a",
        "  in (b, c) }",
      ].join("\n"));
    });

    it("a carry the body passes through and the predicate ignores becomes a body const", () => {
      const j = makeJaxpr((x: Value, k: Value) => lax.whileLoop(([i]: Value[]) => lax.lt(i, 10), ([i, y, c]: Value[]) => [lax.add(i, 1), lax.mul(y, c), c], [0, x, k]))(f32(), f32());
      const w = j.jaxpr.eqns[0];
      assert.deepEqual([w.params.body_nconsts, w.params.cond_nconsts, w.outBinders.length], [1, 0, 2]);
      assert.equal(j.jaxpr.outs[2], j.jaxpr.invars[1]);
    });
  });

  describe("forward mode", () => {
    it("JVP agrees with finite differences (float64), carry tangents found by a fixpoint", () => withX64(() => {
      // The second carry starts without a tangent and gets one from the first.
      const f = (x: Value) => {
        const [, a, b] = lax.whileLoop(([i]: Value[]) => lax.lt(i, 4), ([i, a, b]: Value[]) => [lax.add(i, 1), lax.sin(a), lax.add(b, lax.mul(a, a))], [0, x, arr([0], [], "float64")]) as Value[];
        return lax.add(a, b);
      };
      checkGrads(f as (...a: unknown[]) => unknown, [arr([0.7], [], "float64")], 2, { modes: ["fwd"] });
    }));

    it("jvp of a loop whose trip count depends on the input differentiates the iterations taken", () => withX64(() => {
      const [y, dy] = jvp((x: Value) => newton(x)[0], [arr([2], [], "float64")], [arr([1], [], "float64")]) as Value[];
      assert.ok(Math.abs((y as Array).item() as number - Math.SQRT2) < 1e-11);
      assert.ok(Math.abs((dy as Array).item() as number - 0.5 / Math.SQRT2) < 1e-9, "d sqrt(x) = 1 / (2 sqrt(x))");
    }));
  });
});

describe("lax.fori_loop", () => {
  const sumSquares = (i: Value, acc: Value) => lax.add(acc, lax.mul(i, i));

  it("loops from lower to upper, as range() does", () => {
    const run = (lo: number, hi: number) => nums(lax.foriLoop(lo, hi, sumSquares, arr([0], [], "int32")))[0];
    const ref = (lo: number, hi: number) => [...globalThis.Array(Math.max(hi - lo, 0)).keys()].reduce((a, k) => a + (k + lo) ** 2, 0);
    for (const [lo, hi] of [[0, 5], [3, 9], [4, 4], [7, 2], [-3, 2]]) assert.equal(run(lo, hi), ref(lo, hi), `range(${lo}, ${hi})`);
  });

  it("is a scan when the bounds are static, a while loop when they are traced", () => {
    const s = makeJaxpr((x: Value) => lax.foriLoop(0, 5, sumSquares, x))(i32());
    assert.deepEqual(s.jaxpr.eqns.map((e) => e.primitive), ["scan"]);
    assert.equal(s.jaxpr.eqns[0].params.length, 5);
    const w = makeJaxpr((hi: Value, x: Value) => lax.foriLoop(0, hi, sumSquares, x))(i32(), i32());
    assert.equal(printJaxpr(w), [
      "{ lambda ; a:i32[] b:i32[]. let",
      "    c:i32[] d:i32[] e:i32[] = while[",
      "      body_jaxpr={ lambda ; f:i32[] g:i32[] h:i32[]. let",
      "          i:i32[] = add f 1:i32[]",
      "          j:i32[] = mul f f",
      "          k:i32[] = add h j",
      "        in (i, g, k) }",
      "      body_nconsts=0",
      "      cond_jaxpr={ lambda ; l:i32[] m:i32[] n:i32[]. let",
      "          o:bool[] = lt l m",
      "        in (o,) }",
      "      cond_nconsts=0",
      "    ] 0:i32[] a b",
      "  in (e,) }",
    ].join("\n"));
  });

  it("vmapped over its upper bound runs as a batched while loop", () => {
    const f = (hi: Value) => lax.foriLoop(0, hi, sumSquares, arr([0], [], "int32"));
    assert.deepEqual(nums(vmap(f)(arr([0, 1, 3, 5], [4], "int32"))), [0, 0, 5, 30]);
  });

  it("static bounds make it reverse-mode differentiable (through scan), to second order", () => withX64(() => {
    const f = (x: Value) => lax.foriLoop(0, 4, (_i: Value, y: Value) => lax.add(lax.mul(y, 0.9), lax.sin(y)), x);
    checkGrads(f as (...a: unknown[]) => unknown, [arr([0.3, -1.1], [2], "float64")], 2);
  }));

  it("rejects mismatched bound types and unroll with traced bounds", () => {
    throwsKind(() => lax.foriLoop(arr([0], [], "int32"), arr([3], [], "float32"), sumSquares, arr([0], [], "int32")), "TypeError",
      /^lower and upper arguments to fori_loop must have equal types, got int32 and float32$/);
    throwsKind(() => makeJaxpr((hi: Value) => lax.foriLoop(0, hi, sumSquares, 0, { unroll: 2 }))(i32()), "ValueError",
      /^Can only use `unroll` in `fori_loop` if the loop bounds are statically known\.$/);
  });
});
