/**
 * @file The WGSL renderer (WebGPU): a kernel becomes one compute shader, one invocation per
 * output element (or per 2 or 4 elements when an output is packed), 256-invocation workgroups
 * folded into a 2-D grid beyond 65535 of them. It mirrors js.ts — op tables, a type map, and an
 * emitter placing each node in the loop that binds its variables — and js.ts is its spec:
 * float16/bfloat16 compute in f32 rounded after every op, integers narrower than 32 bits compute
 * in i32/u32 and wrap, XLA's integer division and shifts.
 *
 * Storage is byte-identical to the host's layout, so buffers are copied without conversion:
 * 4-byte types are `array<f32|i32|u32>`; float16 is `array<f16>` when the device has
 * `shader-f16`; other sub-word types (bool, int8/16, uint8/16, bfloat16, float16 otherwise) are
 * packed into `array<u32>`, and an invocation writes whole words.
 *
 * A kernel with few outputs whose values are reductions runs one workgroup per output: each
 * group of 8 invocations sums a contiguous block, and the 256 partial results are combined in
 * workgroup memory.
 */

import { type DType, ITEMSIZE, isFloat, isInt, isUnsignedInt, isBool } from "../ir/dtype.js";
import { type BinaryOp, type Exp, type Kernel, type ReduceOp, type UnaryOp, ExpKeys } from "./exp.js";
import { helperSource } from "./wgslmath.js";
import { H } from "./jsmath.js";

type Code = string;

export const WORKGROUP_SIZE = 256;

export interface WgslOptions {
  /** The device has `shader-f16`: float16 arrays are stored as `array<f16>`. */
  readonly f16: boolean;
  /**
   * The most bytes one binding may cover (maxStorageBufferBindingSize rounded down to 256): a
   * larger array is bound as several consecutive ranges of its buffer (see `bindingRanges`).
   */
  readonly maxBindingBytes?: number;
}

/** The byte ranges an array of `bytes` is bound as: one, or consecutive chunks of `chunk` bytes. */
export function bindingRanges(bytes: number, chunk = Infinity): { offset: number; size: number }[] {
  const padded = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (padded <= chunk) return [{ offset: 0, size: padded }];
  const out: { offset: number; size: number }[] = [];
  for (let offset = 0; offset < padded; offset += chunk) out.push({ offset, size: Math.min(chunk, padded - offset) });
  return out;
}

export interface WgslKernel {
  readonly name: string;
  readonly source: string;
  /** Workgroups to launch (the backend folds them into a 2-D grid). */
  readonly workgroups: number;
  /** "thread": one invocation per 1, 2 or 4 outputs; "workgroup": one workgroup per output group. */
  readonly mode: "thread" | "workgroup";
}

/** Kernels with at most this many outputs whose reductions are long use a workgroup per output. */
const WORKGROUP_MODE_MAX_OUTPUTS = 2048;
const WORKGROUP_MODE_MIN_REDUCE = 256;

/** The WGSL type a value of `dtype` computes in. */
function ty(dtype: DType): string {
  if (isBool(dtype)) return "bool";
  if (isFloat(dtype)) return "f32";
  return isUnsignedInt(dtype) ? "u32" : "i32";
}

/** dtypes WebGPU cannot hold: a clear error that names the dtype and the way out. */
export function checkWgslDType(dtype: DType, kernel: string): void {
  if (dtype === "float64" || dtype === "int64" || dtype === "uint64") {
    throw new TypeError(`WebGPU does not support ${dtype} (in kernel ${kernel}): WGSL has no 64-bit types. Run on the CPU backend (device_put the arrays to jax.devices("cpu")[0]) or disable jax_enable_x64.`);
  }
}

type Storage = "f32" | "i32" | "u32" | "f16" | "packed";

function storageOf(dtype: DType, opts: WgslOptions): Storage {
  if (dtype === "float16" && opts.f16) return "f16";
  if (ITEMSIZE[dtype] < 4) return "packed";
  return ty(dtype) as Storage;
}

// ---- constants, rounding, bits ----------------------------------------------------------------

class Emitter {
  readonly helpers = new Set<string>();
  use(name: string): void {
    this.helpers.add(name);
  }
  call(name: string, ...args: Code[]): Code {
    this.use(name);
    return `${name}(${args.join(", ")})`;
  }
}

function floatConst(v: number, em: Emitter): Code {
  if (Number.isNaN(v)) return em.call("f32_bits", "0x7fc00000u");
  if (v === Infinity) return em.call("f32_bits", "0x7f800000u");
  if (v === -Infinity) return em.call("f32_bits", "0xff800000u");
  if (Object.is(v, -0)) return em.call("f32_bits", "0x80000000u");
  const s = String(Math.fround(v));
  const lit = /[.e]/.test(s) ? s : `${s}.0`;
  return v < 0 ? `(${lit})` : lit;
}

function constCode(v: number, dtype: DType, em: Emitter): Code {
  if (isBool(dtype)) return v ? "true" : "false";
  if (isFloat(dtype)) return floatConst(dtype === "float16" ? H.round_float16(v) : dtype === "bfloat16" ? H.round_bfloat16(v) : v, em);
  if (isUnsignedInt(dtype)) return `${v >>> 0}u`;
  return v === -2147483648 ? "i32(-2147483648)" : v < 0 ? `(${v | 0})` : `${v | 0}`;
}

/** Rounds a computed value to the storage semantics of `dtype` (js.ts's roundTo). */
function roundTo(dtype: DType, e: Code, em: Emitter): Code {
  switch (dtype) {
    case "float16": return em.call("round_f16", e);
    case "bfloat16": return em.call("round_bf16", e);
    case "int8": return `((${e} << 24u) >> 24u)`;
    case "int16": return `((${e} << 16u) >> 16u)`;
    case "uint8": return `(${e} & 0xffu)`;
    case "uint16": return `(${e} & 0xffffu)`;
    default: return e;
  }
}

/** The raw storage bits (in the low bits of a u32) of a value of `dtype`. */
function toBits(dtype: DType, v: Code, em: Emitter): Code {
  switch (dtype) {
    case "float32": case "int32": return `bitcast<u32>(${v})`;
    case "uint32": return v;
    case "float16": return em.call("f32_to_f16", v);
    case "bfloat16": return em.call("f32_to_bf16", v);
    case "int16": return `(bitcast<u32>(${v}) & 0xffffu)`;
    case "uint16": return `(${v} & 0xffffu)`;
    case "int8": return `(bitcast<u32>(${v}) & 0xffu)`;
    case "uint8": return `(${v} & 0xffu)`;
    case "bool": return `select(0u, 1u, ${v})`;
    default: throw new TypeError(`no WGSL storage for ${dtype}`);
  }
}

/** The value of `dtype` whose storage bits are the low bits of the u32 `b`. */
function fromBits(dtype: DType, b: Code, em: Emitter): Code {
  switch (dtype) {
    case "float32": return `bitcast<f32>(${b})`;
    case "int32": return `bitcast<i32>(${b})`;
    case "uint32": case "uint16": case "uint8": return b;
    case "float16": return em.call("f16_to_f32", b);
    case "bfloat16": return `bitcast<f32>(${b} << 16u)`;
    case "int16": return `(bitcast<i32>(${b} << 16u) >> 16u)`;
    case "int8": return `(bitcast<i32>(${b} << 24u) >> 24u)`;
    case "bool": return `(${b} != 0u)`;
    default: throw new TypeError(`no WGSL storage for ${dtype}`);
  }
}

// ---- op tables ----------------------------------------------------------------------------------

type Un = (a: Code, em: Emitter) => Code;
type Bin = (a: Code, b: Code, em: Emitter) => Code;
const fn1 = (name: string): Un => (a, em) => em.call(name, a);
const fn2 = (name: string): Bin => (a, b, em) => em.call(name, a, b);

const FLOAT_UNARY: Partial<Record<UnaryOp, Un>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `abs(${a})`,
  sign: fn1("fsign"),
  floor: (a) => `floor(${a})`,
  ceil: (a) => `ceil(${a})`,
  round: (a) => `round(${a})`,
  trunc: (a) => `trunc(${a})`,
  exp: fn1("exp_"),
  exp2: fn1("exp2_"),
  log: fn1("log_"),
  log1p: fn1("log1p_"),
  expm1: fn1("expm1_"),
  sqrt: (a) => `sqrt(${a})`,
  rsqrt: (a) => `(1.0 / sqrt(${a}))`,
  cbrt: fn1("cbrt_"),
  sin: fn1("sin_"),
  cos: fn1("cos_"),
  tan: fn1("tan_"),
  asin: fn1("asin_"),
  acos: fn1("acos_"),
  atan: fn1("atan_"),
  sinh: fn1("sinh_"),
  cosh: fn1("cosh_"),
  tanh: fn1("tanh_"),
  asinh: fn1("asinh_"),
  acosh: fn1("acosh_"),
  atanh: fn1("atanh_"),
  erf: fn1("erf_"),
  erfc: fn1("erfc_"),
  erfinv: fn1("erfinv_"),
  lgamma: fn1("lgamma_"),
  digamma: fn1("digamma_"),
  logistic: fn1("logistic_"),
  recip: (a) => `(1.0 / ${a})`,
};

const INT_UNARY: Partial<Record<UnaryOp, Un>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `abs(${a})`,
  sign: (a) => `sign(${a})`,
  not: (a) => `(~${a})`,
};

const UINT_UNARY: Partial<Record<UnaryOp, Un>> = {
  neg: (a) => `(0u - ${a})`,
  abs: (a) => a,
  sign: (a) => `min(${a}, 1u)`,
  not: (a) => `(~${a})`,
};

const FLOAT_BINARY: Partial<Record<BinaryOp, Bin>> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  rem: fn2("frem"),
  pow: fn2("pow_"),
  max: fn2("fmax"),
  min: fn2("fmin"),
  atan2: fn2("atan2_"),
  nextafter: fn2("nextafter_"),
};

const INT_BINARY: Partial<Record<BinaryOp, Bin>> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: fn2("idiv"),
  rem: fn2("irem"),
  max: (a, b) => `max(${a}, ${b})`,
  min: (a, b) => `min(${a}, ${b})`,
  and: (a, b) => `(${a} & ${b})`,
  or: (a, b) => `(${a} | ${b})`,
  xor: (a, b) => `(${a} ^ ${b})`,
  shl: fn2("shl_i"),
  shr: fn2("shr_i"),
};

const UINT_BINARY: Partial<Record<BinaryOp, Bin>> = {
  ...INT_BINARY,
  div: fn2("udiv"),
  rem: fn2("urem"),
  shl: fn2("shl_u"),
  shr: fn2("shr_u"),
};

const BOOL_BINARY: Partial<Record<BinaryOp, Bin>> = {
  and: (a, b) => `(${a} & ${b})`,
  min: (a, b) => `(${a} & ${b})`,
  mul: (a, b) => `(${a} & ${b})`,
  or: (a, b) => `(${a} | ${b})`,
  max: (a, b) => `(${a} | ${b})`,
  add: (a, b) => `(${a} | ${b})`,
  xor: (a, b) => `(${a} != ${b})`,
};

// Comparisons. Float `!=` must be written `!(a == b)`: llvmpipe compiles `!=` as an ordered
// compare, false for NaN. Bools order false < true.
const CMP: Partial<Record<BinaryOp, { num: Bin; bool: Bin }>> = {
  eq: { num: (a, b) => `(${a} == ${b})`, bool: (a, b) => `(${a} == ${b})` },
  ne: { num: (a, b) => `(!(${a} == ${b}))`, bool: (a, b) => `(${a} != ${b})` },
  lt: { num: (a, b) => `(${a} < ${b})`, bool: (a, b) => `(!${a} & ${b})` },
  le: { num: (a, b) => `(${a} <= ${b})`, bool: (a, b) => `(!${a} | ${b})` },
  gt: { num: (a, b) => `(${a} > ${b})`, bool: (a, b) => `(${a} & !${b})` },
  ge: { num: (a, b) => `(${a} >= ${b})`, bool: (a, b) => `(${a} | !${b})` },
};

function renderUnary(op: UnaryOp, dtype: DType, src: Exp, a: Code, em: Emitter): Code {
  if (op === "cast") return castTo(src.dtype, dtype, a, em);
  if (op === "bitcast") {
    if (ITEMSIZE[src.dtype] !== ITEMSIZE[dtype]) throw new TypeError(`bitcast from ${src.dtype} to ${dtype} changes the size`);
    return fromBits(dtype, toBits(src.dtype, a, em), em);
  }
  if (op === "isfinite") return isFloat(src.dtype) ? em.call("is_finite", a) : "true";
  if (op === "isnan") return isFloat(src.dtype) ? em.call("is_nan", a) : "false";
  if (isBool(dtype)) {
    if (op === "not") return `(!${a})`;
    throw new Error(`unary ${op} on bool`);
  }
  const table = isFloat(dtype) ? FLOAT_UNARY : isUnsignedInt(dtype) ? UINT_UNARY : INT_UNARY;
  const f = table[op];
  if (!f) throw new Error(`unary ${op} is not defined for ${dtype}`);
  return roundTo(dtype, f(a, em), em);
}

function castTo(from: DType, to: DType, a: Code, em: Emitter): Code {
  if (from === to) return a;
  if (isBool(to)) return isFloat(from) ? `(!(${a} == 0.0))` : isBool(from) ? a : `(${a} != ${ty(from)}(0))`;
  if (isBool(from)) return `select(${ty(to)}(0), ${ty(to)}(1), ${a})`;
  if (isFloat(to)) return roundTo(to, isFloat(from) ? a : `f32(${a})`, em);
  if (isFloat(from)) {
    if (to === "int32") return em.call("f2i_i32", a);
    if (to === "uint32") return em.call("f2i_u32", a);
    const [lo, hi] = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535] }[to as "int8"];
    const i = em.call("f2i_small", a, `${lo}.0`, `${hi}.0`);
    return isUnsignedInt(to) ? `u32(${i})` : i;
  }
  // Integer to integer: reinterpret the 32-bit pattern, then wrap to the target width.
  const v = ty(from) === ty(to) ? a : `bitcast<${ty(to)}>(${a})`;
  return roundTo(to, v, em);
}

function renderBinary(op: BinaryOp, dtype: DType, x: Exp, a: Code, b: Code, em: Emitter): Code {
  const cmp = CMP[op];
  if (cmp) return isBool(x.dtype) ? cmp.bool(a, b, em) : cmp.num(a, b, em);
  if (op === "nextafter" && (dtype === "float16" || dtype === "bfloat16")) return em.call(dtype === "float16" ? "nextafter_f16" : "nextafter_bf16", a, b);
  const table = isBool(dtype) ? BOOL_BINARY : isFloat(dtype) ? FLOAT_BINARY : isUnsignedInt(dtype) ? UINT_BINARY : INT_BINARY;
  const f = table[op];
  if (!f || (isInt(dtype) && !isInt(x.dtype))) throw new Error(`binary ${op} is not defined for ${dtype}`);
  return isBool(dtype) ? f(a, b, em) : roundTo(dtype, f(a, b, em), em);
}

function reduceInit(op: ReduceOp, d: DType, em: Emitter): Code {
  const bounds: Partial<Record<DType, [number, number]>> = {
    int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
    uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
  };
  switch (op) {
    case "sum": return isBool(d) ? "false" : constCode(0, d, em);
    case "prod": return isBool(d) ? "true" : constCode(1, d, em);
    case "max": return isBool(d) ? "false" : isFloat(d) ? floatConst(-Infinity, em) : constCode(bounds[d]![0], d, em);
    case "min": return isBool(d) ? "true" : isFloat(d) ? floatConst(Infinity, em) : constCode(bounds[d]![1], d, em);
    case "and": return isBool(d) ? "true" : isUnsignedInt(d) ? constCode(2 ** (8 * ITEMSIZE[d]) - 1, d, em) : "-1";
    case "or": return isBool(d) ? "false" : constCode(0, d, em);
  }
}

function reduceStep(op: ReduceOp, d: DType, acc: Code, x: Code, em: Emitter): Code {
  if (isBool(d)) return op === "sum" || op === "max" || op === "or" ? `(${acc} | ${x})` : `(${acc} & ${x})`;
  switch (op) {
    case "sum": return roundTo(d, `(${acc} + ${x})`, em);
    case "prod": return roundTo(d, `(${acc} * ${x})`, em);
    case "max": return isFloat(d) ? em.call("fmax", acc, x) : `max(${acc}, ${x})`;
    case "min": return isFloat(d) ? em.call("fmin", acc, x) : `min(${acc}, ${x})`;
    case "and": return `(${acc} & ${x})`;
    case "or": return `(${acc} | ${x})`;
  }
}

// ---- scheduling ---------------------------------------------------------------------------------

interface Scope {
  readonly ridx: number | null;
  readonly parent: Scope | null;
  readonly lines: string[];
  /** Structural key → the variable holding that value in this scope. */
  readonly memo: Map<string, Code>;
  readonly indent: string;
}

/** The reduction loop variables an expression depends on, memoized over the DAG. */
function freeVars(): (e: Exp) => Set<number> {
  const memo = new Map<Exp, Set<number>>();
  const f = (e: Exp): Set<number> => {
    let s = memo.get(e);
    if (s) return s;
    s = new Set<number>();
    if (e.kind === "ridx") s.add(e.id);
    else if (e.kind !== "const" && e.kind !== "gidx") {
      for (const a of e.args) for (const r of f(a)) s.add(r);
      if (e.kind === "reduce" && e.ridx.kind === "ridx") s.delete(e.ridx.id);
    }
    memo.set(e, s);
    return s;
  };
  return f;
}

/** Does the output expression contain a long reduction outside every other reduction? */
function rootReduceSize(outputs: readonly Exp[]): number {
  let best = 0;
  const seen = new Set<Exp>();
  const walk = (e: Exp): void => {
    if (seen.has(e)) return;
    seen.add(e);
    if (e.kind === "reduce") {
      if (e.ridx.kind === "ridx") best = Math.max(best, e.ridx.size);
      return;
    }
    if (e.kind !== "const" && e.kind !== "gidx" && e.kind !== "ridx") e.args.forEach(walk);
  };
  outputs.forEach(walk);
  return best;
}

// ---- the kernel ---------------------------------------------------------------------------------

/** Renders a kernel to a WGSL compute shader. */
export function renderWgsl(k: Kernel, opts: WgslOptions): WgslKernel {
  for (const a of [...k.inputs, ...k.outputs]) checkWgslDType(a.dtype, k.name);
  const em = new Emitter();
  const inStorage = k.inputs.map((i) => storageOf(i.dtype, opts));
  const outStorage = k.outputs.map((o) => storageOf(o.dtype, opts));
  // Elements per invocation: whole u32 words of every packed output.
  const per = Math.max(1, ...k.outputs.map((o, i) => (outStorage[i] === "packed" ? 4 / ITEMSIZE[o.dtype] : 1)));
  const wgMode = k.size <= WORKGROUP_MODE_MAX_OUTPUTS && rootReduceSize(k.outputs.map((o) => o.exp)) >= WORKGROUP_MODE_MIN_REDUCE;
  const groups = Math.ceil(k.size / per);

  // Each array is one binding, or several (`name_0`, `name_1`, …) past maxBindingBytes, read
  // and written through accessors that pick the chunk.
  const decls: string[] = [];
  let binding = 0;
  const chunkBytes = opts.maxBindingBytes ?? Infinity;
  const declare = (name: string, access: "read" | "read_write", elem: string, bytes: number): { read: (j: Code) => Code; write: (j: Code, v: Code) => string } => {
    const ranges = bindingRanges(bytes, chunkBytes);
    const names = ranges.length === 1 ? [name] : ranges.map((_, c) => `${name}_${c}`);
    for (const n of names) decls.push(`@group(0) @binding(${binding++}) var<storage, ${access}> ${n}: array<${elem}>;`);
    if (names.length === 1) return { read: (j) => `${name}[${j}]`, write: (j, v) => `${name}[${j}] = ${v};` };
    // Elements of the storage type per chunk, and the chunk of element j as an if-chain.
    const per = chunkBytes / (elem === "f16" ? 2 : 4);
    const chain = (body: (n: string) => string): string => names.map((n, c) => (c < names.length - 1 ? `if (c == ${c}u) { ${body(n)} } else ` : `{ ${body(n)} }`)).join("");
    decls.push(`fn rd_${name}(j: u32) -> ${elem} { let c = j / ${per}u; let l = j - c * ${per}u; ${chain((n) => `return ${n}[l];`)} }`);
    if (access === "read_write") decls.push(`fn wr_${name}(j: u32, v: ${elem}) { let c = j / ${per}u; let l = j - c * ${per}u; ${chain((n) => `${n}[l] = v;`)} }`);
    return { read: (j) => `rd_${name}(u32(${j}))`, write: (j, v) => `wr_${name}(u32(${j}), ${v});` };
  };
  const storageElem = (st: Storage): string => (st === "packed" ? "u32" : st);
  const ins = k.inputs.map((inp, i) => {
    const st = inStorage[i];
    const arr = declare(`in${i}`, "read", storageElem(st), inp.size * ITEMSIZE[inp.dtype]);
    if (st === "packed") {
      const sz = ITEMSIZE[inp.dtype];
      const word = sz === 1 ? "u >> 2u" : "u >> 1u";
      const shift = sz === 1 ? "(u & 3u) * 8u" : "(u & 1u) * 16u";
      const mask = sz === 1 ? "0xffu" : "0xffffu";
      decls.push(`fn ld${i}(i: i32) -> ${ty(inp.dtype)} { let u = u32(i); return ${fromBits(inp.dtype, `((${arr.read(word)} >> (${shift})) & ${mask})`, em)}; }`);
    }
    return arr;
  });
  const outs = k.outputs.map((o, i) => declare(`out${i}`, "read_write", storageElem(outStorage[i]), k.size * ITEMSIZE[o.dtype]));

  const loadCode = (input: number, i: Code): Code => {
    switch (inStorage[input]) {
      case "packed": return `ld${input}(${i})`;
      case "f16": return `f32(${ins[input].read(i)})`;
      default: return ins[input].read(i);
    }
  };

  // ---- the body, one output element at index `g` ----
  let tmp = 0;
  const keys = new ExpKeys();
  const freeOf = freeVars();
  const wgTypes = new Set<string>();
  const baseIndent = per > 1 ? "    " : "  ";
  const root: Scope = { ridx: null, parent: null, lines: [], memo: new Map(), indent: baseIndent };

  const emit = (e: Exp, scope: Scope): Code => {
    if (e.kind === "const") return constCode(e.value, e.dtype, em);
    if (e.kind === "gidx") return "g";
    if (e.kind === "ridx") return `r${e.id}`;
    const fv = freeOf(e);
    let target = scope;
    while (target.parent && !(target.ridx !== null && fv.has(target.ridx))) target = target.parent;
    const key = keys.key(e);
    for (let s: Scope | null = target; s; s = s.parent) {
      const got = s.memo.get(key);
      if (got) return got;
    }
    let code: Code;
    switch (e.kind) {
      case "load": code = loadCode(e.input, emit(e.args[0], target)); break;
      case "unary": code = renderUnary(e.op, e.dtype, e.args[0], emit(e.args[0], target), em); break;
      case "binary": code = renderBinary(e.op, e.dtype, e.args[0], emit(e.args[0], target), emit(e.args[1], target), em); break;
      case "where": code = `select(${emit(e.args[2], target)}, ${emit(e.args[1], target)}, ${emit(e.args[0], target)})`; break;
      case "reduce": {
        if (e.ridx.kind !== "ridx") throw new Error("reduce over a non-loop index");
        const acc = `acc${tmp++}`;
        const r = e.ridx;
        const t = ty(e.dtype);
        const parallel = wgMode && target === root;
        target.lines.push(`${target.indent}var ${acc}: ${t} = ${reduceInit(e.op, e.dtype, em)};`);
        const inner: Scope = { ridx: r.id, parent: target, lines: [], memo: new Map(), indent: target.indent + "  " };
        const body = emit(e.args[0], inner);
        if (parallel) {
          // Each group of 8 invocations (a SIMD row on CPU drivers, a sector on GPUs) sums one
          // contiguous block, 8 consecutive elements at a time: llvmpipe runs the rows one after
          // another, and a stride of 256 would make each row sweep the whole array.
          const block = Math.ceil(r.size / (WORKGROUP_SIZE / 8) / 8) * 8;
          target.lines.push(`${target.indent}let b${r.id} = i32(lid / 8u) * ${block};`);
          target.lines.push(`${target.indent}for (var r${r.id} = b${r.id} + i32(lid % 8u); r${r.id} < min(b${r.id} + ${block}, ${r.size}); r${r.id} += 8) {`);
        } else {
          target.lines.push(`${target.indent}for (var r${r.id} = 0; r${r.id} < ${r.size}; r${r.id}++) {`);
        }
        target.lines.push(...inner.lines);
        target.lines.push(`${inner.indent}${acc} = ${reduceStep(e.op, e.dtype, acc, body, em)};`);
        target.lines.push(`${target.indent}}`);
        if (parallel) {
          // Combine the 256 partial results in workgroup memory (a tree), then everyone reads it.
          wgTypes.add(t);
          const red = `red_${t}`;
          const ind = target.indent;
          target.lines.push(
            `${ind}${red}[lid] = ${acc};`,
            `${ind}workgroupBarrier();`,
            `${ind}for (var s = ${WORKGROUP_SIZE / 2}u; s > 0u; s = s >> 1u) {`,
            `${ind}  if (lid < s) { ${red}[lid] = ${reduceStep(e.op, e.dtype, `${red}[lid]`, `${red}[lid + s]`, em)}; }`,
            `${ind}  workgroupBarrier();`,
            `${ind}}`,
            `${ind}${acc} = ${red}[0];`,
            `${ind}workgroupBarrier();`,
          );
        }
        target.memo.set(key, acc);
        return acc;
      }
    }
    const t = `v${tmp++}`;
    target.lines.push(`${target.indent}let ${t} = ${code};`);
    target.memo.set(key, t);
    return t;
  };

  const values = k.outputs.map((o) => emit(o.exp, root));
  const only = wgMode ? "if (lid == 0u) { " : "";
  const onlyEnd = wgMode ? " }" : "";
  const stores: string[] = [];
  const packedStores: string[] = [];
  const packedDecls: string[] = [];
  k.outputs.forEach((o, i) => {
    if (outStorage[i] !== "packed") {
      const v = outStorage[i] === "f16" ? `f16(${values[i]})` : values[i];
      stores.push(`${baseIndent}${only}${outs[i].write("g", v)}${onlyEnd}`);
      return;
    }
    const sz = ITEMSIZE[o.dtype];
    const words = (per * sz) / 4;
    const bits = toBits(o.dtype, values[i], em);
    if (per === 1) throw new Error("packed output in a one-element invocation");
    packedDecls.push(`  var pk${i}: array<u32, ${words}>;`);
    stores.push(`${baseIndent}pk${i}[(e * ${sz}u) / 4u] |= ${bits} << (((e * ${sz}u) % 4u) * 8u);`);
    // The last invocation's words may lie past the array (its padding to 16 bytes is bound).
    const total = Math.ceil((k.size * sz) / 4);
    for (let w = 0; w < words; w++) {
      const idx = `grp * ${words}u + ${w}u`;
      packedStores.push(`  ${only}if (${idx} < ${total}u) { ${outs[i].write(idx, `pk${i}[${w}]`)} }${onlyEnd}`);
    }
  });

  const body: string[] = [];
  if (wgMode) body.push(`  let grp = wid.x + wid.y * nwg.x;`, `  if (grp >= ${groups}u) { return; }`);
  else body.push(`  let grp = gid.x + gid.y * nwg.x * ${WORKGROUP_SIZE}u;`, `  if (grp >= ${groups}u) { return; }`);
  if (per === 1) {
    body.push(`  let g = i32(grp);`, ...root.lines, ...stores);
  } else {
    body.push(
      ...packedDecls,
      `  for (var e = 0u; e < ${per}u; e++) {`,
      `    let g = i32(grp * ${per}u + e);`,
      `    if (g >= ${k.size}) { break; }`,
      ...root.lines,
      ...stores,
      `  }`,
      ...packedStores,
    );
  }
  const builtins = wgMode
    ? "@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>"
    : "@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>";
  const needsF16 = inStorage.includes("f16") || outStorage.includes("f16");
  const source = [
    `// kernel ${k.name}`,
    ...(needsF16 ? ["enable f16;"] : []),
    ...decls,
    ...[...wgTypes].map((t) => `var<workgroup> red_${t}: array<${t}, ${WORKGROUP_SIZE}>;`),
    helperSource(em.helpers),
    `@compute @workgroup_size(${WORKGROUP_SIZE})`,
    `fn main(${builtins}) {`,
    ...body,
    `}`,
    "",
  ].join("\n");
  return { name: k.name, source, workgroups: wgMode ? groups : Math.ceil(groups / WORKGROUP_SIZE), mode: wgMode ? "workgroup" : "thread" };
}
