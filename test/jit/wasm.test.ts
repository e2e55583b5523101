/** @file The CPU's WebAssembly SIMD kernels: accuracy of their math against NumPy, and that the JS and wasm paths agree. */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, decode, fromFixture, loadFixture } from "../util.js";
import * as lax from "../../kernel/lax/index.js";
import { jit, compiledProgram } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { cpuDevice } from "../../kernel/backend/device.js";
import type { CpuBackend, CpuExecutable } from "../../kernel/backend/cpu.js";
import { f32Ulps } from "./ulps.js";

const fx = loadFixture<Record<string, FixtureArray>>("jit");
const backend = cpuDevice().backend as CpuBackend;

/** The kinds of the kernels a jitted function compiles to on the CPU. */
function kernelKinds(fn: (...xs: Value[]) => Value, ...args: Array[]): string[] {
  const l = jit(fn).lower(...args);
  const prog = compiledProgram(l.jaxpr, l.device) as unknown as { steps: { exe?: CpuExecutable }[] };
  return prog.steps.filter((s) => s.exe).map((s) => s.exe!.kind);
}

const MATH: [string, (x: Value) => Value, number][] = [
  ["exp", lax.exp, 2], ["log", lax.log, 2], ["sin", lax.sin, 2], ["cos", lax.cos, 2], ["tanh", lax.tanh, 2], ["logistic", lax.logistic, 3],
];

describe("CPU WebAssembly SIMD kernels", () => {
  for (const [name, fn, maxUlps] of MATH) {
    it(`${name}: within ${maxUlps} ulp of NumPy's float64 result rounded to float32, specials exact`, () => {
      const x = fromFixture(fx.math_x);
      assert.deepEqual(kernelKinds(fn, x), ["wasm"]);
      const got = (jit(fn)(x) as Array).toNumbers();
      const want = fx[`math_${name}`].data.map(decode);
      const xs = fx.math_x.data.map(decode);
      for (let i = 0; i < want.length; i++) {
        const w = want[i], g = got[i];
        if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${name}(${xs[i]}): got ${g}, want NaN`);
        else if (!Number.isFinite(w)) assert.equal(g, w, `${name}(${xs[i]})`);
        else if (Math.abs(w) < 1.2e-38) assert.ok(Math.abs(g - w) < 1.2e-38, `${name}(${xs[i]}): got ${g}, want ${w} (subnormal range)`);
        else assert.ok(f32Ulps(g, w) <= maxUlps, `${name}(${xs[i]}): got ${g}, want ${w} (${f32Ulps(g, w)} ulp)`);
      }
    });
  }

  it("the post's function runs as WebAssembly, and equals the JavaScript kernel within 1e-6", () => {
    const f = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));
    const x = fromFixture(fx.post_x);
    assert.deepEqual(kernelKinds(f, x), ["wasm"]);
    assertClose(jit(f)(x), fx.post_f, { rtol: 1e-5, atol: 1e-6 });
    backend.useWasm = false;
    try {
      assert.deepEqual(kernelKinds(f, x), ["js"]);
      assertClose(jit(f)(x), fx.post_f, { rtol: 1e-5, atol: 1e-6 });
    } finally {
      backend.useWasm = true;
    }
  });

  it("scalars, comparisons and selects vectorize; sizes that are not multiples of the block work", () => {
    const n = 4096 * 2 + 3;
    const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const x = Array.fromHost(data, [n], "float32");
    const s = Array.scalar(0.5, "float32", false);
    const fn = (a: Value, b: Value): Value => lax.select(lax.gt(a, b), lax.mul(a, b), lax.neg(a));
    assert.deepEqual(kernelKinds(fn, x, s), ["wasm"]);
    const got = (jit(fn)(x, s) as Array).toNumbers();
    data.forEach((v, i) => assert.equal(got[i], v > 0.5 ? Math.fround(v * 0.5) : -v, `element ${i}`));
  });

  it("kernels outside the subset (short rows, integers) stay JavaScript", () => {
    const x = fromFixture(fx.m);
    assert.deepEqual(kernelKinds((a) => lax.reduceSum(a, [1]), x), ["js"]);
    assert.deepEqual(kernelKinds((a) => lax.add(a, 1), Array.fromHost([1, 2, 3], [3], "int32")), ["js"]);
  });

  const softmax = (x: Value): Value => {
    const m = lax.broadcastInDim(lax.reduceMax(x, [1]), [6, 77], [0]);
    const e = lax.exp(lax.sub(x, m));
    return lax.div(e, lax.broadcastInDim(lax.reduceSum(e, [1]), [6, 77], [0]));
  };
  const rows: [string, (...xs: Value[]) => Value, string[], string, string[]][] = [
    ["softmax over rows of 77", softmax, ["w"], "w_softmax", ["wasm", "wasm", "wasm"]],
    ["a row sum of squares", (x) => lax.reduceSum(lax.mul(x, x), [1]), ["w"], "w_rowsum_sq", ["wasm"]],
    ["a row min with an epilogue", (x) => lax.exp(lax.reduceMin(x, [1])), ["w"], "w_rowmin_exp", ["wasm"]],
    ["a row-broadcast bias", (x, b) => lax.tanh(lax.add(x, lax.broadcastInDim(b, [6, 77], [1]))), ["w", "wb"], "w_tanh_bias", ["wasm"]],
    ["a row max propagating NaN", (x) => lax.reduceMax(x, [1]), ["wn"], "wn_rowmax", ["wasm"]],
  ];
  for (const [name, fn, args, want, ks] of rows) {
    it(`row kernels: ${name}`, () => {
      const xs = args.map((a) => fromFixture(fx[a]));
      assert.deepEqual(kernelKinds(fn, ...xs), ks);
      assertClose(jit(fn)(...xs), fx[want], { rtol: 1e-5, atol: 1e-6 });
    });
  }
});
