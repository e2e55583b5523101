/**
 * @file jax.checkpoint / remat: same values and gradients as without it, the recomputation
 * visible in the jaxpr of grad (the forward equations reappear inside a
 * `remat2[differentiated=True]`, as in JAX's printout), policies that save instead of
 * recomputing, static arguments, and composition with vmap, jit and higher order.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { type Jaxpr, makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { checkpoint, checkpointPolicies, grad, remat } from "../../kernel/ad/index.js";

const f32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float32");
const scalar = (x: number): Array => Array.fromHost([x], [], "float32");
const nums = (x: unknown): number[] => (x as Array).toNumbers();
const close = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: got ${g}, want ${want[i]}`));
};
const sinsin = (x: Value): Value => lax.sin(lax.sin(x));
const dSinsin = (x: number): number => Math.cos(Math.sin(x)) * Math.cos(x);
/** Every primitive in a jaxpr and the jaxprs in its params. */
const allPrims = (j: Jaxpr): string[] => j.eqns.flatMap((e) => [e.primitive, ...(e.params.jaxpr ? allPrims(e.params.jaxpr as Jaxpr) : [])]);

describe("ad: checkpoint / remat", () => {
  it("values and gradients are unchanged", () => {
    const g = checkpoint(sinsin);
    close(nums(g(scalar(0.5))), [Math.sin(Math.sin(0.5))]);
    close(nums(grad(g)(scalar(0.5))), [dSinsin(0.5)]);
    close(nums(grad(remat(sinsin))(scalar(-1.2))), [dSinsin(-1.2)]);
    const d2 = -Math.sin(Math.sin(0.5)) * Math.cos(0.5) ** 2 - Math.cos(Math.sin(0.5)) * Math.sin(0.5);
    close(nums(grad(grad(g))(scalar(0.5))), [d2]);
  });

  it("prints as JAX's remat2", () => {
    assert.equal(printJaxpr(makeJaxpr(checkpoint(sinsin))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = remat2[",
      "      differentiated=False",
      "      jaxpr={ lambda ; c:f32[]. let d:f32[] = sin c; e:f32[] = sin d in (e,) }",
      "      policy=None",
      "      prevent_cse=True",
      "    ] a",
      "  in (b,) }",
    ].join("\n"));
  });

  it("grad rematerializes: the backward pass recomputes sin from the saved input", () => {
    // The forward values are computed outside; the transposed remat2 recomputes sin(x) and the
    // cosines from x alone (the only residual), then runs the backward multiplications.
    assert.equal(printJaxpr(makeJaxpr(grad(checkpoint(sinsin)))(scalar(1))), [
      "{ lambda ; a:f32[]. let",
      "    b:f32[] = sin a",
      "    c:f32[] = sin b",
      "    d:f32[] = remat2[",
      "      differentiated=True",
      "      jaxpr={ lambda ; e:f32[] f:f32[]. let",
      "          g:f32[] = sin e",
      "          h:f32[] = cos e",
      "          i:f32[] = cos g",
      "          j:f32[] = mul f i",
      "          k:f32[] = mul j h",
      "        in (k,) }",
      "      policy=None",
      "      prevent_cse=True",
      "    ] a 1.0:f32[]",
      "  in (d,) }",
    ].join("\n"));
    // Without checkpoint nothing is recomputed.
    assert.deepEqual(allPrims(makeJaxpr(grad(sinsin))(scalar(1)).jaxpr).filter((p) => p === "sin").length, 2);
  });

  it("a policy that saves everything stores residuals instead of recomputing", () => {
    const g = checkpoint(sinsin, { policy: checkpointPolicies.everything_saveable });
    close(nums(grad(g)(scalar(0.5))), [dSinsin(0.5)]);
    const inner = makeJaxpr(grad(g))(scalar(1)).jaxpr.eqns.find((e) => e.primitive === "remat2")!.params.jaxpr as Jaxpr;
    assert.deepEqual(allPrims(inner), ["mul", "mul"]);
    const dots = checkpoint((w: Value, x: Value) => lax.sin(lax.dotGeneral(w, x, [[[1], [0]], [[], []]])), { policy: checkpointPolicies.dots_saveable });
    const [gw] = grad((w: Value, x: Value) => lax.reduceSum(dots(w, x) as Value, [0]), { argnums: [0] })(f32([1, 2, 3, 4], [2, 2]), f32([0.5, -0.5])) as Array[];
    const c = [Math.cos(1 * 0.5 - 2 * 0.5), Math.cos(3 * 0.5 - 4 * 0.5)];
    close(nums(gw), [c[0] * 0.5, -c[0] * 0.5, c[1] * 0.5, -c[1] * 0.5]);
  });

  it("static arguments, pytrees, vmap and jit", () => {
    const f = checkpoint((p: { a: Value; b: Value }, n: number) => lax.mul(lax.integerPow(p.a, n), p.b), { staticArgnums: [1] });
    const g = grad((p: { a: Value; b: Value }) => lax.reduceSum(f(p, 3) as Value, [0]))({ a: f32([1, 2]), b: f32([3, 4]) }) as { a: Array; b: Array };
    close(nums(g.a), [9, 48]);
    close(nums(g.b), [1, 8]);
    const xs = f32([0.1, 0.7, -0.4]);
    close(nums(vmap(grad(checkpoint(sinsin)))(xs)), [0.1, 0.7, -0.4].map(dSinsin));
    close(nums(jit(grad(checkpoint(sinsin)))(scalar(0.3))), [dSinsin(0.3)]);
    close(nums(grad(jit(checkpoint(sinsin)))(scalar(0.3))), [dSinsin(0.3)]);
  });
});
