/**
 * @file Reverse mode: grad / value_and_grad (argnums, has_aux, allow_int, pytrees), vjp,
 * linearize, linear_transpose, higher order, JAX's errors, and jaxprs of grad(f) printed as JAX
 * prints them. Expected numbers are closed-form derivatives evaluated in float64 here.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value, TypedScalar } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { toBool } from "../../kernel/ir/errors.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { Float0Array, grad, linearTranspose, linearize, linearizeJaxpr, valueAndGrad, vjp, vjpFlat } from "../../kernel/ad/index.js";

const f32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float32");
const scalar = (x: number): Array => Array.fromHost([x], [], "float32");
const nums = (x: unknown): number[] => (x as Array).toNumbers();
const close = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: got ${g}, want ${want[i]}`));
};

// The post's function at the lax level: exp(-x²)·cos(exp(x²)), with x² as JAX's integer_pow.
const post = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));
const postGrad = (x: number): number => {
  const e = Math.exp(x * x);
  return -2 * x * Math.exp(-x * x) * Math.cos(e) - 2 * x * Math.sin(e);
};

describe("ad: grad and value_and_grad", () => {
  it("grad of the post's function matches its closed form, elementwise under a sum", () => {
    const xs = [-1.5, -0.4, 0, 0.3, 1.2];
    close(nums(grad((x: Value) => lax.reduceSum(post(x), [0]))(f32(xs))), xs.map(postGrad));
  });

  it("grad of grad (second derivative) of sin·x", () => {
    const x = 0.7;
    const f = (y: Value): Value => lax.mul(lax.sin(y), y);
    close(nums(grad(grad(f))(scalar(x))), [2 * Math.cos(x) - x * Math.sin(x)]);
    close(nums(grad(grad(grad(f)))(scalar(x))), [-3 * Math.sin(x) - x * Math.cos(x)]);
  });

  it("argnums as an int and as a tuple; value_and_grad returns the value too", () => {
    const f = (x: Value, y: Value): Value => lax.mul(lax.sin(x), lax.exp(y));
    const [x, y] = [0.4, -0.2];
    close(nums(grad(f, { argnums: 1 })(scalar(x), scalar(y))), [Math.sin(x) * Math.exp(y)]);
    const [v, [gx, gy]] = valueAndGrad(f, { argnums: [0, 1] })(scalar(x), scalar(y)) as [Array, Array[]];
    close(nums(v), [Math.sin(x) * Math.exp(y)]);
    close(nums(gx), [Math.cos(x) * Math.exp(y)]);
    close(nums(gy), [Math.sin(x) * Math.exp(y)]);
    close(nums(grad(f, { argnums: -1 })(scalar(x), scalar(y))), [Math.sin(x) * Math.exp(y)]);
  });

  it("pytree arguments get pytree gradients; has_aux passes aux through", () => {
    const f = (p: { w: Value; b: Value[] }): [Value, Value] => {
      const out = lax.reduceSum(lax.add(lax.mul(p.w, p.w), p.b[0]), [0]);
      return [out, lax.neg(p.w)];
    };
    const params = { w: f32([1, 2]), b: [f32([3, 4])] };
    const [g, aux] = grad(f, { hasAux: true })(params) as [{ w: Array; b: Array[] }, Array];
    close(nums(g.w), [2, 4]);
    close(nums(g.b[0]), [1, 1]);
    close(nums(aux), [-1, -2]);
    const [[v, aux2], g2] = valueAndGrad(f, { hasAux: true })(params) as [[Array, Array], { w: Array }];
    close(nums(v), [12]);
    close(nums(aux2), [-1, -2]);
    close(nums(g2.w), [2, 4]);
  });

  it("unused inputs get zero gradients; a constant function has a zero gradient", () => {
    const [gx, gy] = grad((x: Value, _y: Value) => lax.sin(x), { argnums: [0, 1] })(scalar(0.1), scalar(5)) as Array[];
    close(nums(gx), [Math.cos(0.1)]);
    assert.deepEqual(nums(gy), [0]);
    assert.deepEqual(nums(grad(() => scalar(3))(scalar(1.5))), [0]);
  });

  it("the gradient of a Python scalar is weakly typed float32, as in JAX", () => {
    const g = grad((x: Value) => lax.mul(x, x))(2.5) as Array;
    assert.equal(g.aval.toString(), "ShapedArray(float32[], weak_type=True)");
    close(nums(g), [5]);
    assert.equal((grad((x: Value) => lax.mul(x, x))(scalar(2.5)) as Array).weakType, false);
  });

  it("Python control flow on values works under grad (JVP tracers are concrete)", () => {
    const f = (x: Value): Value => (toBool(lax.gt(x, 0)) ? lax.sin(x) : lax.cos(x));
    close(nums(grad(f)(scalar(0.5))), [Math.cos(0.5)]);
    close(nums(grad(f)(scalar(-0.5))), [Math.sin(0.5)]);
  });

  it("allow_int: integer inputs get float0 gradients", () => {
    const [gx, gi] = grad((x: Value, _i: Value) => lax.sin(x), { argnums: [0, 1], allowInt: true })(scalar(0.2), Array.fromHost([3], [], "int32")) as [Array, Float0Array];
    close(nums(gx), [Math.cos(0.2)]);
    assert.ok(gi instanceof Float0Array);
    assert.deepEqual([...gi.shape], []);
  });
});

describe("ad: vjp, linearize, linear_transpose", () => {
  it("vjp pulls back a cotangent for several outputs and inputs", () => {
    const f = (x: Value, y: Value): Value[] => [lax.sin(x), lax.mul(x, y)];
    const [x, y] = [f32([0.1, 0.2]), f32([3, 4])];
    const [out, pullback] = vjp(f, [x, y]) as [Array[], (ct: unknown) => Array[]];
    close(nums(out[1]), [0.3, 0.8]);
    const [cx, cy] = pullback([f32([1, 2]), f32([10, 20])]);
    close(nums(cx), [Math.cos(0.1) + 30, 2 * Math.cos(0.2) + 80]);
    close(nums(cy), [1, 4]);
  });

  it("vjp of an integer-valued computation: float0 cotangents in and out", () => {
    const f = (x: Value, i: Value): Value[] => [lax.mul(x, 2), i];
    const [, pullback] = vjpFlat((x, i) => f(x, i), [scalar(1), Array.fromHost([7], [], "int32")]);
    const [cx, ci] = pullback([scalar(1), new Float0Array([])]);
    close(nums(cx), [2]);
    assert.ok(ci instanceof Float0Array);
  });

  it("vjp checks the cotangent type, as JAX", () => {
    const [, pullback] = vjp((x: Value) => lax.sin(x), [f32([1, 2])]) as [unknown, (ct: unknown) => unknown];
    assert.throws(() => pullback(f32([1, 2, 3])), (e: Error) => e.name === "ValueError" &&
      e.message === "unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got f32[3], but expected f32[2] because the corresponding output of the differentiated function had JAX type f32[2]");
  });

  it("linearize evaluates the JVP without retracing and agrees with jvp", () => {
    const [y, fJvp] = linearize((x: Value) => post(x), [f32([0.3, -1.1])]) as [Array, (t: Value) => Array];
    close(nums(y), [0.3, -1.1].map((x) => Math.exp(-x * x) * Math.cos(Math.exp(x * x))));
    close(nums(fJvp(f32([1, 2]))), [postGrad(0.3), 2 * postGrad(-1.1)]);
    close(nums(fJvp(f32([-1, 0]))), [-postGrad(0.3), 0]);
  });

  it("the linear jaxpr has only linear equations; residuals are its constants", () => {
    const lin = linearizeJaxpr((x) => [lax.mul(lax.sin(x), x)], [f32([1, 2])]);
    const prims = lin.jaxpr.jaxpr.eqns.map((e) => e.primitive);
    assert.deepEqual(prims, ["mul", "mul", "mul", "add_any"]);
    assert.equal(lin.jaxpr.consts.length, 3);
  });

  it("linear_transpose of a linear function", () => {
    const f = (x: Value, y: Value): Value => lax.sub(lax.mul(x, 0.5), lax.mul(y, 0.5));
    const t = linearTranspose(f, scalar(0), scalar(0));
    const [a, b] = t(scalar(1)) as Array[];
    close(nums(a), [0.5]);
    close(nums(b), [-0.5]);
    assert.throws(() => linearTranspose((i: Value) => lax.convertElementType(i, "float32"), Array.fromHost([1], [], "int32")),
      /linear_transpose only supports \[float or complex\] -> \[float or complex\], and integer -> integer functions, but got \[dtype\('int32'\)\] -> \[dtype\('float32'\)\]\./);
  });
});

describe("ad: errors as JAX raises them", () => {
  it("grad of a non-scalar output", () => {
    assert.throws(() => grad((x: Value) => lax.mul(x, x))(f32([1, 2])), (e: Error) => e instanceof TypeError && e.message ===
      "Gradient only defined for scalar-output functions. Output had shape: (2,). To get the gradient, reduce the output to a scalar with output.sum(), or use jax.jacobian to differentiate a function with a non-scalar output.");
    assert.throws(() => grad((x: Value) => lax.mul(x, x))(f32([1], [1])), (e: Error) => e.message ===
      "Gradient only defined for scalar-output functions. Output had shape: (1,). To get the gradient, extract the scalar with output.reshape(()) or output[0], reduce the output to a scalar with output.sum(), or use jax.jacobian to differentiate a function with a non-scalar output.");
  });

  it("grad of integer inputs", () => {
    assert.throws(() => grad((x: Value) => lax.mul(x, x))(Array.fromHost([3], [], "int32")), (e: Error) => e instanceof TypeError && e.message ===
      "grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), but got int32. If you want to use Boolean- or integer-valued inputs, use vjp or set allow_int to True.");
  });

  it("grad of an integer output", () => {
    assert.throws(() => grad((x: Value) => lax.convertElementType(x, "int32"))(scalar(1.5)), (e: Error) => e.message ===
      "grad requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got int32. For differentiation of functions with integer outputs, use jax.vjp directly.");
  });

  it("argnums beyond the arguments", () => {
    assert.throws(() => grad((x: Value) => x, { argnums: [0, 2] })(scalar(1), scalar(2)), (e: Error) => e instanceof TypeError && e.message ===
      "differentiating with respect to argnums=(0, 2) requires at least 3 positional arguments to be passed by the caller, but got only 2 positional arguments.");
  });

  it("has_aux without a pair", () => {
    assert.throws(() => grad((x: Value) => x, { hasAux: true })(scalar(1)), /expected function with aux output to return a two-element tuple/);
  });
});

describe("ad: jaxprs of grad(f) print as JAX's", () => {
  it("grad(sin)", () => {
    assert.equal(printJaxpr(makeJaxpr(grad((x: Value) => lax.sin(x)))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = sin a",
      "    c:f32[] = cos a",
      "    d:f32[] = mul 1.0:f32[] c",
      "  in (d,) }",
    ].join("\n"));
  });

  it("grad(sin(x)·2.0): the literal flows through mul's transpose", () => {
    assert.equal(printJaxpr(makeJaxpr(grad((x: Value) => lax.mul(lax.sin(x), new TypedScalar(2, "float32"))))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = sin a",
      "    c:f32[] = cos a",
      "    d:f32[] = mul b 2.0:f32[]",
      "    e:f32[] = mul 1.0:f32[] 2.0:f32[]",
      "    f:f32[] = mul e c",
      "  in (f,) }",
    ].join("\n"));
  });

  it("grad(sin(x)·x): both product-rule terms, accumulated with add_any", () => {
    assert.equal(printJaxpr(makeJaxpr(grad((x: Value) => lax.mul(lax.sin(x), x)))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = sin a",
      "    c:f32[] = cos a",
      "    d:f32[] = mul b a",
      "    e:f32[] = mul b 1.0:f32[]",
      "    f:f32[] = mul 1.0:f32[] a",
      "    g:f32[] = mul f c",
      "    h:f32[] = add_any e g",
      "  in (h,) }",
    ].join("\n"));
  });

  it("grad of the post's function (lax level: integer_pow, neg, exp, cos, mul)", () => {
    // Forward: primal and residual equations in execution order; then the transposes of the
    // linear equations in reverse order, the two contributions to x's cotangent summed last.
    assert.equal(printJaxpr(makeJaxpr(grad(post))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = integer_pow[y=2] a",
      "    c:f32[] = mul 2.0:f32[] a",
      "    d:f32[] = neg b",
      "    e:f32[] = exp d",
      "    f:f32[] = integer_pow[y=2] a",
      "    g:f32[] = mul 2.0:f32[] a",
      "    h:f32[] = exp f",
      "    i:f32[] = cos h",
      "    j:f32[] = sin h",
      "    k:f32[] = mul e i",
      "    l:f32[] = mul e 1.0:f32[]",
      "    m:f32[] = mul 1.0:f32[] i",
      "    n:f32[] = neg l",
      "    o:f32[] = mul n j",
      "    p:f32[] = mul o h",
      "    q:f32[] = mul p g",
      "    r:f32[] = mul m e",
      "    s:f32[] = neg r",
      "    t:f32[] = mul s c",
      "    u:f32[] = add_any q t",
      "  in (u,) }",
    ].join("\n"));
  });

  it("x64: float64 throughout", () => {
    const prev = config.enableX64;
    config.enableX64 = true;
    try {
      const j = makeJaxpr(grad((x: Value) => lax.sin(x)))(Array.fromHost([1], [], "float64"));
      assert.equal(printJaxpr(j).split("\n")[3], "    d:f64[] = mul 1.0:f64[] c");
    } finally {
      config.enableX64 = prev;
    }
  });
});
