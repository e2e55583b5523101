/** @file The jaxpr printer: JAX's text form, line breaking at 80 columns, literals, params. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { lax, makeJaxpr, printJaxpr, ShapedArray } from "../../kernel/index.js";
import { pyFloatRepr, formatDoc, group, concat, text, brk, nest } from "../../kernel/ir/print.js";
import type { Value } from "../../kernel/ir/core.js";

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");

describe("jaxpr printer", () => {
  it("prints a small jaxpr on one line, as JAX does", () => {
    const j = makeJaxpr((x: Value) => lax.mul(lax.exp(x), 2.0))(f32(3));
    assert.equal(printJaxpr(j), "{ lambda ; a:f32[3]. let b:f32[3] = exp a; c:f32[3] = mul b 2.0:f32[] in (c,) }");
  });

  it("breaks a long jaxpr into one equation per line with JAX's indentation", () => {
    const j = makeJaxpr((x: Value) => {
      let y = x;
      for (let i = 0; i < 3; i++) y = lax.sin(lax.mul(y, 3.0));
      return [y, lax.cos(x)];
    })(f32(3));
    assert.equal(printJaxpr(j), [
      "{ lambda ; a:f32[3]. let",
      "    b:f32[3] = mul a 3.0:f32[]",
      "    c:f32[3] = sin b",
      "    d:f32[3] = mul c 3.0:f32[]",
      "    e:f32[3] = sin d",
      "    f:f32[3] = mul e 3.0:f32[]",
      "    g:f32[3] = sin f",
      "    h:f32[3] = cos a",
      "  in (g, h) }",
    ].join("\n"));
  });

  it("hides broadcast_in_dim's shape and sharding (implied by the binder's type), as JAX does", () => {
    const j = makeJaxpr((x: Value) => lax.reduceSum(lax.broadcastInDim(x, [2, 3], [1]), [0]))(f32(3));
    assert.equal(printJaxpr(j), [
      "{ lambda ; a:f32[3]. let",
      "    b:f32[2,3] = broadcast_in_dim[broadcast_dimensions=(1,)] a",
      "    c:f32[3] = reduce_sum[axes=(0,) out_sharding=None] b",
      "  in (c,) }",
    ].join("\n"));
    const k = makeJaxpr((x: Value) => lax.broadcastInDim(x, [4], []))(f32());
    assert.equal(printJaxpr(k), "{ lambda ; a:f32[]. let b:f32[4] = broadcast_in_dim a in (b,) }");
  });

  it("breaks an equation's params one per line when the equation is too long, params sorted by name", () => {
    const j = makeJaxpr(() => lax.broadcastedIota("int32", [1000, 1000, 1000], 0))();
    assert.equal(printJaxpr(j), [
      "{ lambda ; . let",
      "    a:i32[1000,1000,1000] = iota[",
      "      dimension=0",
      "      dtype=int32",
      "      shape=(1000, 1000, 1000)",
      "      sharding=None",
      "    ] ",
      "  in (a,) }",
    ].join("\n"));
  });

  it("prints float literals as Python prints the float32 value widened to a double", () => {
    assert.equal(pyFloatRepr(Math.fround(0.1)), "0.10000000149011612");
    assert.equal(pyFloatRepr(2), "2.0");
    assert.equal(pyFloatRepr(1e-5), "1e-05");
    assert.equal(pyFloatRepr(1.5e16), "1.5e+16");
    assert.equal(pyFloatRepr(123456.5), "123456.5");
    assert.equal(pyFloatRepr(-0), "-0.0");
    assert.equal(pyFloatRepr(NaN), "nan");
    assert.equal(pyFloatRepr(-Infinity), "-inf");
  });

  it("lays out groups flat only when the whole group fits", () => {
    const doc = group(nest(2, concat(text("aaaa"), brk(), text("bbbb"))));
    assert.equal(formatDoc(doc, 9), "aaaa bbbb");
    assert.equal(formatDoc(doc, 8), "aaaa\n  bbbb");
  });
});
