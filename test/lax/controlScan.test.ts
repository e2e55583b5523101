/**
 * @file lax.scan: values against NumPy loops (an RNN, a reverse scan), pytrees, length/unroll,
 * JAX's errors, jaxprs, vmap against a loop, and gradients against PyTorch autograd and finite
 * differences (float64).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, checkGrads, config, grad, jnp, lax, makeJaxpr, printJaxpr, ShapedArray, vmap } from "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";
import { assertHostClose, fromHostNd, randomArray, rng, stackAxis, takeAxis, toHost } from "../batching/helpers.js";

interface Fixture {
  rnn: { inputs: Record<string, FixtureArray>; inputs64: Record<string, FixtureArray>; h: FixtureArray; hs: FixtureArray; loss: number; grads: Record<string, FixtureArray> };
  reverse_scan: { xs: FixtureArray; carry: FixtureArray; ys: FixtureArray };
}
const fx = loadFixture<Fixture>("control");

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const arr = (data: number[], shape: number[] = [data.length], dtype: "float32" | "int32" | "float64" = "float32") => Array.fromHost(data, shape, dtype);
const nums = (x: unknown) => (x as Array).toNumbers();
const check = (f: (...a: Value[]) => unknown, args: Value[], order: number) => checkGrads(f as (...a: unknown[]) => unknown, args, order);

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

/** h <- tanh(W h + U x + b) over xs: [last h, every h]. */
function rnn(W: Value, U: Value, b: Value, h0: Value, xs: Value): [Value, Value] {
  return lax.scan((h: Value, x: Value) => {
    const hn = lax.tanh(lax.add(lax.add(lax.dot(W, h), lax.dot(U, x)), b));
    return [hn, hn];
  }, h0, xs) as [Value, Value];
}

const rnnLoss = (W: Value, U: Value, b: Value, h0: Value, xs: Value): Value => {
  const [h, hs] = rnn(W, U, b, h0, xs);
  return lax.add(lax.reduceSum(lax.mul(hs, hs), [0, 1]), lax.reduceSum(h, [0]));
};

/** Python's `c + x` promotes, so a weak integer initial carry works (jnp.add). */
const cumsum = (xs: Value) => lax.scan((c: Value, x: Value) => [jnp.add(c, x), c], 0, xs) as [Value, Value];

describe("lax.scan", () => {
  describe("values", () => {
    it("runs an RNN as NumPy's loop does", () => {
      const p = fx.rnn.inputs;
      const [h, hs] = rnn(fromFixture(p.W), fromFixture(p.U), fromFixture(p.b), fromFixture(p.h0), fromFixture(p.xs));
      assertClose(h, fx.rnn.h, { rtol: 1e-5, atol: 1e-6 });
      assertClose(hs, fx.rnn.hs, { rtol: 1e-5, atol: 1e-6 });
    });

    it("runs in reverse: ys in the order of xs", () => {
      const r = fx.reverse_scan;
      const [c, ys] = lax.scan((c: Value, x: Value) => [lax.add(lax.mul(c, x), 1), c], arr([1, 1, 1]), fromFixture(r.xs), { reverse: true }) as [Value, Value];
      assertClose(c, r.carry, { rtol: 1e-6 });
      assertClose(ys, r.ys, { rtol: 1e-6 });
    });

    it("carries and scans over pytrees", () => {
      const xs = { u: arr([1, 2, 3]), v: [arr([10, 20, 30, 40, 50, 60], [3, 2])] };
      const [carry, ys] = lax.scan(
        (c: { n: Value; s: Value }, x: { u: Value; v: Value[] }) => [{ n: lax.add(c.n, 1), s: lax.add(c.s, x.u) }, [lax.mul(x.v[0], c.n), { w: c.s }]],
        { n: arr([0], []), s: arr([0], []) },
        xs,
      ) as [{ n: Value; s: Value }, [Value, { w: Value }]];
      assert.deepEqual([nums(carry.n), nums(carry.s)], [[3], [6]]);
      assert.deepEqual(nums(ys[0]), [0, 0, 30, 40, 100, 120]);
      assert.deepEqual(nums(ys[1].w), [0, 1, 3]);
    });

    it("iterates `length` times without xs", () => {
      const [c, ys] = lax.scan((c: Value) => [lax.mul(c, 2), c], arr([1], [], "int32"), null, { length: 5 }) as [Value, Value];
      assert.deepEqual([nums(c), nums(ys)], [[32], [1, 2, 4, 8, 16]]);
    });

    it("gives the same results for every unroll", () => {
      const xs = arr([1, 2, 3, 4, 5, 6, 7]);
      const want = cumsum(xs).map(nums);
      for (const unroll of [2, 3, true, 0]) {
        const got = (lax.scan((c: Value, x: Value) => [jnp.add(c, x), c], 0, xs, { unroll }) as Value[]).map(nums);
        assert.deepEqual(got, want, `unroll=${unroll}`);
      }
    });

    it("scans zero times: the carry is unchanged and ys are empty", () => {
      const [c, ys] = cumsum(Array.fromHost([], [0], "float32"));
      assert.deepEqual(nums(c), [0]);
      assert.deepEqual([...(ys as Array).shape], [0]);
    });

    it("promotes a weakly typed initial carry to the body's type (JAX's _promote_weak_typed_input)", () => {
      const [c] = lax.scan((c: Value, x: Value) => [jnp.add(c, x), c], 0, arr([0.5, 1.5])) as [Value, Value];
      assert.equal((c as Array).dtype, "float32");
      assert.deepEqual(nums(c), [2]);
    });
  });

  describe("errors", () => {
    it("rejects a carry whose type changes, naming the difference", () => {
      throwsKind(
        () => lax.scan((c: Value, x: Value) => [lax.broadcastInDim(lax.add(c, x), [2], []), x], arr([0], []), arr([1, 2])),
        "TypeError",
        /^scan body function carry input and carry output must have equal types, but they differ:\n\nThe input carry has type f32\[\] but the corresponding output carry component has type f32\[2\], so the shapes do not match\.\n\nRevise the function so that all output types match the corresponding input types\.$/,
      );
      throwsKind(
        () => lax.scan((c: Value[], x: Value) => [[c[0], lax.convertElementType(c[1], "int32")], x], [arr([0], []), arr([0], [])], arr([1, 2])),
        "TypeError",
        /The input carry at path \[1\] has type f32\[\] but the corresponding output carry component has type i32\[\], so the dtypes do not match\./,
      );
    });

    it("rejects a carry whose structure changes", () => {
      throwsKind(() => lax.scan((c: Value, x: Value) => [[c, c], x], arr([0], []), arr([1, 2])), "TypeError",
        /^scan body function carry input and carry output must have the same pytree structure, but they differ:/);
    });

    it("rejects inconsistent or missing lengths", () => {
      const body = (c: Value, x: unknown) => [c, x];
      throwsKind(() => lax.scan(body, arr([0], []), [arr([1, 2, 3]), arr([1, 2, 3, 4])]), "ValueError", /^scan got values with different leading axis sizes: 3, 4\.$/);
      throwsKind(() => lax.scan(body, arr([0], []), null), "ValueError", /^scan got no values to scan over and `length` not provided\.$/);
      throwsKind(() => lax.scan(body, arr([0], []), arr([1, 2]), { length: 3 }), "ValueError", /^scan got `length` argument of 3 which disagrees with leading axis sizes \[2\]\.$/);
      throwsKind(() => lax.scan(body, arr([0], []), arr([1], [])), "ValueError", /^scan got value with no leading axis to scan over: f32\[\]\.$/);
    });

    it("rejects a body that does not return a pair, and a negative unroll", () => {
      throwsKind(() => lax.scan((c: Value) => c as never, arr([0], []), arr([1, 2])), "TypeError", /^scan body output must be a pair, got PyTreeDef\(\*\)\.$/);
      throwsKind(() => lax.scan((c: Value, x: Value) => [c, x], arr([0], []), arr([1, 2]), { unroll: -1 }), "ValueError", /^`unroll` must be a `bool` or a non-negative `int`\.$/);
    });
  });

  describe("jaxprs", () => {
    it("prints scan as JAX does", () => {
      const j = makeJaxpr((c: Value, xs: Value) => lax.scan((c: Value, x: Value) => [lax.add(c, x), lax.mul(c, x)], c, xs))(f32(), f32(4));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[] b:f32[4]. let",
        "    c:f32[] d:f32[4] = scan[",
        "      _split_transpose=False",
        "      jaxpr={ lambda ; e:f32[] f:f32[]. let",
        "          g:f32[] = add e f",
        "          h:f32[] = mul e f",
        "        in (g, h) }",
        "      length=4",
        "      linear=(False, False)",
        "      num_carry=1",
        "      num_consts=0",
        "      reverse=False",
        "      unroll=1",
        "    ] a b",
        "  in (c, d) }",
      ].join("\n"));
    });

    it("passes captured values as consts, and a carry the body never changes as a const too", () => {
      const j = makeJaxpr((w: Value, c: Value, k: Value, xs: Value) => lax.scan(([c, k]: Value[], x: Value) => [[lax.add(c, lax.mul(x, w)), k], k], [c, k], xs))(f32(), f32(), f32(), f32(3));
      const eqn = j.jaxpr.eqns[0];
      assert.equal(eqn.primitive, "scan");
      assert.equal(eqn.params.num_consts, 2, "k moved to the consts, next to the captured w");
      assert.equal(eqn.params.num_carry, 1);
      assert.deepEqual(eqn.inputs.map((x) => j.jaxpr.invars.indexOf(x as never)), [2, 0, 1, 3]);
      assert.deepEqual(j.jaxpr.outs.map((x) => j.jaxpr.invars.indexOf(x as never)), [-1, 2, -1], "the forwarded carry is the input itself");
    });

    it("reverse mode is a forward scan of the known part and a reverse scan of the transposed body", () => {
      const j = makeJaxpr(grad((xs: Value) => lax.reduceSum((cumsum(xs)[1]), [0])))(f32(4));
      const scans = j.jaxpr.eqns.filter((e) => e.primitive === "scan");
      assert.deepEqual(scans.map((e) => e.params.reverse), [false, true]);
    });

    it("a residual that is an x is the xs themselves, not a stacked copy", () => {
      const f = (w: Value, xs: Value) => (lax.scan((c: Value, x: Value) => [lax.add(c, lax.mul(w, x)), null], lax.mul(w, 0), xs) as Value[])[0];
      const j = makeJaxpr(grad(f))(f32(), f32(4));
      const [known, transposed] = j.jaxpr.eqns.filter((e) => e.primitive === "scan");
      assert.equal(known.outBinders.length, 1, "the known scan only computes the carry");
      assert.ok(transposed.inputs.includes(j.jaxpr.invars[1]), "the transposed scan reads xs");
      assert.deepEqual(transposed.params.linear, [true, true, false]);
    });
  });

  describe("vmap", () => {
    const body = (c: Value, x: Value) => [lax.add(lax.mul(c, x), 1), lax.sin(c)];
    const f = (c0: Value, xs: Value) => lax.scan(body, c0, xs) as Value[];

    function loop(c0s: Array | null, c0: Array, xss: Array, xsAxis: number, n: number) {
      const outs = [...globalThis.Array(n).keys()].map((b) => f(c0s ? fromHostNd(takeAxis(toHost(c0s), 0, b)) : c0, fromHostNd(takeAxis(toHost(xss), xsAxis, b))).map(toHost));
      return [stackAxis(outs.map((o) => o[0]), 0), stackAxis(outs.map((o) => o[1]), 0)];
    }

    it("batched xs (on any axis) and init equal a loop", () => {
      const r = rng(7);
      const c0s = randomArray([2, 3], "float32", r);
      const xss = randomArray([5, 2, 3], "float32", r);
      const got = vmap(f, [0, 1])(c0s, xss);
      const want = loop(c0s, c0s, xss, 1, 2);
      got.forEach((g, k) => assertHostClose(toHost(g), want[k], { rtol: 1e-6, atol: 1e-6 }, `output ${k}`));
    });

    it("an unbatched init becomes batched when the carry depends on batched xs", () => {
      const r = rng(8);
      const c0 = randomArray([3], "float32", r);
      const xss = randomArray([2, 5, 3], "float32", r);
      const got = vmap(f, [null, 0])(c0, xss);
      const want = loop(null, c0, xss, 0, 2);
      got.forEach((g, k) => assertHostClose(toHost(g), want[k], { rtol: 1e-6, atol: 1e-6 }, `output ${k}`));
      const j = makeJaxpr(vmap(f, [null, 0]))(f32(3), f32(2, 5, 3));
      const scan = j.jaxpr.eqns.find((e) => e.primitive === "scan")!;
      assert.deepEqual(scan.inputs.map((x) => (x as { aval: ShapedArray }).aval.shape), [[2, 3], [5, 2, 3]], "init broadcast; xs batched on axis 1");
    });
  });

  describe("derivatives", () => {
    it("the gradient of an RNN loss equals PyTorch autograd's (float64)", () => withX64(() => {
      const p = fx.rnn.inputs64;
      const [W, U, b, h0, xs] = ["W", "U", "b", "h0", "xs"].map((k) => fromFixture(p[k]));
      const args = [W, U, b, h0, xs];
      const loss = rnnLoss(W, U, b, h0, xs);
      assert.ok(Math.abs((loss as Array).item() as number - fx.rnn.loss) < 1e-10);
      const grads = grad(rnnLoss, { argnums: [0, 1, 2, 3, 4] })(...args) as Array[];
      ["W", "U", "b", "h0", "xs"].forEach((k, i) => assertClose(grads[i], fx.rnn.grads[k], { rtol: 1e-10, atol: 1e-12, msg: k }));
    }));

    it("JVP and VJP of an RNN agree with finite differences to second order", () => withX64(() => {
      const r = rng(3);
      const args = [[3, 3], [3, 2], [3], [3], [4, 2]].map((s) => randomArray(s, "float64", r, "small"));
      check(rnnLoss, args, 2);
    }));

    it("a reverse scan with a captured constant, to second order", () => withX64(() => {
      const g = (w: Value, xs: Value) => {
        const [c, ys] = lax.scan((c: Value, x: Value) => [lax.sin(lax.add(lax.mul(c, w), x)), lax.mul(c, c)], arr([0.3], [], "float64"), xs, { reverse: true }) as Value[];
        return lax.add(c, lax.reduceSum(ys, [0]));
      };
      check(g, [arr([0.7], [], "float64"), arr([0.1, -0.4, 0.9, 0.2], [4], "float64")], 2);
    }));

    it("vmap of grad through scan equals a loop of grads", () => withX64(() => {
      const g = grad((xs: Value) => lax.reduceSum(lax.mul(cumsum(xs)[1], xs), [0]));
      const xss = randomArray([3, 4], "float64", rng(4));
      const got = toHost(vmap(g)(xss) as Value);
      const want = stackAxis([0, 1, 2].map((b) => toHost(g(fromHostNd(takeAxis(toHost(xss), 0, b))) as Value)), 0);
      assertHostClose(got, want, { rtol: 1e-12, atol: 1e-12 }, "vmap(grad)");
    }));
  });
});
