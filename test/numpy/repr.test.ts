/**
 * @file repr and str of arrays against NumPy's array2string as JAX's Array.__repr__ calls it
 * (test/fixtures/gen_numpy_repr.py): float formatting, alignment, wrapping at 75 columns,
 * summarization, weak types, JAX's spacing when the dtype does not fit.
 */

import assert from "node:assert/strict";
import { type FixtureArray, decode, loadFixture } from "../util.js";
import "../../kernel/numpy/index.js";
import { Array } from "../../kernel/backend/array.js";
import type { DType } from "../../kernel/ir/dtype.js";

interface Case { name: string; array: FixtureArray; weak: boolean; repr: string; str: string }

describe("repr and str like JAX and NumPy", () => {
  const { cases } = loadFixture<{ cases: Case[] }>("numpy_repr");
  for (const c of cases) {
    const make = (): Array => Array.fromHost(c.array.data.map(decode), c.array.shape, c.array.dtype as DType, { weak: c.weak });
    it(`repr: ${c.name}`, () => assert.equal(String(make()), c.repr));
    it(`str: ${c.name}`, () => assert.equal(make().str(), c.str));
  }
});
