/** @file vmap: in_axes/out_axes forms, pytrees, nesting, axis_size/axis_name, errors, jaxprs. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, lax, makeJaxpr, printJaxpr, ShapedArray } from "../../kernel/index.js";
import { type Value, getAval } from "../../kernel/ir/core.js";
import { evalJaxpr } from "../../kernel/ir/jaxpr.js";
import { lookupAxis, vmap, vmapFlat, vmapJaxpr } from "../../kernel/batching/index.js";

const arr = (data: number[], shape: number[], dtype: "float32" | "int32" = "float32") => Array.fromHost(data, shape, dtype);
const iota = (n: number, shape = [n]) => arr([...globalThis.Array(n).keys()], shape);
const nums = (x: unknown) => (x as Array).toNumbers();
const shapeOf = (x: unknown) => [...(x as Array).shape];
const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");

/** Asserts that `f` throws an error of kind `name` whose message is exactly `msg`. */
function throwsExactly(f: () => unknown, name: string, msg: string): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name);
    assert.equal(e.message, msg);
    return true;
  });
}

describe("vmap", () => {
  describe("in_axes and out_axes", () => {
    const x = iota(6, [2, 3]);

    it("maps over axis 0 by default", () => {
      const y = vmap((v: Value) => lax.reduceSum(v, [0]))(x);
      assert.deepEqual(shapeOf(y), [2]);
      assert.deepEqual(nums(y), [3, 12]);
    });

    it("maps over a negative axis", () => {
      const y = vmap((v: Value) => lax.reduceSum(v, [0]), -1)(x);
      assert.deepEqual(nums(y), [3, 5, 7]);
    });

    it("leaves None arguments unmapped and broadcasts them", () => {
      const y = vmap((a: Value, b: Value) => lax.mul(a, b), [1, null])(x, arr([10, 100], [2]));
      assert.deepEqual(shapeOf(y), [3, 2]);
      assert.deepEqual(nums(y), [0, 300, 10, 400, 20, 500]);
    });

    it("puts the mapped axis where out_axes says, also negative", () => {
      const y1 = vmap((v: Value) => lax.neg(v), 0, 1)(x);
      assert.deepEqual(shapeOf(y1), [3, 2]);
      assert.deepEqual(nums(y1), [-0, -3, -1, -4, -2, -5]);
      const y2 = vmap((v: Value) => lax.neg(v), 1, -1)(x);
      assert.deepEqual(shapeOf(y2), [2, 3]);
      assert.deepEqual(nums(y2), [-0, -1, -2, -3, -4, -5]);
    });

    it("takes in_axes as a pytree prefix of the arguments (JAX's dict example)", () => {
      const dct = { a: 0, b: arr([0, 1, 2, 3, 4], [5]) };
      const foo = (d: { a: Value; b: Value }, y: Value) => lax.add(lax.add(d.b, d.a), y);
      const out = vmap(foo, [{ a: null, b: 0 }, null])(dct, 1);
      assert.deepEqual(nums(out), [1, 2, 3, 4, 5]);
    });

    it("maps nested containers along different axes (JAX's tree example)", () => {
      const K = 4;
      const xs = arr([...globalThis.Array(K * 2).keys()], [K, 2]);
      const ys = arr([...globalThis.Array(3 * K).keys()], [3, K]);
      const zs = arr([...globalThis.Array(2 * K).keys()], [2, K]);
      const foo = (t: [Value, [Value, Value]]) => {
        const [a, [b, c]] = t;
        return lax.add(lax.reduceSum(a, [0]), lax.add(lax.reduceSum(b, [0]), lax.reduceSum(c, [0])));
      };
      const out = vmap(foo, [[0, [1, 1]]])([xs, [ys, zs]]);
      // Element k: (2k + 2k+1) + (k + K+k + 2K+k) + (k + K+k).
      assert.deepEqual(nums(out), [0, 1, 2, 3].map((k) => 4 * k + 1 + 3 * k + 3 * K + 2 * k + K));
    });

    it("returns unmapped outputs as they are with out_axes None, broadcast with an int", () => {
      const f = (a: Value, b: Value) => [lax.add(a, b), lax.mul(b, 2)];
      const [s, d] = vmap(f, [0, null], [0, null])(arr([0, 1], [2]), arr([4], [], "float32")) as Value[];
      assert.deepEqual(nums(s), [4, 5]);
      assert.deepEqual(shapeOf(d), []);
      assert.deepEqual(nums(d), [8]);
      const [, d2] = vmap(f, [0, null], 0)(arr([0, 1], [2]), 4) as Value[];
      assert.deepEqual(shapeOf(d2), [2]);
      assert.deepEqual(nums(d2), [8, 8]);
      assert.equal(getAval(d2).weakType, true, "a Python scalar stays weakly typed when broadcast");
    });

    it("takes out_axes as a pytree prefix of the outputs", () => {
      const f = (a: Value) => ({ p: lax.neg(a), q: [a, lax.sin(a)] });
      const out = vmap(f, 0, { p: 1, q: -1 })(x) as { p: Value; q: Value[] };
      assert.deepEqual(shapeOf(out.p), [3, 2]);
      assert.deepEqual(shapeOf(out.q[0]), [3, 2]);
      assert.deepEqual(nums(out.q[0]), [0, 3, 1, 4, 2, 5]);
    });

    it("accepts an options object with axisSize for functions of no mapped argument", () => {
      const y = vmap((c: Value) => lax.mul(c, 3), { inAxes: null, axisSize: 4 })(arr([2], []));
      assert.deepEqual(nums(y), [6, 6, 6, 6]);
    });
  });

  describe("nesting and axis names", () => {
    it("nests: an outer product from a scalar product", () => {
      const mul = (a: Value, b: Value) => lax.mul(a, b);
      const outer = vmap(vmap(mul, [null, 0]), [0, null]);
      const y = outer(arr([1, 2, 3], [3]), arr([10, 20], [2]));
      assert.deepEqual(shapeOf(y), [3, 2]);
      assert.deepEqual(nums(y), [10, 20, 20, 40, 30, 60]);
    });

    it("nests with inner axes that move (JAX's mm from mv from vv)", () => {
      const vv = (a: Value, b: Value) => lax.reduceSum(lax.mul(a, b), [0]);
      const mv = vmap(vv, [0, null], 0);
      const mm = vmap(mv, [null, 1], 1);
      const a = arr([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = arr([1, 0, 0, 1, 1, 1], [3, 2]);
      const y = mm(a, b);
      assert.deepEqual(shapeOf(y), [2, 2]);
      assert.deepEqual(nums(y), [4, 5, 10, 11]);
    });

    it("makes its axis name visible inside, innermost first", () => {
      const seen: (number | undefined)[] = [];
      const f = (v: Value) => {
        seen.push(lookupAxis("i")?.size, lookupAxis("j")?.size);
        return v;
      };
      vmap(vmap(f, { axisName: "j" }), { axisName: "i" })(iota(6, [2, 3]));
      assert.deepEqual(seen, [2, 3]);
      assert.equal(lookupAxis("i"), undefined, "the name is gone after vmap returns");
    });
  });

  describe("errors", () => {
    it("reports inconsistent sizes as JAX does", () => {
      throwsExactly(
        () => vmap((a: Value, b: Value) => lax.add(a, b))(iota(2), iota(3)),
        "ValueError",
        "vmap got inconsistent sizes for array axes to be mapped:\n" +
          "  * one axis had size 2: axis 0 of args[0] of type float32[2];\n" +
          "  * one axis had size 3: axis 0 of args[1] of type float32[3]",
      );
      throwsExactly(
        () => vmap((a: Value[]) => a[0], [[0, 0, 1]])([iota(2), iota(2), iota(6, [2, 3])]),
        "ValueError",
        "vmap got inconsistent sizes for array axes to be mapped:\n" +
          "  * most axes (2 of them) had size 2, e.g. axis 0 of args[0][0] of type float32[2];\n" +
          "  * one axis had size 3: axis 1 of args[0][2] of type float32[2,3]",
      );
      throwsExactly(
        () => vmap((a: Value) => a, { axisSize: 3 })(iota(2)),
        "ValueError",
        "vmap got inconsistent sizes for array axes to be mapped:\n" +
          "  * the `axis_size` argument was 3;\n" +
          "  * one axis had size 2: axis 0 of args[0] of type float32[2]",
      );
    });

    it("rejects an axis beyond an argument's rank", () => {
      throwsExactly(() => vmap((a: Value) => a, 1)(iota(3)), "ValueError",
        "vmap was requested to map its argument along axis 1, which implies that its rank should be at least 2, but is only 1 (its shape is (3,))");
      throwsExactly(() => vmap((a: Value) => a)(2.0), "ValueError",
        "vmap was requested to map its argument along axis 0, which implies that its rank should be at least 1, but is only 0 (its shape is ())");
    });

    it("rejects bad in_axes and out_axes", () => {
      throwsExactly(() => vmap((a: Value) => a, "x" as never), "TypeError",
        "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got x.");
      throwsExactly(() => vmap((a: Value) => a, [0.5]), "TypeError",
        "vmap in_axes must be an int, None, or (nested) container with those types as leaves, but got (0.5,).");
      throwsExactly(() => vmap((a: Value) => a, 0, [0, "a" as never]), "TypeError",
        "vmap out_axes must be an int, None, or (nested) container with those types as leaves, but got (0, 'a').");
      throwsExactly(() => vmap((a: Value) => a, [0, 0])(iota(2)), "ValueError",
        "vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got len(in_axes)=2, len(args)=1.");
      throwsExactly(() => vmap((a: Value) => a, null)(iota(2)), "ValueError",
        "vmap must have at least one non-None value in in_axes or axis_size must be specified");
    });

    it("rejects in_axes that are not a tree prefix of the arguments", () => {
      assert.throws(() => vmap((t: Value[]) => t[0], [[0, 0, 0]])([iota(2), iota(2)]), (e: Error) => {
        assert.equal(e.name, "ValueError");
        assert.match(e.message, /^vmap in_axes specification must be a tree prefix of the corresponding value; \n {2}Mismatch details \(1 found\):/);
        assert.match(e.message, /different lengths of tuple at key path\n {4}vmap in_axes\[0\]\nAt that key path, the prefix pytree vmap in_axes has a subtree of type tuple of length 3, but the full pytree has a subtree of the same type but of length 2\./);
        return true;
      });
    });

    it("rejects outputs that are not arrays", () => {
      throwsExactly(() => vmap(() => "a" as never, { inAxes: [], axisSize: 2 })(), "TypeError",
        "Output from batched function 'a' with type <class 'str'> is not a valid JAX type");
    });

    it("rejects a mapped output with out_axes None, naming its path", () => {
      throwsExactly(() => vmap((a: Value) => [a, a], 0, [0, null])(iota(2)), "ValueError",
        "at vmap out_axes[1], got axis spec None but output was batched on axis 0");
      throwsExactly(() => vmap((a: Value) => a, { outAxes: null, axisName: "i" })(iota(2)), "ValueError",
        "vmap has mapped output (axis_name=i) but out_axes is None");
    });
  });

  describe("flat and jaxpr-level forms", () => {
    it("vmapFlat maps flat lists, with out dims given after the outputs are known", () => {
      const f = vmapFlat((a: Value, b: Value) => [lax.add(a, b), b], [1, null], (n) => globalThis.Array(n).fill(0));
      const [s, b] = f(iota(6, [2, 3]), arr([1, 2], [2]));
      assert.deepEqual(shapeOf(s), [3, 2]);
      assert.deepEqual(nums(s), [1, 5, 2, 6, 3, 7]);
      assert.deepEqual(shapeOf(b), [3, 2], "an unmapped output is broadcast to out dim 0");
    });

    it("vmapJaxpr batches a closed jaxpr; its evaluation equals vmap", () => {
      const f = (a: Value, b: Value) => [lax.sin(lax.mul(a, b)), lax.reduceSum(a, [0])];
      const closed = makeJaxpr(f)(f32(3), f32(3));
      const [batched, outDims] = vmapJaxpr(closed, 2, [1, null], [0, "zeroIfMapped"]);
      assert.deepEqual(outDims, [0, 0]);
      assert.deepEqual(batched.inAvals.map((a) => a.shape), [[3, 2], [3]]);
      const a = iota(6, [3, 2]);
      const b = arr([1, 2, 3], [3]);
      const got = evalJaxpr(batched.jaxpr, batched.consts, [a, b]);
      const want = vmap(f, [1, null])(a, b) as Value[];
      assert.deepEqual(nums(got[0]), nums(want[0]));
      assert.deepEqual(nums(got[1]), nums(want[1]));
    });

    it("vmapJaxpr keeps an output that does not depend on a batched input unbatched", () => {
      const closed = makeJaxpr((a: Value, b: Value) => [lax.neg(a), lax.exp(b)])(f32(3), f32(3));
      const [j, outDims] = vmapJaxpr(closed, 5, [0, null], "zeroIfMapped");
      assert.deepEqual(outDims, [0, null]);
      assert.deepEqual(j.outAvals.map((x) => x.shape), [[5, 3], [3]]);
    });
  });

  describe("jaxprs of vmap(f), as JAX prints them", () => {
    it("elementwise ops keep the batch dim where it is; a scalar literal stays", () => {
      const j = makeJaxpr(vmap((v: Value) => lax.mul(lax.sin(v), 2.0)))(f32(3, 4));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[3,4]. let",
        "    b:f32[3,4] = sin a",
        "    c:f32[3,4] = mul b 2.0:f32[]",
        "  in (c,) }",
      ].join("\n"));
    });

    it("a batch dim not at out_axes is moved with a transpose", () => {
      const j = makeJaxpr(vmap((v: Value) => lax.sin(v), 1))(f32(3, 4));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[3,4]. let",
        "    b:f32[3,4] = sin a",
        "    c:f32[4,3] = transpose[permutation=(1, 0)] b",
        "  in (c,) }",
      ].join("\n"));
    });

    it("reductions shift their axes past the batch dim", () => {
      const j = makeJaxpr(vmap((v: Value) => lax.reduceSum(v, [0])))(f32(2, 3));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[2,3]. let",
        "    b:f32[2] = reduce_sum[axes=(1,) out_sharding=None] a",
        "  in (b,) }",
      ].join("\n"));
    });

    it("nested vmaps of an elementwise op are one equation", () => {
      const j = makeJaxpr(vmap(vmap((v: Value) => lax.cos(v))))(f32(2, 3));
      assert.equal(printJaxpr(j), "{ lambda ; a:f32[2,3]. let b:f32[2,3] = cos a in (b,) }");
    });

    it("an unbatched operand gets a size-1 axis and the primitive broadcasts it (JAX's broadcast_batcher)", () => {
      const j = makeJaxpr(vmap((a: Value, b: Value) => lax.mul(a, b), [0, null]))(f32(3, 4), f32(4));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[3,4] b:f32[4]. let",
        "    c:f32[1,4] = broadcast_in_dim[broadcast_dimensions=(1,)] b",
        "    d:f32[3,4] = mul a c",
        "  in (d,) }",
      ].join("\n"));
    });

    it("operands batched on different axes: the batch dims move to the front", () => {
      const j = makeJaxpr(vmap((a: Value, b: Value) => lax.mul(a, b), [1, 0]))(f32(4, 3), f32(3, 4));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[4,3] b:f32[3,4]. let",
        "    c:f32[3,4] = transpose[permutation=(1, 0)] a",
        "    d:f32[3,4] = mul c b",
        "  in (d,) }",
      ].join("\n"));
    });

    it("a batched dot operand becomes a free dimension of dot_general", () => {
      const j = makeJaxpr(vmap((a: Value, b: Value) => lax.dot(a, b), [null, 1]))(f32(2, 4), f32(4, 5));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[2,4] b:f32[4,5]. let",
        "    c:f32[2,5] = dot_general[dimension_numbers=(([1], [0]), ([], []))] a b",
        "    d:f32[5,2] = transpose[permutation=(1, 0)] c",
        "  in (d,) }",
      ].join("\n"));
    });

    it("an unmapped output broadcast to out_axes", () => {
      const j = makeJaxpr(vmap((v: Value, c: Value) => [lax.neg(v), lax.exp(c)], [0, null]))(f32(2), f32());
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[2] b:f32[]. let",
        "    c:f32[2] = neg a",
        "    d:f32[] = exp b",
        "    e:f32[2] = broadcast_in_dim d",
        "  in (c, e) }",
      ].join("\n"));
    });
  });
});
