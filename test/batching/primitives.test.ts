/**
 * @file vmap of every registered primitive equals a loop over the batch: each case of
 * `cases.ts` runs with the batch axis first, last, and on one operand only, and the vmapped
 * result is compared with the primitive applied to each element and the results stacked.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value, primitiveNames } from "../../kernel/ir/core.js";
import type { BDim } from "../../kernel/ir/rules.js";
import { vmap } from "../../kernel/batching/index.js";
import { CASES, type BatchCase, applyCase } from "./cases.js";
import { type HostNd, assertHostClose, fromHostNd, randomArray, rng, stackAxis, takeAxis, toHost } from "./helpers.js";

const B = 3;

interface Variant {
  readonly name: string;
  readonly dims: BDim[];
  readonly outAxis: number;
}

function variants(c: BatchCase): Variant[] {
  const n = c.args.length;
  const at = (d: number | null) => (i: number): BDim => (c.args[i].unbatched ? null : d);
  const vs: Variant[] = [
    { name: "batch axis first", dims: c.args.map((_, i) => at(0)(i)), outAxis: 0 },
    { name: "batch axis last, out_axes=-1", dims: c.args.map((_, i) => at(-1)(i)), outAxis: -1 },
  ];
  if (n > 1) {
    vs.push({ name: "only the first operand batched", dims: c.args.map((_, i) => (i === 0 ? at(1 % (c.args[0].shape.length + 1))(i) : null)), outAxis: -1 });
    vs.push({ name: "only the last operand batched", dims: c.args.map((_, i) => (i === n - 1 ? at(0)(i) : null)), outAxis: 0 });
  }
  return vs.filter((v) => n === 0 || v.dims.some((d) => d !== null));
}

function check(prim: string, c: BatchCase, v: Variant, seed: number): void {
  const r = rng(seed);
  const canon = v.dims.map((d, i) => (d === null ? null : d < 0 ? d + c.args[i].shape.length + 1 : d));
  const args = c.args.map((a, i) => {
    const shape = [...a.shape];
    if (canon[i] !== null) shape.splice(canon[i] as number, 0, B);
    return randomArray(shape, a.dtype, r, a.dom);
  });
  const got = vmap((...xs: Value[]) => applyCase(prim, c, xs), { inAxes: v.dims, outAxes: v.outAxis, axisSize: B })(...args);
  const hostArgs = args.map(toHost);
  const perElement: HostNd[][] = [];
  for (let b = 0; b < B; b++) {
    const xs = hostArgs.map((h, i) => fromHostNd(canon[i] === null ? h : takeAxis(h, canon[i] as number, b)));
    perElement.push(applyCase(prim, c, xs).map(toHost));
  }
  assert.equal(got.length, perElement[0].length, "number of outputs");
  got.forEach((g, k) => {
    const elemRank = perElement[0][k].shape.length;
    const want = stackAxis(perElement.map((outs) => outs[k]), v.outAxis < 0 ? v.outAxis + elemRank + 1 : v.outAxis);
    assertHostClose(toHost(g), want, { rtol: 1e-5, atol: 1e-6 }, `${prim} output ${k}`);
  });
}

describe("vmap of every primitive equals a loop over the batch", () => {
  it("has a batching case for every registered primitive", () => {
    const missing = primitiveNames().filter((p) => !(p in CASES));
    assert.deepEqual(missing, [], `primitives without a batching case: ${missing.join(", ")}`);
  });

  let seed = 1;
  for (const prim of primitiveNames()) {
    const cases = CASES[prim];
    if (!cases) continue;
    describe(prim, () => {
      cases.forEach((c) => {
        for (const v of variants(c)) {
          const s = seed++;
          it(`${c.note ? `${c.note}: ` : ""}${v.name}`, () => check(prim, c, v, s));
        }
      });
    });
  }
});
