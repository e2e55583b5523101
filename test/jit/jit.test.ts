/** @file The jit API: caching per avals/static args/device, pytrees, donation, printing, and jit under vmap. */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture, testDevices } from "../util.js";
import * as lax from "../../kernel/lax/index.js";
import { jit, jitFlat } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { Array } from "../../kernel/backend/array.js";
import { cpuDevice } from "../../kernel/backend/device.js";
import { vmap } from "../../kernel/batching/index.js";

const fx = loadFixture<Record<string, FixtureArray>>("jit");
const f = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));
const stats = cpuDevice().backend.stats;
const f32 = (data: number[], shape = [data.length]): Array => Array.fromHost(data, shape, "float32");

describe("jit", () => {
  it("a second call with the same shapes compiles nothing; a new shape compiles once", () => {
    const jf = jit((x: Value) => lax.sin(lax.mul(lax.cos(x), 3.25)));
    const c0 = stats.compiles;
    jf(f32([1, 2, 3]));
    const c1 = stats.compiles;
    assert.equal(c1 - c0, 1, "first call compiles its one kernel");
    jf(f32([4, 5, 6]));
    assert.equal(stats.compiles, c1, "same shapes: nothing compiled");
    assert.equal(jf.cacheSize, 1);
    jf(f32([1, 2, 3, 4]));
    assert.equal(stats.compiles - c1, 1, "a new shape compiles once");
    jf(f32([1, 2, 3, 4]));
    assert.equal(stats.compiles - c1, 1);
    assert.equal(jf.cacheSize, 2);
  });

  it("weak types and dtypes are part of the cache key", () => {
    const jf = jit((x: Value) => lax.add(x, x));
    jf(f32([1]));
    jf(Array.fromHost([1], [1], "float32", { weak: true }));
    jf(Array.fromHost([1], [1], "int32"));
    assert.equal(jf.cacheSize, 3);
  });

  it("traces once per static argument value, and static args act as constants", () => {
    let traces = 0;
    const jf = jit((x: Value, n: number) => {
      traces++;
      return lax.integerPow(x, n);
    }, { static_argnums: 1 });
    const x = f32([1, 2, 3]);
    assert.deepEqual((jf(x, 2) as Array).toNumbers(), [1, 4, 9]);
    assert.deepEqual((jf(x, 3) as Array).toNumbers(), [1, 8, 27]);
    jf(x, 2);
    assert.equal(traces, 2);
  });

  it("static_argnames name keys of a trailing keyword object", () => {
    let traces = 0;
    const jf = jit((x: Value, kw: { scale: number; y: Value }) => {
      traces++;
      return lax.add(lax.mul(x, kw.scale), kw.y);
    }, { static_argnames: "scale" });
    const out = jf(f32([1, 2]), { scale: 10, y: f32([0.5, 0.25]) }) as Array;
    assert.deepEqual(out.toNumbers(), [10.5, 20.25]);
    jf(f32([3, 4]), { scale: 10, y: f32([1, 1]) });
    jf(f32([3, 4]), { scale: 2, y: f32([1, 1]) });
    assert.equal(traces, 2);
  });

  it("takes and returns pytrees", () => {
    const jf = jit((p: { a: Value; b: [Value, Value] }) => ({ s: lax.add(p.a, p.b[0]), t: [lax.mul(p.b[1], 2)] }));
    const out = jf({ a: f32([1, 2]), b: [f32([10, 20]), f32([3, 4])] }) as { s: Array; t: Array[] };
    assert.deepEqual(out.s.toNumbers(), [11, 22]);
    assert.deepEqual(out.t[0].toNumbers(), [6, 8]);
  });

  it("donated arguments are deleted after the call", () => {
    const jf = jit((x: Value, y: Value) => lax.add(x, y), { donate_argnums: 0 });
    const x = f32([1, 2]), y = f32([3, 4]);
    assert.deepEqual((jf(x, y) as Array).toNumbers(), [4, 6]);
    assert.ok(x.isDeleted);
    assert.ok(!y.isDeleted);
    assert.throws(() => x.data(), /deleted/);
  });

  it("rejects non-array arguments that are not static, and arrays as static arguments", () => {
    const jf = jit((x: Value) => x);
    assert.throws(() => jf("hello" as unknown as Value), /not a valid JAX type/);
    const js = jit((x: Value, n: unknown) => lax.mul(x, n as number), { static_argnums: 1 });
    assert.throws(() => js(f32([1]), f32([2])), /Non-hashable static arguments/);
    assert.throws(() => jit((x: Value) => x, { static_argnums: 3 })(f32([1])), /static_argnums/);
  });

  it("make_jaxpr shows the jit equation as JAX prints it", () => {
    const jf = jit(f);
    const text = printJaxpr(makeJaxpr(jf)(new ShapedArray([3], "float32")));
    assert.match(text, /^\{ lambda ; a:f32\[3\]\. let\n {4}\w+:f32\[3\] = jit\[\n {6}name=f\n {6}jaxpr=\{ lambda ; /);
    assert.ok(text.includes("integer_pow[y=2]"), text);
    assert.ok(!text.includes("donated_invars") && !text.includes("inline"), "default params are not printed");
    const donated = printJaxpr(makeJaxpr(jit(f, { donate_argnums: 0 }))(new ShapedArray([3], "float32")));
    assert.ok(donated.includes("donated_invars=(True,)"), donated);
  });

  it("prints the body with the equation's variable names, exactly as JAX (its pjit_test cases)", () => {
    const small = jit((x: Value) => lax.add(x, 1), { name: "inner_jit_small" });
    assert.equal(printJaxpr(makeJaxpr((x: Value) => small(x))(new ShapedArray([2], "int32"))), [
      "{ lambda ; a:i32[2]. let",
      "    b:i32[2] = jit[",
      "      name=inner_jit_small",
      "      jaxpr={ lambda ; a:i32[2]. let b:i32[2] = add a 1:i32[] in (b,) }",
      "    ] a",
      "  in (b,) }",
    ].join("\n"));
    const first = jit((u: Value, _v: Value) => u, { name: "<lambda>" });
    assert.equal(printJaxpr(makeJaxpr((x: Value) => lax.add(x, first(x, x) as Value))(new ShapedArray([1], "float32"))), [
      "{ lambda ; a:f32[1]. let",
      "    b:f32[1] = jit[",
      "      name=<lambda>",
      "      jaxpr={ lambda ; a:f32[1] c:f32[1]. let  in (a,) }",
      "    ] a a",
      "    d:f32[1] = add a b",
      "  in (d,) }",
    ].join("\n"));
  });

  it("returns inputs, literals and duplicated outputs", () => {
    const jf = jit((x: Value) => [x, lax.add(x, 1), lax.add(x, 1)]);
    const [a, b, c] = jf(f32([1, 2])) as Array[];
    assert.deepEqual(a.toNumbers(), [1, 2]);
    assert.deepEqual(b.toNumbers(), [2, 3]);
    assert.deepEqual(c.toNumbers(), [2, 3]);
  });

  it("vmap of jit batches the call (jit of the vmapped body)", () => {
    const jf = jit(f);
    const x = fromFixture(fx.post_x);
    const text = printJaxpr(makeJaxpr(vmap(jf))(x));
    assert.ok(text.includes("jit["), text);
    assertClose(vmap(jf)(x), fx.post_f, { rtol: 1e-5, atol: 1e-6 });
  });

  it("a 0-d array on another device follows the other operands (eager and jit), arrays of different devices do not mix", () => {
    for (const d of testDevices()) {
      const x = Array.fromHost([1, 2], [2], "float32", { device: cpuDevice() });
      const s = Array.scalar(3, "float32", false, d);
      const eager = lax.mul(x, s) as Array;
      const jitted = jit((a: Value, b: Value) => lax.mul(a, b))(x, s) as Array;
      for (const r of [eager, jitted]) {
        assert.equal(r.device, cpuDevice(), `${d.toString()}: result device`);
        assert.deepEqual(r.toNumbers(), [3, 6]);
      }
      if (d !== cpuDevice()) {
        // Arrays committed to different devices do not mix (uncommitted ones move: test/sharding/committed.test.ts).
        const y = Array.fromHost([1, 2], [2], "float32", { device: d, committed: true });
        const xc = Array.fromHost([1, 2], [2], "float32", { device: cpuDevice(), committed: true });
        assert.throws(() => lax.add(xc, y), /incompatible devices/);
        assert.throws(() => jit((a: Value, b: Value) => lax.add(a, b))(xc, y), /incompatible devices/);
      }
    }
  });

  it("jitFlat: flat lists in and out, cached", () => {
    const g = jitFlat((x: Value, y: Value) => [lax.sub(x, y), lax.mul(x, y)], { name: "g" });
    const [d, p] = g([f32([5, 6]), f32([1, 2])]) as Array[];
    assert.deepEqual(d.toNumbers(), [4, 4]);
    assert.deepEqual(p.toNumbers(), [5, 12]);
    assert.ok(g.lower([f32([5, 6]), f32([1, 2])]).asText().includes("kernel"));
  });

  it("lower().asText() shows the kernel source", () => {
    const text = jit(f).lower(fromFixture(fx.post_x)).asText();
    assert.ok(text.includes("Math.cos") && text.includes("Math.exp"), text);
    assert.ok(!text.includes(" % ") && !text.includes("H.idiv"), "contiguous access needs no unravel");
  });
});
