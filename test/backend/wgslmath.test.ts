/**
 * @file Accuracy of the WebGPU math (kernel/codegen/wgslmath.ts) through the primitives, against
 * NumPy/PyTorch float64 values at the same float32 inputs (test/fixtures/gen_webgpu.py): the
 * largest error over each sweep, in float32 ulps, must stay within the function's bound.
 * Special functions near their zeros are also allowed a small absolute error.
 */

import assert from "node:assert/strict";
import { type FixtureArray, decode, loadFixture } from "../util.js";
import { Array } from "../../kernel/backend/array.js";
import { webgpuDevices, webgpuUnavailable } from "../../kernel/backend/device.js";
import { bind1 } from "../../kernel/ir/core.js";

interface Fixture {
  unary: { name: string; x: FixtureArray; y: FixtureArray }[];
  binary: { name: string; x: FixtureArray; y: FixtureArray; z: FixtureArray }[];
}
const fx = loadFixture<Fixture>("webgpu");

/** Bounds: ulps, and an absolute error also accepted (where values pass through zero). */
const BOUND: Record<string, { ulps: number; abs?: number }> = {
  exp: { ulps: 2 }, exp2: { ulps: 2 }, log: { ulps: 2 }, log1p: { ulps: 3 }, expm1: { ulps: 4 },
  sin: { ulps: 3 }, cos: { ulps: 3 }, tan: { ulps: 4 }, asin: { ulps: 3 }, acos: { ulps: 3 }, atan: { ulps: 3 },
  sinh: { ulps: 4 }, cosh: { ulps: 3 }, tanh: { ulps: 4 }, asinh: { ulps: 3 }, acosh: { ulps: 3 }, atanh: { ulps: 4 },
  cbrt: { ulps: 2 }, logistic: { ulps: 3 }, erf: { ulps: 8 }, erfc: { ulps: 8 },
  // XLA's float32 erf_inv is Giles' single-precision polynomial, a few ulps off near ±1.
  erf_inv: { ulps: 96 },
  lgamma: { ulps: 16, abs: 1e-6 }, digamma: { ulps: 16, abs: 1e-6 },
  pow: { ulps: 8 }, atan2: { ulps: 4 }, rem: { ulps: 0 },
};

const ulpOf = (v: number): number => (v === 0 ? 2 ** -149 : Math.max(2 ** (Math.floor(Math.log2(Math.abs(v))) - 23), 2 ** -149));

/** The largest error of `got` against float64 `want`, in ulps of the float32-rounded reference. */
function worst(got: number[], want: number[], abs = 0): { ulps: number; at: number } {
  let w = { ulps: 0, at: -1 };
  want.forEach((e64, i) => {
    const e = Math.fround(e64), g = got[i];
    let u: number;
    if (Number.isNaN(e) || !Number.isFinite(e)) u = Object.is(g, e) || (Number.isNaN(e) && Number.isNaN(g)) ? 0 : Infinity;
    else if (!Number.isFinite(g)) u = Infinity;
    else u = Math.abs(g - e64) <= abs ? 0 : Math.max(0, Math.abs(g - e64) / ulpOf(e) - 0.5);
    if (u > w.ulps) w = { ulps: u, at: i };
  });
  return w;
}

describe("WebGPU math accuracy (float32 ulps against float64 NumPy/PyTorch)", () => {
  it("an adapter exists (Mesa's lavapipe on machines without a GPU)", () => {
    assert.equal(webgpuUnavailable(), null);
  });
  const device = () => webgpuDevices()[0];
  const f32 = (a: FixtureArray) => Array.fromHost(a.data.map(decode), a.shape, "float32", { device: device() });

  for (const c of fx.unary) {
    const b = BOUND[c.name];
    it(`${c.name} over [${decode(c.x.data[0])}, ${decode(c.x.data[c.x.data.length - 1])}]: within ${b.ulps} ulp${b.abs ? ` or ${b.abs} absolute` : ""}`, () => {
      const got = (bind1(c.name, [f32(c.x)]) as Array).toNumbers();
      const w = worst(got, c.y.data.map(decode), b.abs);
      assert.ok(w.ulps <= b.ulps, `${c.name}(${decode(c.x.data[w.at])}) = ${got[w.at]}, want ${decode(c.y.data[w.at])}: ${w.ulps.toFixed(2)} ulp`);
    });
  }
  for (const c of fx.binary) {
    const b = BOUND[c.name];
    it(`${c.name} over ${c.x.data.length} pairs: within ${b.ulps} ulp`, () => {
      const got = (bind1(c.name, [f32(c.x), f32(c.y)]) as Array).toNumbers();
      const w = worst(got, c.z.data.map(decode), b.abs);
      assert.ok(w.ulps <= b.ulps, `${c.name}(${decode(c.x.data[w.at])}, ${decode(c.y.data[w.at])}) = ${got[w.at]}, want ${decode(c.z.data[w.at])}: ${w.ulps.toFixed(2)} ulp`);
    });
  }
});
