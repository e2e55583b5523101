/**
 * @file custom_jvp and custom_vjp: the rules are what differentiation uses (rules chosen to
 * differ from plain autodiff, so a test fails if they are bypassed), defjvps, nondiff_argnums,
 * closures over traced values, composition with jit and vmap and with each other, printing as
 * JAX's custom_jvp_call / custom_vjp_call, and JAX's errors. Also the numerically safe rules
 * that follow from the primitives: where's NaN pitfall and its fix, sqrt at 0.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value, UnexpectedTracerError } from "../../kernel/ir/core.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { CustomVJPException, customJvp, customVjp, grad, jacfwd, jvp, vjp } from "../../kernel/ad/index.js";

const f32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float32");
const scalar = (x: number): Array => Array.fromHost([x], [], "float32");
const nums = (x: unknown): number[] => (x as Array).toNumbers();
const close = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: got ${g}, want ${want[i]}`));
};

// JAX's docs example: log(1 + eˣ) whose plain derivative overflows to NaN at x = 100.
const log1pexp = customJvp(function log1pexp(x: Value) {
  return lax.log(lax.add(lax.exp(x), 1));
});
log1pexp.defjvp(function log1pexp_jvp([x]: Value[], [t]: Value[]) {
  return [log1pexp(x), lax.mul(t, lax.sub(1, lax.div(1, lax.add(lax.exp(x), 1))))];
});

// A rule that deliberately differs from the function's true derivative (3·cos instead of cos).
const sin3 = customJvp(function f(x: Value) {
  return lax.sin(x);
});
sin3.defjvp(function f_jvp([x]: Value[], [t]: Value[]) {
  return [lax.sin(x), lax.mul(lax.mul(lax.cos(x), t), 3)];
});

// JAX's docs example: clip the gradient in the backward pass only.
const clipGradient = customVjp(function clip_gradient(lo: number, hi: number, x: Value) {
  return x;
}, { nondiffArgnums: [0, 1] });
clipGradient.defvjp(
  function clip_gradient_fwd(_lo: number, _hi: number, x: Value) { return [x, null]; },
  function clip_gradient_bwd(lo: number, hi: number, _res: unknown, g: Value) { return [lax.clamp(lo, g, hi)]; },
);

// sin with a bwd that scales by 2 (again: differs from autodiff).
const sin2 = customVjp(function h(x: Value) {
  return lax.sin(x);
});
sin2.defvjp(function h_fwd(x: Value) { return [lax.sin(x), lax.cos(x)]; }, function h_bwd(c: Value, g: Value) { return [lax.mul(lax.mul(c, g), 2)]; });

describe("ad: custom_jvp", () => {
  it("jvp and grad use the rule, not the function's own derivative", () => {
    const [y, t] = jvp(sin3, [scalar(0.5)], [scalar(1)]) as Array[];
    close(nums(y), [Math.sin(0.5)]);
    close(nums(t), [3 * Math.cos(0.5)]);
    close(nums(grad(sin3)(scalar(0.5))), [3 * Math.cos(0.5)]);
    close(nums(vmap(grad(sin3))(f32([0.1, 0.2]))), [3 * Math.cos(0.1), 3 * Math.cos(0.2)]);
    close(nums(jacfwd(sin3)(f32([0.1, 0.2]))), [3 * Math.cos(0.1), 0, 0, 3 * Math.cos(0.2)]);
  });

  it("a numerically safe rule: log1pexp's gradient at 100 is 1, not NaN", () => {
    close(nums(grad(log1pexp)(scalar(100))), [1]);
    close(nums(grad(log1pexp)(scalar(0))), [0.5]);
    const naive = (x: Value): Value => lax.log(lax.add(lax.exp(x), 1));
    assert.ok(Number.isNaN(nums(grad(naive)(scalar(100)))[0]));
  });

  it("second derivatives differentiate through the rule", () => {
    close(nums(grad(grad(sin3))(scalar(0.5))), [-3 * Math.sin(0.5)]);
  });

  it("defjvps: one derivative per argument", () => {
    const f = customJvp(function f(x: Value, y: Value) {
      return lax.mul(lax.sin(x), y);
    });
    f.defjvps(
      (xDot: Value, _out: Value, x: Value, y: Value) => lax.mul(lax.mul(lax.cos(x), xDot), y),
      (yDot: Value, _out: Value, x: Value) => lax.mul(lax.sin(x), yDot),
    );
    const [gx, gy] = grad(f, { argnums: [0, 1] })(scalar(1), scalar(2)) as Array[];
    close(nums(gx), [2 * Math.cos(1)]);
    close(nums(gy), [Math.sin(1)]);
  });

  it("nondiff_argnums: static arguments come first in the rule", () => {
    const app = customJvp(function app(g: (x: Value) => Value, x: Value) {
      return g(x);
    }, { nondiffArgnums: [0] });
    app.defjvp(function app_jvp(g: (x: Value) => Value, [x]: Value[], [t]: Value[]) {
      return [g(x), lax.mul(t, 10)];
    });
    close(nums(grad((x: Value) => app(lax.sin, x))(scalar(0.3))), [10]);
  });

  it("differentiating with respect to a closed-over value is an UnexpectedTracerError, as in JAX", () => {
    const f = (x: Value): Value => {
      const g = customJvp((y: Value) => lax.add(x, y));
      g.defjvp(([y]: Value[]) => [g(y), lax.mul(y, 2)]);
      return g(scalar(1)) as Value;
    };
    assert.throws(() => jvp(f, [scalar(3)], [scalar(1)]), UnexpectedTracerError);
    assert.throws(() => grad(f)(scalar(3)), (e: Error) => e instanceof UnexpectedTracerError && /closed-over value/.test(e.message));
  });

  it("a rule closing over a vmap tracer (JAX's test_closure_with_vmap2)", () => {
    const h = (z: Value): Value => {
      const f = (x: Value): Value => {
        const g = customJvp((y: Value) => lax.mul(x, y));
        g.defjvp(([y]: Value[], [yDot]: Value[]) => [lax.mul(x, y), lax.mul(x, yDot)]);
        return g(z) as Value;
      };
      return vmap(f)(f32([0, 1, 2])) as Value;
    };
    const [y, t] = jvp(h, [scalar(1)], [scalar(2)]) as Array[];
    close(nums(y), [0, 1, 2]);
    close(nums(t), [0, 2, 4]);
  });

  it("under jit, vmap and jit of grad", () => {
    close(nums(jit(sin3)(scalar(0.5))), [Math.sin(0.5)]);
    close(nums(grad(jit(sin3))(scalar(0.5))), [3 * Math.cos(0.5)]);
    close(nums(jit(grad(sin3))(scalar(0.5))), [3 * Math.cos(0.5)]);
    close(nums(vmap(sin3)(f32([0.1, 0.2]))), [Math.sin(0.1), Math.sin(0.2)]);
    close(nums(grad((x: Value) => lax.reduceSum(vmap(sin3)(x) as Value, [0]))(f32([0.1, 0.2]))), [3 * Math.cos(0.1), 3 * Math.cos(0.2)]);
  });

  it("prints as JAX's custom_jvp_call; grad inlines the rule", () => {
    assert.equal(printJaxpr(makeJaxpr(sin3)(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = custom_jvp_call[",
      "      name=f",
      "      call_jaxpr={ lambda ; c:f32[]. let d:f32[] = sin c in (d,) }",
      "      jvp=f_jvp",
      "      symbolic_zeros=False",
      "    ] a",
      "  in (b,) }",
    ].join("\n"));
    const prims = makeJaxpr(grad(sin3))(scalar(1)).jaxpr.eqns.map((e) => e.primitive);
    assert.deepEqual(prims, ["sin", "cos", "mul", "mul"]);
  });

  it("errors: no rule; a rule with the wrong output structure or type", () => {
    const bare = customJvp(function g(x: Value) {
      return x;
    });
    assert.throws(() => bare(scalar(1)), (e: Error) => e.name === "AttributeError" && e.message === "No JVP defined for custom_jvp function g using defjvp.");
    const bad = customJvp(function g(x: Value) {
      return x;
    });
    bad.defjvp(function g_jvp([x]: Value[]) {
      return [x];
    });
    assert.throws(() => jvp(bad, [scalar(1)], [scalar(1)]), /Custom JVP rule g_jvp for function g must produce a pair \(list or tuple of length two\) representing primal and tangent outputs/);
    const wrongType = customJvp(function g(x: Value) {
      return x;
    });
    wrongType.defjvp(([x]: Value[], [t]: Value[]) => [x, lax.reshape(t, [1])]);
    assert.throws(() => jvp(wrongType, [scalar(1)], [scalar(1)]), /Custom JVP rule must produce primal and tangent outputs with corresponding shapes and dtypes. Expected f32\[\] \(tangent type of f32\[\]\) but got f32\[1\]\./);
  });
});

describe("ad: custom_vjp", () => {
  it("grad uses bwd; the primal is the function", () => {
    close(nums(sin2(scalar(0.5))), [Math.sin(0.5)]);
    close(nums(grad(sin2)(scalar(0.5))), [2 * Math.cos(0.5)]);
    const [, pullback] = vjp(sin2, [f32([0.1, 0.2])]) as [unknown, (ct: unknown) => Array[]];
    close(nums(pullback(f32([1, 10]))[0]), [2 * Math.cos(0.1), 20 * Math.cos(0.2)]);
  });

  it("clip_gradient (nondiff_argnums): the backward pass clips", () => {
    const f = (x: Value): Value => clipGradient(-0.5, 0.5, lax.mul(x, 3)) as Value;
    close(nums(grad(f)(scalar(1))), [1.5]);
    close(nums(grad((x: Value) => lax.mul(clipGradient(-1, 1, x) as Value, 0.25))(scalar(1))), [0.25]);
  });

  it("forward mode is JAX's TypeError", () => {
    assert.throws(() => jvp(sin2, [scalar(1)], [scalar(1)]), (e: Error) => e instanceof TypeError && e.message === "can't apply forward-mode autodiff (jvp) to a custom_vjp function.");
  });

  it("tracers as nondiff arguments, and differentiation through a closure, are JAX's errors", () => {
    const f = customVjp((_a: Value, x: Value) => x, { nondiffArgnums: [0] });
    f.defvjp((_a: Value, x: Value) => [x, null], (_a: Value, _r: unknown, g: Value) => [g]);
    assert.throws(() => grad((x: Value) => f(x, x) as Value)(scalar(1)), (e: Error) => e instanceof UnexpectedTracerError && /nondiff_argnums as non-differentiable/.test(e.message));
    const closes = (y: Value): Value => {
      const g = customVjp((x: Value) => lax.mul(x, y));
      g.defvjp((x: Value) => [lax.mul(x, y), null], (_r: unknown, ct: Value) => [lax.mul(ct, y)]);
      return g(scalar(2));
    };
    assert.throws(() => grad(closes)(scalar(3)), CustomVJPException);
  });

  it("bwd may return None for an argument (a zero cotangent); a wrong bwd structure is JAX's TypeError", () => {
    const f = customVjp(function f(x: Value, y: Value) {
      return lax.mul(x, y);
    });
    f.defvjp((x: Value, y: Value) => [lax.mul(x, y), y], (y: Value, g: Value) => [lax.mul(g, y), null]);
    const [gx, gy] = grad(f, { argnums: [0, 1] })(scalar(2), scalar(5)) as Array[];
    close(nums(gx), [5]);
    assert.deepEqual(nums(gy), [0]);
    const bad = customVjp((x: Value, y: Value) => lax.mul(x, y));
    bad.defvjp((x: Value, y: Value) => [lax.mul(x, y), y], (y: Value, g: Value) => [lax.mul(g, y)]);
    assert.throws(() => grad(bad)(scalar(2), scalar(5)), /Custom VJP bwd rule must produce an output with the same container \(pytree\) structure as the args tuple of the primal function, and in particular must produce a tuple of length equal to the number of arguments to the primal function, but got bwd output structure PyTreeDef\(\(\*,\)\) for primal input structure PyTreeDef\(\(\*, \*\)\)\./);
  });

  it("under vmap, jit, and vmap of grad", () => {
    close(nums(vmap(grad(sin2))(f32([0.1, 0.2]))), [2 * Math.cos(0.1), 2 * Math.cos(0.2)]);
    close(nums(grad((x: Value) => lax.reduceSum(vmap(sin2)(x) as Value, [0]))(f32([0.1, 0.2]))), [2 * Math.cos(0.1), 2 * Math.cos(0.2)]);
    close(nums(grad(jit(sin2))(scalar(0.5))), [2 * Math.cos(0.5)]);
    close(nums(jit(grad(sin2))(scalar(0.5))), [2 * Math.cos(0.5)]);
  });

  it("nesting: a custom_vjp function calling a custom_jvp one", () => {
    const outer = customVjp(function outer(x: Value) {
      return sin3(x) as Value;
    });
    outer.defvjp((x: Value) => [sin3(x), x], (x: Value, g: Value) => [lax.mul(g, grad(sin3)(x) as Value)]);
    close(nums(grad(outer)(scalar(0.5))), [3 * Math.cos(0.5)]);
    close(nums(grad(grad(outer))(scalar(0.5))), [-3 * Math.sin(0.5)]);
  });

  it("prints as JAX's custom_vjp_call", () => {
    assert.equal(printJaxpr(makeJaxpr(sin2)(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = custom_vjp_call[",
      "      name=h",
      "      bwd=h_bwd",
      "      call_jaxpr={ lambda ; c:f32[]. let d:f32[] = sin c in (d,) }",
      "      fwd=h_fwd",
      "      symbolic_zeros=False",
      "    ] a",
      "  in (b,) }",
    ].join("\n"));
  });
});

describe("ad: numerically delicate rules follow JAX", () => {
  it("where's gradient: NaN from the unselected branch, and the double-where fix", () => {
    // grad(lambda x: jnp.where(x > 0, jnp.log(x), 0.))(0.) is nan in JAX: 0 · (1/0).
    const naive = (x: Value): Value => lax.select(lax.gt(x, 0), lax.log(x), lax.mul(x, 0));
    assert.ok(Number.isNaN(nums(grad(naive)(scalar(0)))[0]));
    const safe = (x: Value): Value => {
      const ok = lax.gt(x, 0);
      return lax.select(ok, lax.log(lax.select(ok, x, lax.add(lax.mul(x, 0), 1))), lax.mul(x, 0));
    };
    assert.deepEqual(nums(grad(safe)(scalar(0))), [0]);
    close(nums(grad(safe)(scalar(2))), [0.5]);
  });

  it("sqrt's gradient at 0 is inf", () => {
    assert.deepEqual(nums(grad(lax.sqrt)(scalar(0))), [Infinity]);
  });
});
