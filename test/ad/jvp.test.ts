/**
 * @file Forward mode and the trace machinery around it: jvp over pytrees, symbolic zeros (unused
 * inputs add no equations), float0 tangents for integers, nested jvp without perturbation
 * confusion, jvpJaxpr / partialEvalJaxpr / transposeJaxpr at the jaxpr level, composition with
 * jit and vmap, and JAX's errors (jvp argument checks, tracer bool/concretization errors).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { ClosedJaxpr, evalJaxpr, makeJaxpr, traceToJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { ConcretizationTypeError, TracerBoolConversionError, concreteOrError, toBool } from "../../kernel/ir/errors.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import {
  Float0Array, dceJaxpr, grad, jvp, jvpFlat, jvpJaxpr, partialEvalJaxpr, transposeJaxpr, valueAndGrad,
} from "../../kernel/ad/index.js";

const f32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float32");
const scalar = (x: number): Array => Array.fromHost([x], [], "float32");
const nums = (x: unknown): number[] => (x as Array).toNumbers();
const close = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: got ${g}, want ${want[i]}`));
};
const F32 = (shape: number[] = []): ShapedArray => new ShapedArray(shape, "float32");
const prims = (cj: ClosedJaxpr): string[] => cj.jaxpr.eqns.map((e) => e.primitive);

describe("ad: jvp", () => {
  it("jvp over a pytree of arguments and outputs", () => {
    const f = (p: { a: Value; b: Value }): Value[] => [lax.mul(p.a, p.b), lax.sin(p.a)];
    const [out, tout] = jvp(f, [{ a: f32([1, 2]), b: f32([3, 4]) }], [{ a: f32([1, 0]), b: f32([0, 1]) }]) as [Array[], Array[]];
    close(nums(out[0]), [3, 8]);
    close(nums(tout[0]), [3, 2]);
    close(nums(tout[1]), [Math.cos(1), 0]);
  });

  it("symbolic zeros: an input without a tangent adds no tangent equations", () => {
    const cj = traceToJaxpr((x, y) => [lax.mul(lax.sin(x), lax.cos(y))], [F32(), F32()]);
    const { jaxpr, outNonzeros } = jvpJaxpr(cj, [true, false], false);
    // sin x; cos x (sin's derivative); mul t (cos x); cos y; mul (primal); mul (tangent) — no sin y, no add_any.
    assert.deepEqual(prims(jaxpr), ["sin", "cos", "mul", "cos", "mul", "mul"]);
    assert.deepEqual(outNonzeros, [true]);
    assert.equal(jaxpr.inAvals.length, 3);
    const none = jvpJaxpr(cj, [false, false], false);
    assert.deepEqual(prims(none.jaxpr), ["sin", "cos", "mul"]);
    assert.deepEqual(none.outNonzeros, [false]);
    assert.equal(jvpJaxpr(cj, [false, false], true).jaxpr.outAvals.length, 2);
  });

  it("integer inputs take float0 tangents and integer outputs give float0", () => {
    const [outs, touts] = jvpFlat((x, i) => [lax.mul(x, lax.convertElementType(i, "float32")), lax.mul(i, i)], [scalar(1.5), Array.fromHost([3], [], "int32")], [scalar(2), new Float0Array([])]);
    close(nums(outs[0]), [4.5]);
    close(nums(touts[0]), [6]);
    assert.ok(touts[1] instanceof Float0Array);
  });

  it("an output that does not depend on the inputs gets materialized zeros", () => {
    const [, t] = jvp(() => f32([1, 2]), [scalar(1)], [scalar(1)]) as [unknown, Array];
    assert.deepEqual(nums(t), [0, 0]);
  });

  it("nested jvp: no perturbation confusion", () => {
    // d/dx [x · (d/dy (x + y) at y=1)] = d/dx [x] = 1 (confusing the two perturbations gives 2).
    const g = (x: Value): Value => {
      const [, inner] = jvp((y: Value) => lax.add(x, y), [scalar(1)], [scalar(1)]) as [unknown, Value];
      return lax.mul(x, inner);
    };
    const [, t] = jvp(g, [scalar(3)], [scalar(1)]) as [unknown, Array];
    close(nums(t), [1]);
    close(nums(grad(g)(scalar(3))), [1]);
  });

  it("has_aux: aux leaves lose this jvp's tracers only (nested)", () => {
    const [y, t, aux] = jvp((x: Value) => [lax.sin(x), { c: lax.cos(x), s: "label" }], [scalar(0.5)], [scalar(1)], { hasAux: true }) as [Array, Array, { c: Array; s: string }];
    close(nums(y), [Math.sin(0.5)]);
    close(nums(t), [Math.cos(0.5)]);
    close(nums(aux.c), [Math.cos(0.5)]);
    assert.equal(aux.s, "label");
    // The inner aux still depends on the outer variable: its derivative goes through.
    const outer = (z: Value): Value => (jvp((x: Value) => [lax.mul(x, z), lax.mul(z, z)], [scalar(2)], [scalar(1)], { hasAux: true }) as Value[])[2];
    close(nums(grad(outer)(scalar(3))), [6]);
  });

  it("stop_gradient: zero tangents and cotangents through it", () => {
    const f = (x: Value): Value => lax.mul(x, lax.stopGradient(x));
    close(nums(grad(f)(scalar(3))), [3]);
    const [, t] = jvp(f, [scalar(3)], [scalar(1)]) as Array[];
    close(nums(t), [3]);
  });

  it("jvp checks its arguments as JAX does", () => {
    assert.throws(() => jvp((x: Value) => x, [scalar(1)] as never, scalar(1) as never), /primal and tangent arguments to jax.jvp must be tuples or lists; found list and object/);
    assert.throws(() => jvp((x: Value) => x, [Array.fromHost([1], [], "int32")], [scalar(1)]), (e: Error) => e instanceof TypeError && e.message ===
      "primal and tangent arguments to jax.jvp do not match; dtypes must be equal, or in case of int/bool primal dtype the tangent dtype must be float0.Got primal dtype int32 and so expected tangent dtype float0, but got tangent dtype float32 instead.");
    assert.throws(() => jvp((x: Value) => x, [f32([1, 2])], [f32([1, 2, 3])]), (e: Error) => e.name === "ValueError" &&
      e.message === "jax.jvp called with different primal and tangent shapes;Got primal shape (2,) and tangent shape as (3,)");
    assert.throws(() => jvp((x: Value) => x, [[scalar(1)]], [scalar(1)]), /must have the same tree structure; primals have tree structure PyTreeDef\(\(\(\*,\),\)\) whereas tangents have tree structure PyTreeDef\(\(\*,\)\)/);
  });
});

describe("ad: jaxpr-level entry points", () => {
  const cj = traceToJaxpr((x, y) => [lax.mul(lax.sin(x), y), lax.cos(x)], [F32(), F32()]);

  it("partialEvalJaxpr splits into known and unknown jaxprs with residuals", () => {
    const split = partialEvalJaxpr(cj, [false, true]);
    assert.deepEqual(split.outUnknowns, [true, false]);
    // Known: sin x (a residual) and cos x (a known output). Unknown: mul res y.
    assert.deepEqual(prims(split.known), ["sin", "cos"]);
    assert.deepEqual(prims(split.unknown), ["mul"]);
    assert.equal(split.numRes, 1);
    assert.equal(split.known.outAvals.length, 2);
    assert.equal(split.unknown.inAvals.length, 2);
    const inst = partialEvalJaxpr(cj, [false, true], true);
    assert.deepEqual(inst.outUnknowns, [true, true]);
  });

  it("transposeJaxpr: the transpose of a linear jaxpr", () => {
    const lin = traceToJaxpr((a, t) => [lax.mul(a, t), lax.neg(t)], [F32(), F32()]);
    const tj = transposeJaxpr(lin, [false, true]);
    assert.equal(tj.inAvals.length, 3);
    const [ct] = evalJaxpr(tj.jaxpr, tj.consts, [scalar(3), scalar(2), scalar(5)]);
    close(nums(ct), [3 * 2 - 5]);
  });

  it("dceJaxpr keeps what the used outputs need", () => {
    const { jaxpr, usedInputs } = dceJaxpr(cj.jaxpr, [false, true]);
    assert.deepEqual(jaxpr.eqns.map((e) => e.primitive), ["cos"]);
    assert.deepEqual(usedInputs, [true, false]);
  });
});

describe("ad: composition with jit and vmap", () => {
  const post = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));
  const xs = f32([-1.2, -0.3, 0.4, 1.5]);

  it("the post's vmap(grad(f)) equals jit(vmap(grad(f))), grad(jit(f)) and jvp", () => {
    const d = vmap(grad(post));
    const eager = nums(d(xs));
    close(nums(jit(d)(xs)), eager);
    close(nums(vmap(grad(jit(post)))(xs)), eager);
    const [, t] = jvp((x: Value) => post(x), [xs], [f32([1, 1, 1, 1])]) as [unknown, Array];
    close(nums(t), eager);
  });

  it("jit(grad(f)) and grad of jit with pytree args", () => {
    const f = (p: Value[]): Value => lax.reduceSum(lax.mul(lax.sin(p[0]), p[1]), [0]);
    const [g0, g1] = jit(grad(f))([f32([0.1, 0.2]), f32([3, 4])]) as Array[];
    close(nums(g0), [3 * Math.cos(0.1), 4 * Math.cos(0.2)]);
    close(nums(g1), [Math.sin(0.1), Math.sin(0.2)]);
    const [v] = valueAndGrad(jit(f))([f32([0.1, 0.2]), f32([3, 4])]) as unknown as [Array];
    close(nums(v), [3 * Math.sin(0.1) + 4 * Math.sin(0.2)]);
  });
});

describe("ad: tracer conversion errors", () => {
  it("bool() of an abstract tracer raises TracerBoolConversionError", () => {
    assert.throws(() => makeJaxpr((x: Value) => (toBool(lax.gt(x, 0)) ? x : lax.neg(x)))(scalar(1)), (e: Error) =>
      e instanceof TracerBoolConversionError && e instanceof ConcretizationTypeError && e.name === "TracerBoolConversionError" &&
      e.message === "Attempted boolean conversion of traced array with shape bool[].\nSee https://docs.jax.dev/en/latest/errors.html#jax.errors.TracerBoolConversionError");
    assert.throws(() => vmap((x: Value) => (toBool(lax.gt(x, 0)) ? x : lax.neg(x)))(f32([1, -1])), TracerBoolConversionError);
  });

  it("concrete values are needed: ConcretizationTypeError under jit, fine under grad", () => {
    const needsConcrete = (x: Value): Value => lax.mul(x, Number((concreteOrError(x, "The problem arose with the `float` function.") as Array).item()));
    assert.throws(() => jit(needsConcrete)(scalar(2)), (e: Error) => e instanceof ConcretizationTypeError &&
      e.message.startsWith("Abstract tracer value encountered where concrete value is expected: traced array with shape f32[]\nThe problem arose with the `float` function."));
    close(nums(grad(needsConcrete)(scalar(2))), [2]);
  });
});
