/** @file Derivative formulas for hovers: printed forms, and values against finite differences. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { lax } from "../../kernel/index.js";
import { add, mul, num, pow, sym, fn, formatExpr, evaluate, exprsOfJaxpr, formatWithSharing } from "../../kernel/ad/symbolic.js";
import { describeDerivative } from "../../kernel/ad/describe.js";
import { grad } from "../../kernel/ad/api.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { config } from "../../kernel/ir/dtype.js";
import type { Value } from "../../kernel/ir/core.js";

const x = sym("x");
const post = (a: Value) => lax.mul(lax.exp(lax.neg(lax.mul(a, a))), lax.cos(lax.exp(lax.mul(a, a))));
const postJs = (a: number) => Math.exp(-a * a) * Math.cos(Math.exp(a * a));

const central = (f: (x: number) => number, x0: number, h = 1e-5) => (f(x0 + h) - f(x0 - h)) / (2 * h);

describe("symbolic formulas", () => {
  it("simplifies identities, like terms and powers", () => {
    assert.equal(formatExpr(add(mul(num(2), x), mul(x, num(3)))), "5x");
    assert.equal(formatExpr(mul(x, x, x)), "x³");
    assert.equal(formatExpr(add(x, mul(num(-1), x))), "0");
    assert.equal(formatExpr(mul(num(1), add(x, num(0)))), "x");
    assert.equal(formatExpr(mul(fn("exp", x), fn("exp", mul(num(-1), x)))), "1");
    assert.equal(formatExpr(mul(num(-2), x, fn("sin", pow(x, num(2))))), "−2x·sin(x²)");
    assert.equal(formatExpr(mul(x, pow(add(x, num(1)), num(-1)))), "x/(x + 1)");
  });

  it("prints the post's derivative with the repeated e^(x²) named, and it matches finite differences", () => {
    const d = describeDerivative(post as never, "func", ["x"]);
    assert.equal(d.error, undefined);
    assert.match(d.formula[0], /^func′\(x\) = /);
    assert.ok(d.formula.includes("where u = e^(x²)"), d.formula.join("\n"));
    assert.ok(d.formula[0].includes("sin(u)") && d.formula[0].includes("cos(u)") && d.formula[0].includes("e^(−x²)"), d.formula[0]);
    const j = makeJaxpr(grad(post))(new ShapedArray([], "float32"));
    const [e] = exprsOfJaxpr(j, [x]);
    for (const x0 of [-1.3, -0.2, 0.4, 0.9]) {
      assert.ok(Math.abs(evaluate(e, { x: x0 }) - central(postJs, x0)) < 1e-6, `at ${x0}`);
    }
    assert.ok(d.jaxpr?.startsWith("{ lambda ; a:f32[]. let"));
  });

  it("gives each partial derivative of a two-argument function", () => {
    const f = (a: Value, b: Value) => lax.mul(lax.sin(a), lax.mul(b, b));
    const d = describeDerivative(f as never, "g", ["a", "b"]);
    assert.equal(d.formula.length, 2, d.formula.join("\n"));
    assert.equal(d.formula[0], "∂g/∂a = b²·cos(a)");
    assert.equal(d.formula[1], "∂g/∂b = 2b·sin(a)");
  });

  it("second derivatives agree with finite differences", () => {
    config.enableX64 = true;
    try {
      const j2 = makeJaxpr(grad(grad(post)))(new ShapedArray([], "float64"));
      const [e2] = exprsOfJaxpr(j2, [x]);
      const second = (x0: number, h = 1e-4) => (postJs(x0 + h) - 2 * postJs(x0) + postJs(x0 - h)) / (h * h);
      for (const x0 of [-0.8, 0.3, 0.7]) assert.ok(Math.abs(evaluate(e2, { x: x0 }) - second(x0)) < 1e-4, `at ${x0}`);
      assert.match(formatWithSharing(["f″(x)"], [e2]).join("\n"), /^f″\(x\) = /);
    } finally {
      config.enableX64 = false;
    }
  });

  it("reports a function that is not differentiable at scalars with a short error", () => {
    const d = describeDerivative(((a: Value) => lax.mul(a, a)) as never, "sq", ["a", "b", "c"]);
    assert.ok(d.error === undefined || !d.error.includes("\n"));
  });
});
