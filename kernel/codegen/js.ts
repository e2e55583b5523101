/**
 * @file The JavaScript renderer (CPU): a kernel becomes a `new Function` loop over typed arrays.
 * It is the reference the WGSL renderer is checked against. Values are JS numbers; float32
 * results are rounded with Math.fround after every op, int32 with `|0`, bools are 0/1.
 */

import { type DType, isFloat, isUnsignedInt, isInt, isBool } from "../ir/dtype.js";
import type { BinaryOp, Exp, Kernel, UnaryOp } from "./exp.js";

type Code = string;

/** Rounds a JS number expression to the storage semantics of `dtype`. */
export function roundTo(dtype: DType, e: Code): Code {
  switch (dtype) {
    case "float32": return `Math.fround(${e})`;
    case "float16": case "bfloat16": return `H.round_${dtype}(${e})`;
    case "float64": return e;
    case "int32": return `((${e})|0)`;
    case "uint32": return `((${e})>>>0)`;
    case "int8": return `((${e})<<24>>24)`;
    case "uint8": return `((${e})&255)`;
    case "int16": return `((${e})<<16>>16)`;
    case "uint16": return `((${e})&65535)`;
    case "bool": return `((${e})?1:0)`;
    case "int64": case "uint64": return `H.wrap_${dtype}(${e})`;
  }
}

/** Float unary ops: the JS for each, before rounding. */
const FLOAT_UNARY: Partial<Record<UnaryOp, (a: Code) => Code>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `H.sign(${a})`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  round: (a) => `H.roundEven(${a})`,
  trunc: (a) => `Math.trunc(${a})`,
  exp: (a) => `Math.exp(${a})`,
  exp2: (a) => `Math.pow(2, ${a})`,
  log: (a) => `Math.log(${a})`,
  log1p: (a) => `Math.log1p(${a})`,
  expm1: (a) => `Math.expm1(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1/Math.sqrt(${a}))`,
  cbrt: (a) => `Math.cbrt(${a})`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tan: (a) => `Math.tan(${a})`,
  asin: (a) => `Math.asin(${a})`,
  acos: (a) => `Math.acos(${a})`,
  atan: (a) => `Math.atan(${a})`,
  sinh: (a) => `Math.sinh(${a})`,
  cosh: (a) => `Math.cosh(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  asinh: (a) => `Math.asinh(${a})`,
  acosh: (a) => `Math.acosh(${a})`,
  atanh: (a) => `Math.atanh(${a})`,
  erf: (a) => `H.erf(${a})`,
  erfc: (a) => `H.erfc(${a})`,
  erfinv: (a) => `H.erfinv(${a})`,
  lgamma: (a) => `H.lgamma(${a})`,
  digamma: (a) => `H.digamma(${a})`,
  logistic: (a) => `H.logistic(${a})`,
  recip: (a) => `(1/${a})`,
};

const INT_UNARY: Partial<Record<UnaryOp, (a: Code) => Code>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `Math.sign(${a})`,
  not: (a) => `(~${a})`,
};

const FLOAT_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `(${a}*${b})`,
  div: (a, b) => `(${a}/${b})`,
  rem: (a, b) => `(${a}%${b})`,
  pow: (a, b) => `H.pow(${a},${b})`,
  max: (a, b) => `H.max(${a},${b})`,
  min: (a, b) => `H.min(${a},${b})`,
  atan2: (a, b) => `Math.atan2(${a},${b})`,
  nextafter: (a, b) => `H.nextafter_f32(${a},${b})`,
};

const INT_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `Math.imul(${a},${b})`,
  div: (a, b) => `H.idiv(${a},${b})`,
  rem: (a, b) => `H.irem(${a},${b})`,
  pow: (a, b) => `H.ipow(${a},${b})`,
  max: (a, b) => `Math.max(${a},${b})`,
  min: (a, b) => `Math.min(${a},${b})`,
  and: (a, b) => `(${a}&${b})`,
  or: (a, b) => `(${a}|${b})`,
  xor: (a, b) => `(${a}^${b})`,
  shl: (a, b) => `H.shl(${a},${b})`,
  shr: (a, b) => `H.shr(${a},${b})`,
};

const CMP: Partial<Record<BinaryOp, string>> = { eq: "===", ne: "!==", lt: "<", le: "<=", gt: ">", ge: ">=" };

function renderUnary(op: UnaryOp, dtype: DType, src: Exp, a: Code): Code {
  if (op === "cast") return castTo(src.dtype, dtype, a);
  if (op === "bitcast") return `H.bitcast_${src.dtype}_${dtype}(${a})`;
  if (op === "isfinite") return `(Number.isFinite(${a})?1:0)`;
  if (op === "isnan") return `(Number.isNaN(${a})?1:0)`;
  if (isBool(dtype)) {
    if (op === "not") return `(1-${a})`;
    throw new Error(`unary ${op} on bool`);
  }
  const table = isFloat(dtype) ? FLOAT_UNARY : INT_UNARY;
  const f = table[op];
  if (!f) throw new Error(`unary ${op} is not defined for ${dtype}`);
  return roundTo(dtype, f(a));
}

function castTo(from: DType, to: DType, a: Code): Code {
  if (from === to) return a;
  if (isBool(to)) return `(${a}!==0?1:0)`;
  if (isFloat(to)) return roundTo(to, a);
  if (isFloat(from)) return `H.f2i_${to}(${a})`;
  return roundTo(to, a);
}

function renderBinary(op: BinaryOp, dtype: DType, x: Exp, a: Code, b: Code): Code {
  const cmp = CMP[op];
  if (cmp) return `(${a}${cmp}${b}?1:0)`;
  if (isBool(dtype)) {
    if (op === "and" || op === "min" || op === "mul") return `(${a}&${b})`;
    if (op === "or" || op === "max" || op === "add") return `(${a}|${b})`;
    if (op === "xor" || op === "ne") return `(${a}^${b})`;
    throw new Error(`binary ${op} on bool`);
  }
  if (isFloat(dtype)) {
    const f = FLOAT_BINARY[op];
    if (!f) throw new Error(`binary ${op} is not defined for ${dtype}`);
    if (op === "nextafter" && dtype === "float64") return `H.nextafter_f64(${a},${b})`;
    return roundTo(dtype, f(a, b));
  }
  if (isUnsignedInt(dtype) && (op === "div" || op === "rem" || op === "shr")) {
    return roundTo(dtype, op === "div" ? `H.udiv(${a},${b})` : op === "rem" ? `H.urem(${a},${b})` : `H.ushr(${a},${b})`);
  }
  const f = INT_BINARY[op];
  if (!f || !isInt(x.dtype)) throw new Error(`binary ${op} is not defined for ${dtype}`);
  return roundTo(dtype, f(a, b));
}

const REDUCE_INIT: Record<string, (d: DType) => string> = {
  sum: () => "0",
  prod: () => "1",
  max: (d) => (isFloat(d) ? "-Infinity" : `H.minOf_${d}`),
  min: (d) => (isFloat(d) ? "Infinity" : `H.maxOf_${d}`),
  and: () => "1",
  or: () => "0",
};

function reduceStep(op: string, d: DType, acc: Code, x: Code): Code {
  switch (op) {
    case "sum": return isBool(d) ? `(${acc}|${x})` : roundTo(d, `${acc}+${x}`);
    case "prod": return isBool(d) ? `(${acc}&${x})` : isInt(d) ? roundTo(d, `Math.imul(${acc},${x})`) : roundTo(d, `${acc}*${x}`);
    case "max": return isFloat(d) ? `H.max(${acc},${x})` : `Math.max(${acc},${x})`;
    case "min": return isFloat(d) ? `H.min(${acc},${x})` : `Math.min(${acc},${x})`;
    case "and": return `(${acc}&${x})`;
    case "or": return `(${acc}|${x})`;
    default: throw new Error(`reduce ${op}`);
  }
}

interface Scope {
  readonly ridx: number | null;
  readonly parent: Scope | null;
  readonly lines: string[];
  readonly memo: Map<string, Code>;
  readonly indent: string;
}

/** Renders a kernel into the source of `function(ins, outs, start, end, H)`. */
export function renderJs(k: Kernel): string {
  let tmp = 0;
  const keys = new Map<Exp, string>();
  const free = new Map<Exp, Set<number>>();
  const keyOf = (e: Exp): string => {
    let s = keys.get(e);
    if (s !== undefined) return s;
    switch (e.kind) {
      case "const": s = `c${e.dtype}:${Object.is(e.value, -0) ? "-0" : e.value}`; break;
      case "gidx": s = "g"; break;
      case "ridx": s = `r${e.id}`; break;
      case "load": s = `L${e.input}(${keyOf(e.args[0])})`; break;
      case "unary": s = `${e.op}:${e.dtype}(${keyOf(e.args[0])})`; break;
      case "binary": s = `${e.op}:${e.dtype}(${keyOf(e.args[0])},${keyOf(e.args[1])})`; break;
      case "where": s = `w(${e.args.map(keyOf).join(",")})`; break;
      case "reduce": s = `R${e.op}:${e.dtype}:${keyOf(e.ridx)}(${keyOf(e.args[0])})`; break;
    }
    // Keys can grow long in deep DAGs: intern them to short ids.
    const id = `#${keys.size}:${s.length > 64 ? hashStr(s) : s}`;
    keys.set(e, id);
    return id;
  };
  const freeOf = (e: Exp): Set<number> => {
    let f = free.get(e);
    if (f) return f;
    f = new Set<number>();
    if (e.kind === "ridx") f.add(e.id);
    else if (e.kind !== "const" && e.kind !== "gidx") {
      for (const a of e.args) for (const r of freeOf(a)) f.add(r);
      if (e.kind === "reduce" && e.ridx.kind === "ridx") f.delete(e.ridx.id);
    }
    free.set(e, f);
    return f;
  };
  const root: Scope = { ridx: null, parent: null, lines: [], memo: new Map(), indent: "    " };

  const emit = (e: Exp, scope: Scope): Code => {
    if (e.kind === "const") return constCode(e.value, e.dtype);
    if (e.kind === "gidx") return "g";
    if (e.kind === "ridx") return `r${e.id}`;
    // Place the node in the deepest enclosing scope that binds one of its free loop variables.
    const fv = freeOf(e);
    let target = scope;
    while (target.parent && !(target.ridx !== null && fv.has(target.ridx))) target = target.parent;
    const key = keyOf(e);
    for (let s: Scope | null = target; s; s = s.parent) {
      const got = s.memo.get(key);
      if (got) return got;
    }
    let code: Code;
    switch (e.kind) {
      case "load": {
        const i = emit(e.args[0], target);
        code = loadCode(e.input, e.dtype, i);
        break;
      }
      case "unary": code = renderUnary(e.op, e.dtype, e.args[0], emit(e.args[0], target)); break;
      case "binary": code = renderBinary(e.op, e.dtype, e.args[0], emit(e.args[0], target), emit(e.args[1], target)); break;
      case "where": code = `(${emit(e.args[0], target)}?${emit(e.args[1], target)}:${emit(e.args[2], target)})`; break;
      case "reduce": {
        if (e.ridx.kind !== "ridx") throw new Error("reduce over a non-loop index");
        const acc = `t${tmp++}`;
        const r = e.ridx;
        target.lines.push(`${target.indent}let ${acc} = ${REDUCE_INIT[e.op](e.dtype)};`);
        const inner: Scope = { ridx: r.id, parent: target, lines: [], memo: new Map(), indent: target.indent + "  " };
        const body = emit(e.args[0], inner);
        target.lines.push(`${target.indent}for (let r${r.id} = 0; r${r.id} < ${r.size}; r${r.id}++) {`);
        target.lines.push(...inner.lines);
        target.lines.push(`${inner.indent}${acc} = ${reduceStep(e.op, e.dtype, acc, body)};`);
        target.lines.push(`${target.indent}}`);
        target.memo.set(key, acc);
        return acc;
      }
    }
    const t = `t${tmp++}`;
    target.lines.push(`${target.indent}const ${t} = ${code};`);
    target.memo.set(key, t);
    return t;
  };

  const stores = k.outputs.map((o, i) => storeCode(i, o.dtype, emit(o.exp, root)));
  const decl = [
    ...k.inputs.map((_, i) => `  const in${i} = ins[${i}];`),
    ...k.outputs.map((_, i) => `  const out${i} = outs[${i}];`),
  ];
  return [
    `// kernel ${k.name}`,
    ...decl,
    "  for (let g = start; g < end; g++) {",
    ...root.lines,
    ...stores.map((s) => `    ${s}`),
    "  }",
  ].join("\n");
}

function hashStr(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36) + s.length;
}

function constCode(v: number, dtype: DType): Code {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  if (dtype === "float32") return String(Math.fround(v));
  return v < 0 ? `(${v})` : String(v);
}

function loadCode(input: number, dtype: DType, i: Code): Code {
  switch (dtype) {
    case "float16": case "bfloat16": return `H.load_${dtype}(in${input}[${i}])`;
    case "int64": case "uint64": return `Number(in${input}[${i}])`;
    default: return `in${input}[${i}]`;
  }
}

function storeCode(out: number, dtype: DType, v: Code): string {
  switch (dtype) {
    case "float16": case "bfloat16": return `out${out}[g] = H.store_${dtype}(${v});`;
    case "int64": case "uint64": return `out${out}[g] = BigInt(${v});`;
    default: return `out${out}[g] = ${v};`;
  }
}
