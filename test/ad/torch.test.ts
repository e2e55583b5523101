/**
 * @file Gradients of composite functions against PyTorch autograd (test/fixtures/gen_ad.py):
 * the post's function (first and second derivatives), softmax cross-entropy, an MLP loss,
 * logsumexp, a scan-based RNN and a norm — by grad (reverse mode) and by jacfwd (forward mode),
 * plus agreement of the value paths f(x), jvp(f)[0], vjp(f)[0].
 */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";
import { type Value } from "../../kernel/ir/core.js";
import * as lax from "../../kernel/lax/index.js";
import { grad, jacfwd, jvp, valueAndGrad, vjp } from "../../kernel/ad/index.js";
import { Array } from "../../kernel/backend/array.js";

interface Case {
  inputs: Record<string, FixtureArray>;
  value: FixtureArray;
  grads: Record<string, FixtureArray>;
  second?: FixtureArray;
}
const fx = loadFixture<Record<string, Case>>("ad");

// float32 computation against float64 references.
const TOL = { rtol: 2e-5, atol: 2e-6, checkDtype: false };

const shapeOf = (x: Value): readonly number[] => (x as Array).shape;
/** Broadcasts `x` (reduced over `axes` of `shape`) back to `shape`. */
const unreduce = (x: Value, shape: readonly number[], axes: number[]): Value =>
  lax.broadcastInDim(x, shape, shape.map((_, i) => i).filter((i) => !axes.includes(i)));
const matmul = (a: Value, b: Value): Value => lax.dotGeneral(a, b, [[[shapeOf(a).length - 1], [0]], [[], []]]);
const addRow = (m: Value, v: Value): Value => lax.add(m, lax.broadcastInDim(v, shapeOf(m), [shapeOf(m).length - 1]));

/** logsumexp over `axis`, keeping it, with the max shift under stop_gradient (as jax.nn does). */
function logsumexp(x: Value, axis: number): Value {
  const shape = shapeOf(x);
  const m = lax.stopGradient(unreduce(lax.reduceMax(x, [axis]), shape, [axis]));
  return lax.add(lax.log(lax.reduceSum(lax.exp(lax.sub(x, m)), [axis])), lax.reduceMax(lax.stopGradient(x), [axis]));
}

const post = (x: Value): Value => {
  const x2 = lax.mul(x, x);
  return lax.reduceSum(lax.mul(lax.exp(lax.neg(x2)), lax.cos(lax.exp(x2))), [0]);
};

const FNS: Record<string, (...xs: Value[]) => Value> = {
  post,
  softmax_xent: (logits, labels) => {
    const lse = unreduce(logsumexp(logits, 1), shapeOf(logits), [1]);
    const rows = lax.reduceSum(lax.mul(labels, lax.sub(logits, lse)), [1]);
    return lax.div(lax.neg(lax.reduceSum(rows, [0])), shapeOf(logits)[0]);
  },
  mlp: (x, w1, b1, w2, b2, y) => {
    const h = lax.tanh(addRow(matmul(x, w1), b1));
    const d = lax.sub(addRow(matmul(h, w2), b2), y);
    return lax.div(lax.reduceSum(lax.mul(d, d), [0, 1]), shapeOf(y)[0] * shapeOf(y)[1]);
  },
  logsumexp: (x) => lax.reduceSum(logsumexp(x, 1), [0]),
  rnn: (w, u, b, h0, xs) => {
    const [[h, acc]] = lax.scan(([h, acc]: Value[], x: Value) => {
      const hn = lax.tanh(lax.add(lax.add(matmul(w, h), matmul(u, x)), b));
      return [[hn, lax.add(acc, lax.reduceSum(hn, [0]))], null];
    }, [h0, lax.convertElementType(0, "float32")], xs) as unknown as [[Value, Value]];
    return lax.add(lax.reduceSum(lax.mul(h, h), [0]), acc);
  },
  norm: (x) => lax.sqrt(lax.reduceSum(lax.mul(x, x), [0])),
};

describe("ad: gradients against PyTorch autograd", () => {
  for (const [name, c] of Object.entries(fx)) {
    const names = Object.keys(c.inputs);
    const argnums = names.map((_, i) => i);
    const args = () => names.map((n) => fromFixture(c.inputs[n]));

    it(`${name}: value_and_grad (reverse mode) matches torch`, () => {
      const [v, gs] = valueAndGrad(FNS[name], { argnums })(...args()) as [Value, Value[]];
      assertClose(v, c.value, { ...TOL, msg: "value" });
      names.forEach((n, i) => assertClose(gs[i], c.grads[n], { ...TOL, msg: `d/d${n}` }));
    });

    it(`${name}: jacfwd (forward mode) matches torch`, () => {
      const js = jacfwd(FNS[name], { argnums })(...args()) as Value[];
      names.forEach((n, i) => assertClose(js[i], c.grads[n], { ...TOL, msg: `d/d${n}` }));
    });

    it(`${name}: f(x), jvp(f)[0] and vjp(f)[0] agree`, () => {
      const xs = args();
      const direct = FNS[name](...xs) as Array;
      const [pj] = jvp(FNS[name], xs, xs.map((x) => lax.mul(x, 0.5))) as Array[];
      const [pv] = vjp(FNS[name], xs) as Array[];
      assert.deepEqual(pj.toNumbers(), direct.toNumbers());
      assert.deepEqual(pv.toNumbers(), direct.toNumbers());
    });
  }

  it("post: second derivative (grad of grad) matches torch", () => {
    const x = fromFixture(fx.post.inputs.x);
    const dfx = (xi: Value): Value => grad((y: Value) => post(lax.reshape(y, [1])))(xi) as Value;
    const second = fx.post.second!;
    const xs = x.toNumbers();
    const got = xs.map((v) => (grad(dfx)(Array.fromHost([v], [], "float32")) as Array).item() as number);
    assertClose(Array.fromHost(got, [got.length], "float32"), second, { rtol: 1e-4, atol: 1e-4, checkDtype: false });
  });
});
