/** @file Contractions on the CPU: the blocked WebAssembly matmul with epilogues, transposes and batches, and an MLP step against PyTorch. */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";
import * as lax from "../../kernel/lax/index.js";
import { jit, compiledProgram } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import type { CpuExecutable } from "../../kernel/backend/cpu.js";
import { valueAndGrad } from "../../kernel/ad/index.js";

const fx = loadFixture<Record<string, FixtureArray & FixtureArray[]>>("jit");
const tol = { rtol: 1e-5, atol: 1e-5 };

function kinds(fn: (...xs: Value[]) => unknown, ...args: unknown[]): string[] {
  const l = jit(fn).lower(...args);
  return (compiledProgram(l.jaxpr, l.device) as unknown as { steps: { exe?: CpuExecutable }[] }).steps.filter((s) => s.exe).map((s) => s.exe!.kind);
}

const mm = (a: Value, b: Value): Value => lax.dotGeneral(a, b, [[[1], [0]], [[], []]]);

describe("CPU contractions", () => {
  const a = () => fromFixture(fx.mm_a), b = () => fromFixture(fx.mm_b);

  it("a matmul runs as the WebAssembly matmul (odd sizes)", () => {
    assert.deepEqual(kinds(mm, a(), b()), ["matmul"]);
    assertClose(jit(mm)(a(), b()), fx.mm_ab, tol);
  });

  it("takes a bias and tanh as its epilogue, in the same kernel", () => {
    const fn = (x: Value, y: Value, z: Value): Value => lax.tanh(lax.add(mm(x, y), lax.broadcastInDim(z, [13, 11], [1])));
    assert.deepEqual(kinds(fn, a(), b(), fromFixture(fx.mm_bias)), ["matmul"]);
    assertClose(jit(fn)(a(), b(), fromFixture(fx.mm_bias)), fx.mm_tanh_ab_bias, tol);
  });

  it("transposed operands are strides (aᵀa contracts dim 0 with dim 0)", () => {
    const fn = (x: Value): Value => lax.dotGeneral(x, x, [[[0], [0]], [[], []]]);
    assert.deepEqual(kinds(fn, a()), ["matmul"]);
    assertClose(jit(fn)(a()), fx.mm_at_a, tol);
  });

  it("batch dimensions", () => {
    const fn = (x: Value, y: Value): Value => lax.dotGeneral(x, y, [[[2], [1]], [[0], [0]]]);
    assert.deepEqual(kinds(fn, fromFixture(fx.bmm_a), fromFixture(fx.bmm_b)), ["matmul"]);
    assertClose(jit(fn)(fromFixture(fx.bmm_a), fromFixture(fx.bmm_b)), fx.bmm_ab, tol);
  });

  it("a 3-layer MLP's loss and gradients equal PyTorch autograd; every contraction is a matmul kernel", () => {
    const loss = (p: { w: Value[]; b: Value[] }, x: Value, y: Value): Value => {
      let h = x;
      for (let i = 0; i < 3; i++) {
        const z = lax.add(mm(h, p.w[i]), lax.broadcastInDim(p.b[i], [8, 16], [1]));
        h = i < 2 ? lax.tanh(z) : z;
      }
      const d = lax.sub(h, y);
      return lax.div(lax.reduceSum(lax.mul(d, d), [0, 1]), 8 * 16);
    };
    const p = { w: fx.mlp_w.map((w) => fromFixture(w)), b: fx.mlp_b.map((v) => fromFixture(v)) };
    const x = fromFixture(fx.mlp_x), y = fromFixture(fx.mlp_y);
    const step = jit(valueAndGrad(loss));
    const [value, grads] = step(p, x, y) as [Array, { w: Array[]; b: Array[] }];
    assertClose(value, fx.mlp_loss, tol);
    [...grads.w, ...grads.b].forEach((g, i) => assertClose(g, fx.mlp_grads[i], { ...tol, msg: `gradient ${i}` }));
    const ks = kinds(valueAndGrad(loss) as (...xs: Value[]) => unknown, p, x, y);
    // 3 forward contractions and 5 backward ones (the gradient of x is not needed).
    assert.ok(ks.filter((k) => k === "matmul").length >= 8, ks.join(" "));
  });
});
