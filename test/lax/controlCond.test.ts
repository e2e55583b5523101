/** @file lax.cond and lax.switch: values, pytrees, JAX's errors, jaxprs, vmap, and derivatives vs finite differences. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, checkGrads, config, grad, jvp, lax, makeJaxpr, printJaxpr, ShapedArray, vmap } from "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { rng, randomArray, stackAxis, takeAxis, toHost, fromHostNd, assertHostClose } from "../batching/helpers.js";

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const arr = (data: number[], shape: number[] = [data.length], dtype: "float32" | "int32" | "bool" | "float64" = "float32") => Array.fromHost(data, shape, dtype);
const nums = (x: unknown) => (x as Array).toNumbers();
const TRUE = arr([1], [], "bool");
const FALSE = arr([0], [], "bool");

/** Runs `fn` with x64 on (checkGrads in float64), restoring the flag. */
function withX64(fn: () => void): void {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    fn();
  } finally {
    config.enableX64 = prev;
  }
}

/** checkGrads on a function of values. */
const check = (f: (...a: Value[]) => unknown, args: Value[], order: number) => checkGrads(f as (...a: unknown[]) => unknown, args, order);

function throwsKind(f: () => unknown, name: string, pattern: RegExp): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("lax.cond", () => {
  describe("values", () => {
    const x = arr([0.5, 1, 2]);
    it("applies the branch the predicate picks", () => {
      const f = (p: Value) => lax.cond(p, lax.sin, lax.cos, x) as Value;
      assertHostClose(toHost(f(TRUE)), { shape: [3], dtype: "float32", data: [0.5, 1, 2].map(Math.sin) }, { rtol: 1e-6, atol: 1e-7 }, "true");
      assertHostClose(toHost(f(FALSE)), { shape: [3], dtype: "float32", data: [0.5, 1, 2].map(Math.cos) }, { rtol: 1e-6, atol: 1e-7 }, "false");
    });

    it("takes a number as predicate: nonzero is true", () => {
      const f = (p: Value) => nums(lax.cond(p, () => arr([1]), () => arr([2])));
      assert.deepEqual([f(arr([3], [], "int32")), f(arr([0], [], "int32")), f(arr([-0.5], [], "float32")), f(arr([0], [], "float32"))], [[1], [2], [1], [2]]);
    });

    it("passes pytrees of operands and returns pytrees", () => {
      const f = (p: Value) => lax.cond(
        p,
        (t: { a: Value; b: [Value, Value] }) => [t.b[1], { s: lax.add(t.a, t.b[0]) }],
        (t: { a: Value; b: [Value, Value] }) => [t.b[0], { s: lax.sub(t.a, t.b[0]) }],
        { a: arr([10, 20]), b: [arr([1, 2]), arr([7, 8])] },
      ) as [Value, { s: Value }];
      const [u, { s }] = f(TRUE);
      assert.deepEqual([nums(u), nums(s)], [[7, 8], [11, 22]]);
      const [u2, { s: s2 }] = f(FALSE);
      assert.deepEqual([nums(u2), nums(s2)], [[1, 2], [9, 18]]);
    });

    it("returns arrays when a branch returns a constant", () => {
      const out = lax.cond(TRUE, () => 1.5, () => 2.5);
      assert.ok(out instanceof Array);
      assert.deepEqual([nums(out), (out as Array).weakType], [[1.5], true]);
    });

    it("branches may close over arrays", () => {
      const c = arr([100, 200]);
      const out = lax.cond(TRUE, (v: Value) => lax.add(v, c), (v: Value) => v, arr([1, 2]));
      assert.deepEqual(nums(out), [101, 202]);
    });
  });

  describe("lax.switch", () => {
    const branches = [(v: Value) => lax.add(v, 1), (v: Value) => lax.mul(v, 10), (v: Value) => lax.neg(v)];
    it("applies branches[index], clamping the index into range", () => {
      const f = (i: number) => nums(lax.switch(arr([i], [], "int32"), branches, arr([2])))[0];
      assert.deepEqual([-3, 0, 1, 2, 7].map(f), [3, 3, 20, -2, -2]);
    });

    it("calls a single branch directly", () => {
      const j = makeJaxpr((i: Value, v: Value) => lax.switch(i, [lax.sin], v))(new ShapedArray([], "int32"), f32(2));
      assert.equal(printJaxpr(j), "{ lambda ; a:i32[] b:f32[2]. let c:f32[2] = sin b in (c,) }");
    });

    it("prints as JAX does: a clamp, then cond with three branches", () => {
      const j = makeJaxpr((i: Value, v: Value) => lax.switch(i, branches, v))(new ShapedArray([], "int32"), f32());
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:i32[] b:f32[]. let",
        "    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a",
        "    d:i32[] = clamp 0:i32[] c 2:i32[]",
        "    e:f32[] = cond[",
        "      branches=(",
        "        { lambda ; f:f32[]. let g:f32[] = add f 1.0:f32[] in (g,) }",
        "        { lambda ; h:f32[]. let i:f32[] = mul h 10.0:f32[] in (i,) }",
        "        { lambda ; j:f32[]. let k:f32[] = neg j in (k,) }",
        "      )",
        "    ] d b",
        "  in (e,) }",
      ].join("\n"));
    });

    it("raises JAX's errors", () => {
      throwsKind(() => lax.switch(arr([0.5], [], "float32"), branches, arr([1])), "TypeError", /^Index type must be an integer, got .* as float32$/);
      throwsKind(() => lax.switch(arr([0, 1], [2], "int32"), branches, arr([1])), "TypeError", /^Branch index must be scalar, got .* of shape \(2,\)\.$/);
      throwsKind(() => lax.switch(arr([0], [], "int32"), [], arr([1])), "ValueError", /^Empty branch sequence$/);
      throwsKind(() => lax.switch(arr([0], [], "int32"), [branches[0], 3 as never], arr([1])), "TypeError", /^lax\.switch: branches argument should be a sequence of callables\.$/);
    });
  });

  describe("errors", () => {
    it("rejects a non-scalar predicate", () => {
      throwsKind(() => lax.cond(arr([1, 0], [2], "bool"), lax.sin, lax.cos, arr([1])), "TypeError", /^Pred must be a scalar, got .* of shape \(2,\)\.$/);
      throwsKind(() => lax.cond(null as never, lax.sin, lax.cos, arr([1])), "TypeError", /^cond predicate is None$/);
      throwsKind(() => lax.cond(TRUE, 1 as never, lax.cos, arr([1])), "TypeError", /^lax\.cond: true_fun and false_fun arguments should be callable\.$/);
    });

    it("rejects branches with different output types, naming the difference", () => {
      throwsKind(
        () => lax.cond(TRUE, () => arr([1, 2]), () => arr([1, 2], [2], "int32")),
        "TypeError",
        /^cond branches must have equal output types but they differ\.\n\nThe output of true_fun has type f32\[2\] but the corresponding output of false_fun has type i32\[2\], so the dtypes do not match\.\n\nRevise true_fun and\/or false_fun so that all output types match\.$/,
      );
      throwsKind(
        () => lax.cond(TRUE, () => [arr([1]), arr([1, 2])], () => [arr([1]), arr([1, 2, 3])]),
        "TypeError",
        /The output of true_fun at path \[1\] has type f32\[2\] but the corresponding output of false_fun has type f32\[3\], so the shapes do not match\./,
      );
    });

    it("rejects branches with different output structures", () => {
      throwsKind(() => lax.cond(TRUE, () => [arr([1]), arr([1])], () => arr([1])), "TypeError", /^cond branch outputs must have the same pytree structure, but they differ:/);
    });
  });

  describe("jaxprs", () => {
    it("prints cond as JAX does: the predicate converted to an int32 index, branches false then true", () => {
      const j = makeJaxpr((p: Value, v: Value) => lax.cond(p, lax.sin, lax.cos, v))(new ShapedArray([], "bool"), f32(3));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:bool[] b:f32[3]. let",
        "    c:i32[] = convert_element_type[new_dtype=int32 weak_type=False] a",
        "    d:f32[3] = cond[",
        "      branches=(",
        "        { lambda ; e:f32[3]. let f:f32[3] = cos e in (f,) }",
        "        { lambda ; g:f32[3]. let h:f32[3] = sin g in (h,) }",
        "      )",
        "    ] c b",
        "  in (d,) }",
      ].join("\n"));
    });

    it("passes captured arrays as leading operands", () => {
      const j = makeJaxpr((p: Value, v: Value, w: Value) => lax.cond(p, (a: Value) => lax.mul(a, w), (a: Value) => a, v))(new ShapedArray([], "bool"), f32(), f32());
      const eqn = j.jaxpr.eqns[1];
      assert.equal(eqn.primitive, "cond");
      assert.deepEqual(eqn.inputs.map((x) => j.jaxpr.invars.indexOf(x as never)), [-1, 2, 1], "index, captured w, then the operand v");
      const branches = eqn.params.branches as { inAvals: ShapedArray[] }[];
      assert.deepEqual(branches.map((b) => b.inAvals.length), [2, 2]);
    });

    it("returns an operand both branches forward without passing it through cond", () => {
      const j = makeJaxpr((p: Value, v: Value) => lax.cond(p, (a: Value) => [a, lax.sin(a)], (a: Value) => [a, lax.cos(a)], v))(new ShapedArray([], "bool"), f32());
      assert.equal(j.jaxpr.eqns[1].outBinders.length, 1);
      assert.equal(j.jaxpr.outs[0], j.jaxpr.invars[1]);
    });
  });

  describe("vmap", () => {
    const f = (p: Value, v: Value) => lax.cond(p, (a: Value) => lax.mul(lax.sin(a), a), lax.cos, v) as Value;

    function loopRef(preds: number[], xs: Array): ReturnType<typeof toHost> {
      const h = toHost(xs);
      return stackAxis(preds.map((p, b) => toHost(f(arr([p], [], "bool"), fromHostNd(takeAxis(h, 0, b))))), 0);
    }

    it("a batched predicate computes both branches and selects, as JAX does", () => {
      const xs = randomArray([4, 3], "float32", rng(1));
      const preds = [1, 0, 0, 1];
      const got = vmap(f)(arr(preds, [4], "bool"), xs);
      assertHostClose(toHost(got), loopRef(preds, xs), { rtol: 1e-6, atol: 1e-7 }, "batched predicate");
      const j = printJaxpr(makeJaxpr(vmap(f))(new ShapedArray([4], "bool"), f32(4, 3)));
      assert.ok(j.includes("select_n") && !j.includes("cond["), j);
    });

    it("an unbatched predicate stays a cond over batched branches", () => {
      const xs = randomArray([4, 3], "float32", rng(2));
      const got = vmap(f, [null, 0])(TRUE, xs);
      assertHostClose(toHost(got), loopRef([1, 1, 1, 1], xs), { rtol: 1e-6, atol: 1e-7 }, "unbatched predicate");
      const j = makeJaxpr(vmap(f, [null, 0]))(new ShapedArray([], "bool"), f32(4, 3));
      assert.ok(!printJaxpr(j).includes("select_n"));
      assert.deepEqual(j.jaxpr.eqns[1].outBinders[0].aval.shape, [4, 3]);
    });

    it("a batched switch index selects among all branches per element", () => {
      const br = [(a: Value) => lax.add(a, 1), (a: Value) => lax.mul(a, 10), (a: Value) => lax.neg(a)];
      const out = vmap((i: Value, v: Value) => lax.switch(i, br, v))(arr([2, 0, 1, 5], [4], "int32"), arr([1, 2, 3, 4]));
      assert.deepEqual(nums(out), [-1, 3, 30, -4]);
    });
  });

  describe("derivatives", () => {
    const f = (v: Value) => lax.reduceSum(lax.cond(lax.gt(lax.reduceSum(v, [0]), 0), (a: Value) => lax.mul(lax.sin(a), a), (a: Value) => lax.mul(lax.cos(a), 2), v) as Value, [0]);

    it("JVP and VJP agree with finite differences on each branch, to second order (float64)", () => withX64(() => {
      check(f, [arr([0.3, 0.7, -0.2], [3], "float64")], 2);
      check(f, [arr([-0.3, 0.1, -0.9], [3], "float64")], 2);
    }));

    it("grad is the taken branch's derivative", () => withX64(() => {
      const g = grad(f)(arr([0.3, 0.7, -0.2], [3], "float64")) as Array;
      // d/da sin(a)·a = cos(a)·a + sin(a)
      [0.3, 0.7, -0.2].forEach((a, i) => assert.ok(Math.abs(g.toNumbers()[i] - (Math.cos(a) * a + Math.sin(a))) < 1e-12));
    }));

    it("differentiates with respect to a value the branches close over", () => withX64(() => {
      const h = (w: Value) => lax.cond(TRUE, (a: Value) => lax.mul(lax.mul(a, w), w), (a: Value) => a, arr([3], [], "float64"));
      check(h, [arr([1.5], [], "float64")], 2);
      assert.equal((grad(h)(arr([1.5], [], "float64")) as Array).item(), 9);
    }));

    it("switch derivatives, forward and reverse", () => withX64(() => {
      const br = [(a: Value) => lax.exp(a), (a: Value) => lax.mul(a, a), (a: Value) => lax.tanh(a)];
      for (const i of [0, 1, 2]) check((v: Value) => lax.switch(arr([i], [], "int32"), br, v), [arr([0.4, -1.2], [2], "float64")], 2);
    }));

    it("jvp leaves the index without tangent and differentiates only the live outputs", () => {
      const [out, t] = jvp((v: Value) => lax.cond(TRUE, (a: Value) => [lax.sin(a), arr([1])], (a: Value) => [a, arr([2])], v), [arr([0])], [arr([1])]) as [Value[], Value[]];
      assert.deepEqual([nums(out[0]), nums(out[1]), nums(t[0]), nums(t[1])], [[0], [1], [1], [0]]);
    });

    it("reverse mode stages a cond of the branches' known parts and a cond of their transposes", () => {
      const j = makeJaxpr(grad(f))(new ShapedArray([3], "float32"));
      assert.deepEqual(j.jaxpr.eqns.filter((e) => e.primitive === "cond").length, 2);
    });
  });
});
