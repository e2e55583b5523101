/**
 * @file The WGSL renderer against the JavaScript renderer (js.ts is its specification): random
 * expression kernels over every dtype WebGPU holds, built from the ops both renderers compute
 * exactly (IEEE-rounded float32 arithmetic, integer wrapping, XLA's division/shift rules, casts
 * with saturation, NaN-propagating max/min, packed sub-word loads and stores), must agree bit for
 * bit; reductions in both WGSL modes (a loop per invocation, a workgroup per output) too.
 * Not compared: bit patterns of NaNs (JavaScript's depend on the CPU), float ops applied to one
 * value twice (see `operands`), and float products feeding sums (see FLOAT_BIN).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type DType, isFloat, isBool } from "../../kernel/ir/dtype.js";
import type { HostData } from "../../kernel/ir/rules.js";
import { type BinaryOp, type Exp, type Kernel, type ReduceOp, type UnaryOp, ExpKeys, binary, constant, gidx, load, reduce, ridx, unary, where, i32, mul, add } from "../../kernel/codegen/exp.js";
import { renderWgsl } from "../../kernel/codegen/wgsl.js";
import { cpuDevice, webgpuDevices } from "../../kernel/backend/device.js";
import { toTyped } from "../../kernel/backend/array.js";
import { rng, runKernel } from "./helpers.js";

const SPECIAL_F = [0, -0, 1, -1, 0.5, -2.5, 3, 1e-40, -1e30, 3.4e38, Infinity, -Infinity, NaN, 65504, 1e5, -7.25];
const INT_EDGES: Record<string, number[]> = {
  int32: [0, 1, -1, 2, 7, -8, 31, 32, 33, 2147483647, -2147483648, 65536, -3],
  uint32: [0, 1, 2, 7, 31, 32, 33, 4294967295, 2147483648, 65536, 3],
  int8: [0, 1, -1, 127, -128, 5, -7, 3],
  uint16: [0, 1, 65535, 32768, 255, 7, 3],
};

function hostValues(dtype: DType, n: number, r: () => number): HostData {
  const vals: number[] = [];
  for (let i = 0; i < n; i++) {
    if (isBool(dtype)) vals.push(r() < 0.5 ? 1 : 0);
    else if (isFloat(dtype)) vals.push(r() < 0.4 ? SPECIAL_F[Math.floor(r() * SPECIAL_F.length)] : (r() - 0.5) * 20);
    else {
      const edges = INT_EDGES[dtype];
      vals.push(r() < 0.5 ? edges[Math.floor(r() * edges.length)] : Math.floor((r() - 0.5) * 200));
    }
  }
  return toTyped(vals, dtype, n);
}

const INPUTS: DType[] = ["float32", "float32", "int32", "uint32", "bool", "int8", "uint16"];
const FLOAT_UN: UnaryOp[] = ["neg", "abs", "floor", "ceil", "round", "trunc", "sqrt", "sign"];
// No mul: Mesa contracts a·b + c into an fma (one rounding instead of two).
const FLOAT_BIN: BinaryOp[] = ["add", "sub", "div", "max", "min", "rem"];
const INT_UN: UnaryOp[] = ["neg", "abs", "sign", "not"];
const INT_BIN: BinaryOp[] = ["add", "sub", "mul", "div", "rem", "max", "min", "and", "or", "xor", "shl", "shr"];
const CMP: BinaryOp[] = ["eq", "ne", "lt", "le", "gt", "ge"];

const keys = new ExpKeys();

/**
 * Two different random operands. Mesa compiles shaders with inexact float math (NIR folds x - x
 * to 0 and x == x to true, even for inf and NaN), so float ops never see one value twice here.
 */
function operands(dtype: DType, gen: () => Exp): [Exp, Exp] {
  const a = gen();
  let b = gen();
  for (let i = 0; i < 20 && isFloat(dtype) && keys.key(a) === keys.key(b); i++) b = gen();
  return [a, b];
}

/** A random expression of `dtype` over the kernel's inputs (loaded at the output index). */
function randomExp(dtype: DType, depth: number, r: () => number): Exp {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const leaf = (): Exp => {
    const ins = INPUTS.map((d, i) => [d, i] as const).filter(([d]) => d === dtype);
    if (ins.length && r() < 0.8) return load(pick(ins)[1], dtype, gidx());
    if (isBool(dtype)) return constant(r() < 0.5 ? 1 : 0, dtype);
    return constant(isFloat(dtype) ? pick(SPECIAL_F) : pick(INT_EDGES[dtype] ?? [0, 1, 3]), dtype);
  };
  if (depth === 0 || r() < 0.2) return leaf();
  const sub = (d: DType = dtype) => randomExp(d, depth - 1, r);
  const k = r();
  if (k < 0.1) return where(sub("bool"), sub(), sub());
  if (isBool(dtype)) {
    if (k < 0.5) {
      const d = pick(["float32", "int32", "uint32", "int8", "uint16", "bool"] as DType[]);
      return binary(pick(CMP), ...operands(d, () => sub(d)));
    }
    if (k < 0.6) return unary(pick(["isnan", "isfinite"] as UnaryOp[]), sub("float32"));
    if (k < 0.7) return unary("not", sub());
    if (k < 0.8) return unary("cast", sub(pick(["float32", "int32", "int8"] as DType[])), "bool");
    return binary(pick(["and", "or", "xor", "max", "min"] as BinaryOp[]), sub(), sub());
  }
  if (k < 0.25) return unary("cast", sub(pick(["float32", "int32", "uint32", "bool", "int8", "uint16"] as DType[])), dtype);
  if (isFloat(dtype)) return k < 0.5 ? unary(pick(FLOAT_UN), sub()) : binary(pick(FLOAT_BIN), ...operands(dtype, () => sub()));
  if (k < 0.35 && (dtype === "int32" || dtype === "uint32")) return unary("bitcast", sub(dtype === "int32" ? "uint32" : "int32"), dtype);
  return k < 0.5 ? unary(pick(INT_UN), sub()) : binary(pick(INT_BIN), sub(), sub());
}

function assertSameBits(got: HostData, want: HostData, dtype: DType, msg: string): void {
  for (let i = 0; i < want.length; i++) {
    const a = Number(got[i]), b = Number(want[i]);
    if (isFloat(dtype) && Number.isNaN(a) && Number.isNaN(b)) continue;
    if (!Object.is(a, b)) assert.fail(`${msg}: element ${i}: WGSL ${a}, JS ${b}`);
  }
}

describe("WGSL renderer vs the JavaScript renderer", () => {
  const gpu = () => webgpuDevices()[0];
  const n = 301;

  it("has a WebGPU device to run on", () => assert.ok(gpu(), "no WebGPU adapter (is Mesa's lavapipe installed?)"));

  for (let seed = 1; seed <= 40; seed++) {
    it(`random elementwise kernel #${seed}`, () => {
      const r = rng(seed);
      const inputs = INPUTS.map((d) => hostValues(d, n, r));
      const outDtypes: DType[] = [["float32", "int32", "bool"], ["uint32", "int8", "float32"], ["uint16", "bool", "int32"]][seed % 3] as DType[];
      const k: Kernel = {
        name: `fuzz${seed}`,
        inputs: INPUTS.map((dtype) => ({ dtype, size: n })),
        outputs: outDtypes.map((dtype) => ({ dtype, exp: randomExp(dtype, 4, r) })),
        size: n,
        shape: [n],
      };
      const want = runKernel(cpuDevice(), k, inputs);
      const got = runKernel(gpu(), k, inputs);
      outDtypes.forEach((d, i) => assertSameBits(got[i], want[i], d, `output ${i} (${d})\n${renderWgsl(k, { f16: true }).source}`));
    });
  }

  const reductions: { op: ReduceOp; dtype: DType; outs: number; len: number }[] = [
    { op: "sum", dtype: "int32", outs: 37, len: 50 },
    { op: "max", dtype: "float32", outs: 5, len: 1000 },
    { op: "min", dtype: "int8", outs: 9, len: 777 },
    { op: "prod", dtype: "uint32", outs: 3, len: 300 },
    { op: "or", dtype: "bool", outs: 13, len: 600 },
    { op: "and", dtype: "bool", outs: 3000, len: 20 },
    { op: "sum", dtype: "uint16", outs: 6, len: 4097 },
    { op: "min", dtype: "float32", outs: 2, len: 100000 },
  ];
  for (const c of reductions) {
    const mode = renderWgsl(reduceKernel(c), { f16: true }).mode;
    it(`reduce_${c.op} of ${c.dtype}: ${c.outs} outputs × ${c.len} (${mode === "workgroup" ? "a workgroup per output" : "a loop per invocation"})`, () => {
      const k = reduceKernel(c);
      const inputs = [hostValues(c.dtype, c.outs * c.len, rng(c.len))];
      assertSameBits(runKernel(gpu(), k, inputs)[0], runKernel(cpuDevice(), k, inputs)[0], c.dtype, k.name);
    });
  }

  it("a float32 sum as a workgroup tree equals the serial sum of exactly representable terms", () => {
    // Integers below 2^24 sum exactly in float32 in any order.
    const k = reduceKernel({ op: "sum", dtype: "float32", outs: 4, len: 50000 });
    const data = Float32Array.from({ length: 200000 }, (_, i) => (i * 7919) % 256);
    assert.equal(renderWgsl(k, { f16: true }).mode, "workgroup");
    assertSameBits(runKernel(gpu(), k, [data])[0], runKernel(cpuDevice(), k, [data])[0], "float32", "sum");
  });

  it("a reduction inside an elementwise epilogue, with a nested reduction (row-wise softmax denominators)", () => {
    // out[g] = log(Σ_r exp(x[g,r] - max_r' x[g,r'])) over 3 rows of 700
    const rows = 3, len = 700;
    const x = (r: Exp) => load(0, "float32", add(mul(gidx(), i32(len)), r));
    const r1 = ridx(len), r2 = ridx(len);
    const mx = reduce("max", r2, x(r2));
    const body = unary("exp", binary("sub", x(r1), mx));
    const k: Kernel = { name: "lse", inputs: [{ dtype: "float32", size: rows * len }], outputs: [{ dtype: "float32", exp: unary("log", reduce("sum", r1, body)) }], size: rows, shape: [rows] };
    const data = Float32Array.from({ length: rows * len }, (_, i) => Math.sin(i) * 3);
    const got = runKernel(gpu(), k, [data])[0];
    const want = runKernel(cpuDevice(), k, [data])[0];
    for (let i = 0; i < rows; i++) assert.ok(Math.abs(Number(got[i]) - Number(want[i])) < 1e-5, `row ${i}: ${got[i]} vs ${want[i]}`);
  });
});

function reduceKernel(c: { op: ReduceOp; dtype: DType; outs: number; len: number }): Kernel {
  const r = ridx(c.len);
  const body = load(0, c.dtype, add(mul(gidx(), i32(c.len)), r));
  return { name: `reduce_${c.op}`, inputs: [{ dtype: c.dtype, size: c.outs * c.len }], outputs: [{ dtype: c.dtype, exp: reduce(c.op, r, body) }], size: c.outs, shape: [c.outs] };
}
