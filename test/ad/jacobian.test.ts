/**
 * @file jacfwd, jacrev, jacobian and hessian: shapes and values for array and pytree inputs and
 * outputs, several argnums, has_aux, agreement of the forward and reverse constructions, and
 * composition (vmap of jacrev, jacfwd of jacrev). Expected values are closed forms.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import * as lax from "../../kernel/lax/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { hessian, jacfwd, jacobian, jacrev } from "../../kernel/ad/index.js";

const f32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float32");
const nums = (x: unknown): number[] => (x as Array).toNumbers();
const close = (got: number[], want: number[], tol = 1e-5): void => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `element ${i}: got ${g}, want ${want[i]}`));
};

// JAX's docstring example: f(x) = [x0, 5·x2, 4·x1² − 2·x2, x2·sin(x0)] at [1, 2, 3].
const docF = (x: Value): Value => {
  const at = (i: number): Value => lax.reshape(lax.slice(x, [i], [i + 1]), []);
  const [x0, x1, x2] = [at(0), at(1), at(2)];
  const parts = [x0, lax.mul(x2, 5), lax.sub(lax.mul(lax.mul(x1, x1), 4), lax.mul(x2, 2)), lax.mul(x2, lax.sin(x0))];
  return lax.concatenate(parts.map((p) => lax.reshape(p, [1])), 0);
};
const docJ = [1, 0, 0, 0, 0, 5, 0, 16, -2, 3 * Math.cos(1), 0, Math.sin(1)];

describe("ad: jacobians", () => {
  for (const [name, jac] of [["jacfwd", jacfwd], ["jacrev", jacrev], ["jacobian", jacobian]] as const) {
    it(`${name}: JAX's docstring example`, () => {
      const j = jac(docF)(f32([1, 2, 3])) as Array;
      assert.deepEqual([...j.shape], [4, 3]);
      close(nums(j), docJ);
    });

    it(`${name}: pytree inputs and outputs, argnums tuple: blocks [...outShape, ...inShape]`, () => {
      const f = (x: Value, p: { w: Value }): { s: Value; v: Value[] } => ({
        s: lax.reduceSum(lax.mul(x, p.w), [0]),
        v: [lax.mul(x, x)],
      });
      const x = f32([1, 2]);
      const w = f32([3, 4]);
      const J = jac(f, { argnums: [0, 1] })(x, { w }) as { s: [Array, { w: Array }]; v: [[Array, { w: Array }]] };
      assert.deepEqual([...J.s[0].shape], [2]);
      close(nums(J.s[0]), [3, 4]);
      close(nums(J.s[1].w), [1, 2]);
      assert.deepEqual([...J.v[0][0].shape], [2, 2]);
      close(nums(J.v[0][0]), [2, 0, 0, 4]);
      close(nums(J.v[0][1].w), [0, 0, 0, 0]);
    });

    it(`${name}: has_aux returns aux unchanged`, () => {
      const [j, aux] = jac((x: Value) => [lax.sin(x), { n: lax.reduceSum(x, [0]) }], { hasAux: true })(f32([0.5, 1])) as [Array, { n: Array }];
      close(nums(j), [Math.cos(0.5), 0, 0, Math.cos(1)]);
      close(nums(aux.n), [1.5]);
    });
  }

  it("jacfwd of integer inputs is JAX's TypeError", () => {
    assert.throws(() => jacfwd((x: Value) => x)(Array.fromHost([1], [1], "int32")), (e: Error) => e instanceof TypeError && e.message ===
      "jacfwd requires real-valued inputs (input dtype that is a sub-dtype of np.floating), but got int32. For holomorphic differentiation, pass holomorphic=True. For differentiation of non-holomorphic functions involving complex inputs or integer inputs, use jax.jvp directly.");
    assert.throws(() => jacrev((x: Value) => x)(Array.fromHost([1], [1], "int32")), /jacrev requires real- or complex-valued inputs/);
  });

  it("hessian of Σx³ is diag(6x); of g(x) = x0³ − 2·x0·x1 − x1⁶ as in JAX's docstring", () => {
    const cube = (x: Value): Value => lax.reduceSum(lax.integerPow(x, 3), [0]);
    close(nums(hessian(cube)(f32([1, 2, 3]))), [6, 0, 0, 0, 12, 0, 0, 0, 18]);
    const g = (x: Value): Value => {
      const at = (i: number): Value => lax.reshape(lax.slice(x, [i], [i + 1]), []);
      return lax.sub(lax.sub(lax.integerPow(at(0), 3), lax.mul(lax.mul(at(0), at(1)), 2)), lax.integerPow(at(1), 6));
    };
    close(nums(hessian(g)(f32([1, 2]))), [6, -2, -2, -480]);
  });

  it("hessian over several arguments: nested blocks", () => {
    const f = (x: Value, y: Value): Value => lax.reduceSum(lax.mul(lax.mul(x, x), y), [0]);
    const H = hessian(f, { argnums: [0, 1] })(f32([1, 2]), f32([3, 4])) as Array[][];
    close(nums(H[0][0]), [6, 0, 0, 8]);
    close(nums(H[0][1]), [2, 0, 0, 4]);
    close(nums(H[1][0]), [2, 0, 0, 4]);
    close(nums(H[1][1]), [0, 0, 0, 0]);
  });

  it("vmap(jacrev(f)) and jacfwd(jacrev(f)) compose", () => {
    const f = (x: Value): Value => lax.mul(lax.sin(x), x);
    const batch = f32([0.1, 0.2, 0.3, 0.4], [2, 2]);
    const J = vmap(jacrev(f))(batch) as Array;
    assert.deepEqual([...J.shape], [2, 2, 2]);
    const d = (v: number): number => Math.sin(v) + v * Math.cos(v);
    close(nums(J), [d(0.1), 0, 0, d(0.2), d(0.3), 0, 0, d(0.4)]);
    const H = jacfwd(jacrev(f))(f32([0.5])) as Array;
    close(nums(H), [2 * Math.cos(0.5) - 0.5 * Math.sin(0.5)]);
  });
});
