/**
 * @file Control flow composed with itself and with every transformation: scan of cond, cond of
 * scan, nested scans, while inside scan, vmap of grad, jacobians, hessians and linearize —
 * checked against finite differences (float64), loops over the batch, or closed forms.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, checkGrads, config, grad, hessian, jacfwd, jacrev, lax, linearize, vmap } from "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { assertHostClose, fromHostNd, randomArray, rng, stackAxis, takeAxis, toHost } from "../batching/helpers.js";

const A = (data: number[], shape: number[] = [data.length]) => Array.fromHost(data, shape, "float64");
const nums = (x: unknown) => (x as Array).toNumbers();
const check = (f: (...a: Value[]) => unknown, args: Value[], order: number, modes?: ("fwd" | "rev")[]) =>
  checkGrads(f as (...a: unknown[]) => unknown, args, order, modes ? { modes } : {});

/** A scan whose body branches on the sign of x. */
const scanOfCond = (xs: Value) => (lax.scan((c: Value, x: Value) => [
  lax.cond(lax.gt(x, 0), (a: Value) => lax.mul(a, x), (a: Value) => lax.sin(lax.add(a, x)), c), c,
], A([0.5], []), xs) as Value[])[0];

/** A loop over the batch, stacked: the reference for vmap. */
function loopOver(f: (x: Value) => unknown, xs: Array): ReturnType<typeof toHost> {
  const h = toHost(xs);
  return stackAxis([...globalThis.Array(xs.shape[0]).keys()].map((b) => toHost(f(fromHostNd(takeAxis(h, 0, b))) as Value)), 0);
}

describe("control flow composed with transformations (float64)", () => {
  let prev = false;
  before(() => {
    prev = config.enableX64;
    config.enableX64 = true;
  });
  after(() => {
    config.enableX64 = prev;
  });

  it("scan of cond: derivatives to second order, vmap equals a loop", () => {
    check(scanOfCond, [A([0.3, -0.2, 0.8, -1.1])], 2);
    const xs = A([0.3, -0.2, 0.8, -1.1, 1, 2, -3, 0.5], [2, 4]);
    assertHostClose(toHost(vmap(scanOfCond)(xs) as Value), loopOver(scanOfCond, xs), { rtol: 1e-14, atol: 1e-14 }, "vmap");
  });

  it("cond of scan: derivatives to second order on both branches", () => {
    const f = (p: boolean) => (xs: Value) => lax.cond(Array.fromHost([Number(p)], [], "bool"),
      (v: Value) => (lax.scan((c: Value, x: Value) => [lax.add(c, lax.mul(x, x)), c], A([0], []), v) as Value[])[0],
      (v: Value) => lax.reduceSum(lax.exp(v), [0]), xs);
    check(f(true), [A([0.3, -0.2, 0.8])], 2);
    check(f(false), [A([0.3, -0.2, 0.8])], 2);
  });

  it("nested scans: derivatives to second order", () => {
    const f = (xs: Value) => (lax.scan((c: Value, row: Value) => [(lax.scan((d: Value, x: Value) => [lax.sin(lax.add(d, x)), d], c, row) as Value[])[0], c], A([0.1], []), xs) as Value[])[0];
    check(f, [A([0.3, -0.2, 0.8, 0.4, 0.1, -0.5], [2, 3])], 2);
  });

  it("a while loop inside a scan: forward mode", () => {
    const f = (xs: Value) => (lax.scan((c: Value, x: Value) => [lax.whileLoop((v: Value) => lax.lt(v, 10), (v: Value) => lax.mul(v, lax.add(x, 2)), c), c], A([1], []), xs) as Value[])[0];
    check(f, [A([0.3, 0.2])], 1, ["fwd"]);
  });

  it("vmap of grad of cond with a batched predicate takes each element's branch", () => {
    const g = vmap(grad((p: Value, x: Value) => lax.cond(p, lax.sin, lax.cos, x), { argnums: 1 }));
    const out = nums(g(Array.fromHost([1, 0], [2], "bool"), A([0.5, 0.5])));
    assert.ok(Math.abs(out[0] - Math.cos(0.5)) < 1e-15 && Math.abs(out[1] + Math.sin(0.5)) < 1e-15, String(out));
  });

  it("vmap of grad of a static fori_loop equals the closed form", () => {
    // x -> x² three times is x⁸, whose derivative is 8x⁷.
    const g = vmap(grad((x: Value) => lax.foriLoop(0, 3, (_i: Value, v: Value) => lax.mul(v, v), x)));
    nums(g(A([1.1, 0.9]))).forEach((v, i) => assert.ok(Math.abs(v - 8 * [1.1, 0.9][i] ** 7) < 1e-12));
  });

  it("jacfwd and jacrev of a scan agree; the hessian matches finite differences of the gradient", () => {
    const ys = (xs: Value) => (lax.scan((c: Value, x: Value) => [lax.sin(lax.mul(c, x)), c], A([0.7], []), xs) as Value[])[1];
    const x0 = A([0.3, -0.4, 0.6]);
    assertHostClose(toHost(jacrev(ys)(x0) as Value), toHost(jacfwd(ys)(x0) as Value), { rtol: 1e-14, atol: 1e-15 }, "jacobians");
    const loss = (xs: Value) => lax.reduceSum(ys(xs), [0]);
    const h = toHost(hessian(loss)(x0) as Value);
    const eps = 1e-6;
    const fd: number[] = [];
    for (let i = 0; i < 3; i++) {
      const bump = (s: number) => nums(grad(loss)(A([0.3, -0.4, 0.6].map((v, k) => (k === i ? v + s * eps : v)))));
      const [gp, gm] = [bump(1), bump(-1)];
      fd.push(...gp.map((v, k) => (v - gm[k]) / (2 * eps)));
    }
    // Row i of the finite differences is d grad / d x_i: the hessian is symmetric.
    assertHostClose(h, { shape: [3, 3], dtype: "float64", data: fd }, { rtol: 1e-6, atol: 1e-8 }, "hessian");
  });

  it("linearize of a while loop: the known carry is computed, the tangent map is linear", () => {
    const f = (x: Value) => lax.whileLoop((v: Value) => lax.lt(lax.reduceSum(v, [0]), 10), (v: Value) => lax.mul(v, 1.5), x);
    const [y, fLin] = linearize(f as (...a: unknown[]) => unknown, [A([1, 2])]) as [Value, (t: Value) => Value];
    assert.deepEqual(nums(y), [3.375, 6.75]);
    assert.deepEqual(nums(fLin(A([1, 0]))), [3.375, 0]);
    assert.deepEqual(nums(fLin(A([0, 2]))), [0, 6.75]);
  });

  it("vmap of a scan with a batched switch index inside", () => {
    const f = (idx: Value, x: Value) => (lax.scan((c: Value) => [lax.switch(idx, [(a: Value) => lax.add(a, 1), (a: Value) => lax.mul(a, 2)], c), c], x, null, { length: 3 }) as Value[])[0];
    assert.deepEqual(nums(vmap(f)(Array.fromHost([0, 1, 0], [3], "int32"), A([1, 1, 5]))), [4, 8, 8]);
  });

  it("vmap of grad of an RNN-like scan equals a loop of grads", () => {
    const loss = (w: Value, xs: Value) => lax.reduceSum((lax.scan((h: Value, x: Value) => [lax.tanh(lax.add(lax.mul(h, w), x)), h], A([0.2], []), xs) as Value[])[1], [0]);
    const xss = randomArray([3, 5], "float64", rng(11), "small");
    const g = (xs: Value) => grad(loss)(A([0.9], []), xs) as Value;
    assertHostClose(toHost(vmap(g)(xss) as Value), loopOver(g, xss), { rtol: 1e-14, atol: 1e-14 }, "vmap(grad)");
  });
});
