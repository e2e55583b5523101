/** @file Fusion: how many kernels a jitted function compiles to, and that the fused results are right. */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture, testDevices } from "../util.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { vmap } from "../../kernel/batching/index.js";

const fx = loadFixture<Record<string, FixtureArray>>("jit");

/** The post's function: exp(-x²)·cos(exp(x²)). */
const f = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));

const softmax = (x: Value): Value => {
  const m = lax.broadcastInDim(lax.reduceMax(x, [1]), [6, 7], [0]);
  const e = lax.exp(lax.sub(x, m));
  return lax.div(e, lax.broadcastInDim(lax.reduceSum(e, [1]), [6, 7], [0]));
};

const cases: { name: string; fn: (...xs: Value[]) => Value | Value[]; args: string[]; want: string[]; kernels: number }[] = [
  { name: "the post's function", fn: f, args: ["post_x"], want: ["post_f"], kernels: 1 },
  { name: "softmax", fn: softmax, args: ["m"], want: ["softmax"], kernels: 3 },
  { name: "a reduction with its epilogue", fn: (x) => lax.mul(lax.exp(lax.reduceSum(x, [1])), 2), args: ["m"], want: ["exp_rowsum_times2"], kernels: 1 },
  { name: "a reduction over the leading axis", fn: (x) => lax.reduceSum(x, [0]), args: ["m"], want: ["colsum"], kernels: 1 },
  { name: "a transpose as index arithmetic", fn: (x, y) => lax.add(x, lax.transpose(y, [1, 0])), args: ["m", "n"], want: ["m_plus_nT"], kernels: 1 },
  {
    name: "an expensive broadcast operand is materialized once",
    fn: (x, v) => lax.mul(x, lax.broadcastInDim(lax.exp(v), [6, 7], [1])), args: ["m", "v"], want: ["m_times_exp_v"], kernels: 2,
  },
  {
    name: "a row sum broadcast back is a kernel boundary",
    fn: (x) => lax.div(x, lax.broadcastInDim(lax.reduceSum(x, [1]), [6, 7], [0])), args: ["m"], want: ["m_div_rowsum"], kernels: 2,
  },
  {
    name: "a full reduction used as a scalar",
    fn: (x) => lax.div(x, lax.reduceSum(x, [0, 1])), args: ["m"], want: ["m_over_total"], kernels: 2,
  },
  { name: "two outputs of one shape share a kernel", fn: (x) => [lax.sin(x), lax.cos(x)], args: ["m"], want: ["sin_m", "cos_m"], kernels: 1 },
  { name: "a reduction of a fused map over a 3-d array", fn: (x) => lax.reduceMax(lax.tanh(x), [2]), args: ["b"], want: ["b_tanh_rowmax"], kernels: 1 },
  {
    // pad selects between its operand and the padding at every position (both are evaluated):
    // an expensive operand is stored once rather than recomputed 3.5 times.
    name: "a strided slice, a map and a pad",
    fn: (x) => lax.pad(lax.exp(lax.slice(x, [1, 0], [4, 8], [1, 2])), 0.5, [[2, 1, 0], [0, 3, 0]]), args: ["q"], want: ["idx_pad_slice"], kernels: 2,
  },
  {
    name: "a cheap map under a pad stays fused",
    fn: (x) => lax.pad(lax.mul(lax.slice(x, [1, 0], [4, 8], [1, 2]), 2), 0.5, [[2, 1, 0], [0, 3, 0]]), args: ["q"], want: ["idx_pad_slice_times2"], kernels: 1,
  },
  {
    // Likewise each operand of a concatenation is read at every position: sin is stored once.
    name: "concatenation of reversed operands",
    fn: (x) => lax.concatenate([lax.mul(lax.rev(x, [1]), 2), lax.sin(lax.rev(x, [0]))], 0), args: ["q"], want: ["idx_concat_rev"], kernels: 2,
  },
  { name: "a cumulative sum and its epilogue", fn: (x) => lax.tanh(lax.cumsum(x, 1)), args: ["q"], want: ["idx_cumsum_tanh"], kernels: 1 },
  { name: "argmax of a fused square", fn: (x) => lax.argmax(lax.mul(x, x), 1, "int32"), args: ["q"], want: ["idx_argmax_sq"], kernels: 1 },
  { name: "a transpose then a reshape", fn: (x) => lax.add(lax.reshape(lax.transpose(x, [1, 0]), [4, 10]), 1), args: ["q"], want: ["idx_transpose_reshape"], kernels: 1 },
  {
    name: "a column max broadcast back",
    fn: (x) => lax.sub(x, lax.broadcastInDim(lax.reduceMax(x, [0]), [5, 8], [1])), args: ["q"], want: ["idx_colmax_minus"], kernels: 2,
  },
];

describe("jit fusion", () => {
  for (const device of testDevices()) {
    describe(device.toString(), () => {
      for (const c of cases) {
        it(`${c.name}: ${c.kernels} kernel${c.kernels > 1 ? "s" : ""}, values as NumPy's`, () => {
          const jf = jit(c.fn, { name: "fn" });
          const args = c.args.map((a) => fromFixture(fx[a], device));
          assert.equal(jf.lower(...args).numKernels, c.kernels);
          const before = device.backend.stats.dispatches;
          const out = jf(...args);
          assert.equal(device.backend.stats.dispatches - before, c.kernels, "dispatches of one call");
          const outs = Array.isArray(out) ? out : [out];
          c.want.forEach((w, i) => assertClose(outs[i], fx[w], { rtol: 1e-5, atol: 1e-6, msg: w }));
        });
      }

      it("nested jit is inlined into one kernel", () => {
        const inner = jit((x: Value) => lax.exp(lax.neg(lax.integerPow(x, 2))));
        const outer = jit((x: Value) => lax.mul(inner(x), lax.cos(lax.exp(lax.integerPow(x, 2)))));
        const x = fromFixture(fx.post_x, device);
        assert.equal(outer.lower(x).numKernels, 1);
        assertClose(outer(x), fx.post_f, { rtol: 1e-5, atol: 1e-6 });
      });

      it("vmap of the post's function compiles to one kernel", () => {
        const jf = jit(vmap(f));
        const x = fromFixture(fx.post_x, device);
        assert.equal(jf.lower(x).numKernels, 1);
        assertClose(jf(x), fx.post_f, { rtol: 1e-5, atol: 1e-6 });
      });
    });
  }
});
