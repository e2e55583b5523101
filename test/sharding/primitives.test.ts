/**
 * @file Every primitive with a sharding rule, on sharded operands (1-D and 2-D meshes, split,
 * partially replicated and replicated layouts), eager and under jit, equals the same primitive
 * on unsharded operands. Operands and params come from the batching table (shapes scaled so
 * that every mesh divides them); primitives whose params carry shapes have cases here.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as sh from "../../kernel/sharding/index.js";
import { type Params, type Value, bind, primitiveNames, rulesOf } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import { isFloat } from "../../kernel/ir/dtype.js";
import { jit } from "../../kernel/jit/index.js";
import { GatherDimensionNumbers, gather } from "../../kernel/lax/gather.js";
import { ScatterDimensionNumbers, scatter, scatterAdd, scatterMax, scatterMin, scatterMul, scatterSub } from "../../kernel/lax/scatter.js";
import { CASES, type BatchCase } from "../batching/cases.js";
import { randomArray, rng } from "../batching/helpers.js";
import * as lax from "../../kernel/lax/index.js";

const f32 = (...shape: number[]) => ({ shape, dtype: "float32" as const });
const indices = (n: number, hi: number) => ({ shape: [n, 1], dtype: "int32" as const, dom: { lo: 0, hi } });
/** x[i] for rows i; whole rows (a window dim taken whole stays split), and windows of columns. */
const rows = new GatherDimensionNumbers({ offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] });
const cols = new GatherDimensionNumbers({ offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] });
const rowUpdates = new ScatterDimensionNumbers({ updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });
const scatters = { scatter, "scatter-add": scatterAdd, "scatter-sub": scatterSub, "scatter-mul": scatterMul, "scatter-min": scatterMin, "scatter-max": scatterMax };

/** Cases whose params depend on operand shapes (so the batching table's cannot be scaled). */
const SHAPED: Record<string, BatchCase[]> = {
  gather: [
    { args: [f32(8, 12), indices(8, 8)], fn: (x, i) => [gather(x, i, rows, [1, 12])], note: "whole rows" },
    { args: [f32(8, 12), indices(4, 10)], fn: (x, i) => [gather(x, i, cols, [8, 1])], note: "columns" },
  ],
  dynamic_slice: [
    { args: [f32(8, 12), { shape: [], dtype: "int32", dom: { lo: -1, hi: 8 } }, { shape: [], dtype: "int32", dom: { lo: 0, hi: 6 } }], params: { slice_sizes: [8, 5] }, note: "whole rows" },
    { args: [f32(8, 12), { shape: [], dtype: "int32", dom: { lo: 0, hi: 5 } }, { shape: [], dtype: "int32", dom: { lo: 0, hi: 3 } }], params: { slice_sizes: [4, 12] }, note: "whole columns" },
  ],
  dynamic_update_slice: [
    { args: [f32(8, 12), f32(8, 4), { shape: [], dtype: "int32", dom: { lo: 0, hi: 8 } }, { shape: [], dtype: "int32", dom: { lo: 0, hi: 9 } }] },
    { args: [f32(8, 12), f32(4, 12), { shape: [], dtype: "int32", dom: { lo: 0, hi: 5 } }, { shape: [], dtype: "int32", dom: { lo: 0, hi: 1 } }], note: "whole rows" },
  ],
  ...Object.fromEntries(Object.entries(scatters).map(([prim, fn]) => [prim, [
    { args: [f32(8, 12), indices(4, 8), f32(4, 12)], fn: (x: Value, i: Value, u: Value) => [fn(x, i, u, rowUpdates)], note: "rows" },
  ]])),
  // Control flow: bodies elementwise along the split arrays (kernel/lax/shardControl.ts).
  scan: [{ args: [f32(8, 12)], fn: (x) => [lax.foriLoop(0, 3, (_i, c: Value) => lax.add(lax.mul(c, 0.5), lax.sin(c)), x)], note: "fori_loop" }],
  while: [{
    args: [f32(8, 12)],
    fn: (x) => [(lax.whileLoop(([k]: Value[]) => lax.lt(k, 3), ([k, c]: Value[]) => [lax.add(k, 1), lax.cos(c)], [Array.scalar(0, "int32", false), x]))[1]],
  }],
  cond: [{ args: [f32(), f32(8, 12), f32(8, 12)], fn: (p, x, y) => [lax.cond(lax.gt(p, 0), (a: Value, b: Value) => lax.add(a, b), (a: Value, b: Value) => lax.mul(a, b), x, y) as Value] }],
  iota: [{ args: [], params: { dtype: "int32", shape: [8, 12], dimension: 1, sharding: null } }],
  broadcast_in_dim: [
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { shape: [8, 4, 12], broadcast_dimensions: [0, 2], sharding: null } },
    { args: [{ shape: [8, 1], dtype: "float32" }], params: { shape: [8, 12], broadcast_dimensions: [0, 1], sharding: null }, note: "size-1 dim broadcast" },
  ],
  reshape: [
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { new_sizes: [8, 3, 4], dimensions: null, sharding: null } },
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { new_sizes: [96], dimensions: null, sharding: null }, note: "flatten" },
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { new_sizes: [12, 8], dimensions: null, sharding: null }, note: "regroup" },
  ],
  squeeze: [{ args: [{ shape: [8, 1, 12], dtype: "float32" }], params: { dimensions: [1] } }],
  slice: [
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { start_indices: [0, 2], limit_indices: [8, 10], strides: null } },
    { args: [{ shape: [8, 12], dtype: "float32" }], params: { start_indices: [1, 0], limit_indices: [7, 12], strides: [2, 1] }, note: "strided rows" },
  ],
};

const SCALE = 4;
const scaled = (c: BatchCase): BatchCase => ({ ...c, args: c.args.map((a) => ({ ...a, shape: a.shape.map((d) => d * SCALE) })) });

/** The cases of a primitive: the batching table's, scaled (or the shaped ones above). */
function casesOf(prim: string): BatchCase[] | null {
  if (prim in SHAPED) return SHAPED[prim];
  const cs = CASES[prim];
  return cs ? cs.filter((c) => !c.fn).map(scaled) : null;
}

interface Layout {
  readonly name: string;
  readonly mesh: () => sh.Mesh;
  readonly spec: sh.PartitionSpec;
}

let mesh4: sh.Mesh, mesh22: sh.Mesh;
const LAYOUTS: Layout[] = [
  { name: "x on dim 0 (4 devices)", mesh: () => mesh4, spec: sh.P("x") },
  { name: "x on dim 1", mesh: () => mesh4, spec: sh.P(null, "x") },
  { name: "a, b on dims 0, 1 (2x2 mesh)", mesh: () => mesh22, spec: sh.P("a", "b") },
  { name: "(a, b) on dim 0", mesh: () => mesh22, spec: sh.P(["a", "b"]) },
  { name: "b on dim 0, replicated over a", mesh: () => mesh22, spec: sh.P("b") },
  { name: "replicated", mesh: () => mesh22, spec: sh.P() },
];

/** The layout for an operand: the spec cut to its rank, or replicated where a dimension does not divide. */
function specFor(l: Layout, shape: readonly number[]): sh.PartitionSpec {
  const m = l.mesh();
  const entries = l.spec.entries.slice(0, shape.length);
  const ok = entries.every((e, i) => {
    const axes = e === null ? [] : typeof e === "string" ? [e] : (e as string[]);
    return shape[i] % axes.reduce((n, a) => n * m.axisSize(a), 1) === 0;
  });
  return ok ? new sh.PartitionSpec(...entries) : sh.P();
}

function compare(got: Value, want: Value, what: string): void {
  assert.ok(got instanceof Array, `${what}: not an array`);
  const w = want as Array;
  assert.deepEqual([...got.shape], [...w.shape], `${what}: shape`);
  assert.equal(got.dtype, w.dtype, `${what}: dtype`);
  const a = got.toNumbers(), b = w.toNumbers();
  const tol = isFloat(w.dtype) ? 1e-5 : 0;
  for (let i = 0; i < b.length; i++) {
    const ok = Number.isNaN(b[i]) ? Number.isNaN(a[i]) : a[i] === b[i] || Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i]));
    if (!ok) assert.fail(`${what}: element ${i} is ${a[i]}, unsharded gives ${b[i]}`);
  }
}

describe("sharding rules: every primitive with one, sharded vs unsharded", function () {
  this.timeout(600_000);
  before(() => {
    sh.setCpuDeviceCount(4);
    const devs = cpuDevices();
    mesh4 = sh.makeMesh([4], ["x"], { devices: devs });
    mesh22 = sh.makeMesh([2, 2], ["a", "b"], { devices: devs });
  });
  after(() => sh.setCpuDeviceCount(null));

  const withRule = primitiveNames().filter((p) => rulesOf(p).shard);

  it("has cases for every primitive with a sharding rule", () => {
    assert.ok(withRule.length > 80, `only ${withRule.length} primitives have sharding rules`);
    const missing = withRule.filter((p) => !casesOf(p)?.length);
    assert.deepEqual(missing, [], `primitives with a sharding rule but no case: ${missing.join(", ")}`);
  });

  let seed = 100;
  for (const prim of withRule) {
    const cases = casesOf(prim) ?? [];
    cases.forEach((c, ci) => {
      const s = seed++;
      it(`${prim}${c.note ? ` (${c.note})` : cases.length > 1 ? ` #${ci}` : ""}`, () => {
        const r = rng(s);
        const xs = c.args.map((a) => randomArray(a.shape, a.dtype, r, a.dom));
        const params = (c.params ?? {}) as Params;
        const apply = (...ys: Value[]): Value[] => (c.fn ? c.fn(...ys) : bind(prim, ys, params));
        const want = apply(...xs);
        const jitted = jit(apply);
        // With a rule, nothing is gathered to one device.
        const gathered: string[] = [];
        const stop = sh.onShardingLog((m) => gathered.push(m));
        for (const l of LAYOUTS) {
          const ys = xs.map((x) => sh.devicePut(x, new sh.NamedSharding(l.mesh(), specFor(l, x.shape))));
          const eager = apply(...ys);
          const staged = jitted(...ys) as Value[];
          want.forEach((w, k) => {
            compare(eager[k], w, `${l.name}: eager output ${k}`);
            compare(staged[k], w, `${l.name}: jit output ${k}`);
          });
          if (xs.length) assert.ok(eager[0] instanceof sh.ShardedArray, `${l.name}: the result is not sharded`);
        }
        stop();
        assert.deepEqual(gathered, []);
      });
    });
  }
});
