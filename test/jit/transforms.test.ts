/** @file jit composed with the transformations: grad, jvp, vmap, in every order, against PyTorch autograd. */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import { grad, jvp, vjp } from "../../kernel/ad/index.js";
import { vmap } from "../../kernel/batching/index.js";

const fx = loadFixture<Record<string, FixtureArray>>("jit");
const f = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));
const tol = { rtol: 2e-5, atol: 2e-5 };

describe("jit with transformations", () => {
  const x = () => fromFixture(fx.post_x);

  const paths: [string, () => Value][] = [
    ["vmap(grad(f))", () => vmap(grad(f))(x()) as Value],
    ["jit(vmap(grad(f)))", () => jit(vmap(grad(f)))(x()) as Value],
    ["vmap(grad(jit(f)))", () => vmap(grad(jit(f)))(x()) as Value],
    ["vmap(jit(grad(f)))", () => vmap(jit(grad(f)))(x()) as Value],
    ["jit(vmap(grad(jit(f))))", () => jit(vmap(grad(jit(f))))(x()) as Value],
  ];
  for (const [name, run] of paths) {
    it(`${name} equals PyTorch autograd`, () => assertClose(run(), fx.post_grad, tol));
  }

  it("jit(vmap(grad(f))) compiles to one kernel", () => {
    assert.equal(jit(vmap(grad(f))).lower(x()).numKernels, 1);
  });

  it("jvp of jit: primal and tangent from one call", () => {
    const xs = x();
    const ones = Array.fromHost(new Float32Array(xs.size).fill(1), xs.shape, "float32");
    const [y, t] = jvp(jit(vmap(f)), [xs], [ones]) as [Value, Value];
    assertClose(y, fx.post_f, tol);
    assertClose(t, fx.post_grad, tol);
  });

  it("grad of jit stages jit equations for the primal and the transposed parts", () => {
    const text = printJaxpr(makeJaxpr(grad(jit(f)))(0.5));
    assert.ok((text.match(/jit\[/g) ?? []).length >= 2, text);
    assert.ok(text.includes("name=f"), text);
  });

  it("vjp through nested jits", () => {
    const g = jit((v: Value) => lax.reduceSum(vmap(jit(f))(v), [0]));
    const [, pullback] = vjp(g, [x()]) as [Value, (ct: Value) => Value[]];
    assertClose(pullback(Array.scalar(1, "float32", false))[0], fx.post_grad, tol);
  });
});
