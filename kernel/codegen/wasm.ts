/**
 * @file The WebAssembly SIMD renderer for hot CPU kernels: float32 elementwise kernels (every
 * load at the output position, or a scalar) become a loop over f32x4 vectors. The kernel's
 * memory holds one block of each input and output; the driver copies blocks in and out (the
 * blocks stay in cache, so the copies cost little next to the math). Kernels outside this subset
 * return null and are rendered as JavaScript.
 */

import { ExpKeys, type Exp, type Kernel } from "./exp.js";
import { FnBuilder, moduleBytes, type SimdOp } from "./wasmasm.js";
import { expF32, logF32, logisticF32, sinCosF32, tanhF32 } from "./wasmmath.js";

/** Elements per block: small enough that all blocks of a kernel stay in L1/L2. */
const BLOCK = 4096;

export interface WasmKernel {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** Per kernel input: read as a scalar (size 1) or block by block. */
  readonly scalar: readonly boolean[];
  readonly numOutputs: number;
}

const F32_UNARY: Partial<Record<string, SimdOp>> = {
  neg: "f32x4.neg", abs: "f32x4.abs", sqrt: "f32x4.sqrt", floor: "f32x4.floor", ceil: "f32x4.ceil", trunc: "f32x4.trunc", round: "f32x4.nearest",
};
const F32_BINARY: Partial<Record<string, SimdOp>> = {
  add: "f32x4.add", sub: "f32x4.sub", mul: "f32x4.mul", div: "f32x4.div", max: "f32x4.max", min: "f32x4.min",
  eq: "f32x4.eq", ne: "f32x4.ne", lt: "f32x4.lt", le: "f32x4.le", gt: "f32x4.gt", ge: "f32x4.ge",
};
const MASK_BINARY: Partial<Record<string, SimdOp>> = {
  and: "v128.and", min: "v128.and", mul: "v128.and", or: "v128.or", max: "v128.or", add: "v128.or", xor: "v128.xor", ne: "v128.xor",
};
/** JavaScript functions the kernels import (float64 → float64), by function index. */
const IMPORTS = ["sin", "cos"] as const;
const EXACT = { sin: IMPORTS.indexOf("sin"), cos: IMPORTS.indexOf("cos") };
const MATH: Partial<Record<string, (f: FnBuilder, x: number) => number>> = {
  exp: expF32, log: logF32, tanh: tanhF32, logistic: logisticF32,
  sin: (f, x) => sinCosF32(f, x, ["sin"], EXACT).sin, cos: (f, x) => sinCosF32(f, x, ["cos"], EXACT).cos,
};

/** Whether a node can be computed on f32x4 lanes (bools as lane masks). */
function supported(e: Exp, k: Kernel): boolean {
  const t = e.dtype;
  switch (e.kind) {
    case "const": return t === "float32" || t === "bool";
    case "load": {
      const idx = e.args[0];
      return t === "float32" && (idx.kind === "gidx" || (idx.kind === "const" && k.inputs[e.input].size === 1));
    }
    case "unary": {
      const a = e.args[0];
      if (e.op === "cast") return t === "float32" && (a.dtype === "float32" || a.dtype === "bool");
      if (e.op === "isnan" || e.op === "isfinite") return a.dtype === "float32";
      if (e.op === "not") return t === "bool";
      if (e.op === "recip" || e.op === "rsqrt") return t === "float32";
      return t === "float32" && (e.op in F32_UNARY || e.op in MATH);
    }
    case "binary": {
      const a = e.args[0].dtype;
      if (a === "bool") return t === "bool" && e.op in MASK_BINARY;
      return a === "float32" && e.op in F32_BINARY;
    }
    case "where": return t === "float32" || t === "bool";
    default: return false;
  }
}

/** Compiles a kernel to WebAssembly SIMD, or returns null when it is outside the supported subset. */
export function compileWasm(k: Kernel): WasmKernel | null {
  if (k.outputs.some((o) => o.dtype !== "float32") || k.inputs.some((i) => i.dtype !== "float32")) return null;
  const keys = new ExpKeys();
  const order: Exp[] = [];
  const seen = new Map<string, Exp>();
  let ok = true;
  // Post-order over distinct nodes; a load's index is not a value of its own.
  const visit = (e: Exp): void => {
    const key = keys.key(e);
    if (seen.has(key)) return;
    seen.set(key, e);
    if (!supported(e, k)) ok = false;
    if (e.kind !== "load" && "args" in e) for (const a of e.args) visit(a);
    order.push(e);
  };
  for (const o of k.outputs) visit(o.exp);
  if (!ok) return null;

  const scalar = k.inputs.map((i) => i.size === 1);
  const vectorInputs = k.inputs.map((_, i) => i).filter((i) => !scalar[i]);
  const offsets = new Map<number, number>();
  vectorInputs.forEach((i, j) => offsets.set(i, j * BLOCK * 4));
  const outBase = vectorInputs.length * BLOCK * 4;
  const scalarBase = outBase + k.outputs.length * BLOCK * 4;
  const bytes = scalarBase + 16 * k.inputs.length;

  // sin(x)/cos(x) pairs: the first emitted computes both; the second picks up its twin's result.
  const twinUsed = new Set<string>();
  for (const e of order) if (e.kind === "unary" && (e.op === "sin" || e.op === "cos")) twinUsed.add(`${e.op}(${keys.key(e.args[0])})`);
  const pending = new Map<string, number>();
  const f = new FnBuilder(1, 2);
  const n = 0, i = f.i32Local(0), end = f.i32Local(1);
  const local = new Map<string, number>();
  const variant = new Set<string>();
  const arg = (e: Exp): number => local.get(keys.key(e))!;

  const emitNode = (e: Exp): void => {
    const key = keys.key(e);
    let out = f.v128();
    switch (e.kind) {
      case "const":
        if (e.dtype === "bool") f.i32x4(e.value ? -1 : 0);
        else f.f32x4(e.value);
        break;
      case "load":
        if (scalar[e.input]) f.i32(0).f32load(scalarBase + 16 * e.input).simd("f32x4.splat");
        else f.get(i).mem("v128.load", offsets.get(e.input)!);
        break;
      case "unary": {
        const a = arg(e.args[0]);
        // sin and cos of one argument share their range reduction.
        const twin = e.op === "sin" ? "cos" : e.op === "cos" ? "sin" : null;
        if (twin && twinUsed.has(`${twin}(${keys.key(e.args[0])})`)) {
          const both = sinCosF32(f, a, ["sin", "cos"], EXACT);
          local.set(key, both[e.op as "sin" | "cos"]);
          pending.set(`${twin}(${keys.key(e.args[0])})`, both[twin]);
          return;
        }
        const shared = pending.get(`${e.op}(${keys.key(e.args[0])})`);
        if (shared !== undefined) {
          local.set(key, shared);
          return;
        }
        const math = MATH[e.op];
        if (math) {
          out = math(f, a);
          local.set(key, out);
          return;
        }
        if (e.op === "cast") {
          f.get(a);
          if (e.args[0].dtype === "bool") f.f32x4(1).simd("v128.and");
        } else if (e.op === "not") f.get(a).simd("v128.not");
        else if (e.op === "isnan") f.get(a).get(a).simd("f32x4.ne");
        else if (e.op === "isfinite") f.get(a).simd("f32x4.abs").f32x4(Infinity).simd("f32x4.lt");
        else if (e.op === "recip") f.f32x4(1).get(a).simd("f32x4.div");
        else if (e.op === "rsqrt") f.f32x4(1).get(a).simd("f32x4.sqrt").simd("f32x4.div");
        else f.get(a).simd(F32_UNARY[e.op]!);
        break;
      }
      case "binary": {
        const table = e.args[0].dtype === "bool" ? MASK_BINARY : F32_BINARY;
        f.get(arg(e.args[0])).get(arg(e.args[1])).simd(table[e.op]!);
        break;
      }
      case "where":
        f.get(arg(e.args[1])).get(arg(e.args[2])).get(arg(e.args[0])).simd("v128.bitselect");
        break;
      default:
        throw new Error(`wasm: unexpected ${e.kind}`);
    }
    f.set(out);
    local.set(key, out);
  };

  // Values that read no block are computed once, before the loop.
  for (const e of order) {
    const isVariant = (e.kind === "load" && !scalar[e.input]) || ("args" in e && e.kind !== "load" && e.args.some((a) => variant.has(keys.key(a))));
    if (isVariant) variant.add(keys.key(e));
    else emitNode(e);
  }
  f.i32(0).set(i);
  f.get(n).i32(2).op("i32.shl").set(end);
  f.raw(0x02, 0x40, 0x03, 0x40);
  for (const e of order) if (variant.has(keys.key(e))) emitNode(e);
  k.outputs.forEach((o, j) => f.get(i).get(arg(o.exp)).mem("v128.store", outBase + j * BLOCK * 4));
  f.get(i).i32(16).op("i32.add").tee(i).get(end).op("i32.lt_s").raw(0x0d, 0x00);
  f.raw(0x0b, 0x0b);
  return { bytes: moduleBytes(f, "kernel", Math.ceil(bytes / 65536), IMPORTS), scalar, numOutputs: k.outputs.length };
}

type Typed = Float32Array;

/**
 * The JavaScript driver of a compiled WebAssembly kernel, with the CPU kernels' signature:
 * `(ins, outs, start, end)` over flat element positions.
 */
export function wasmDriver(w: WasmKernel): (ins: Typed[], outs: Typed[], start: number, end: number) => void {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(w.bytes), { m: { sin: Math.sin, cos: Math.cos } });
  const kernel = inst.exports.kernel as (n: number) => void;
  const mem = new Float32Array((inst.exports.mem as WebAssembly.Memory).buffer);
  const vec: number[] = [];
  w.scalar.forEach((s, i) => (s ? null : vec.push(i)));
  const outBase = vec.length * BLOCK;
  const scalarBase = outBase + w.numOutputs * BLOCK;
  return (ins, outs, start, end) => {
    w.scalar.forEach((s, i) => (s ? (mem[scalarBase + 4 * i] = ins[i][0]) : null));
    for (let s = start; s < end; s += BLOCK) {
      const len = Math.min(BLOCK, end - s);
      for (let j = 0; j < vec.length; j++) mem.set(ins[vec[j]].subarray(s, s + len), j * BLOCK);
      kernel((len + 3) >> 2 << 2);
      for (let j = 0; j < outs.length; j++) outs[j].set(mem.subarray(outBase + j * BLOCK, outBase + j * BLOCK + len), s);
    }
  };
}
