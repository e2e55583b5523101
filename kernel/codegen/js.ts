/**
 * @file The JavaScript renderer (CPU): a kernel becomes a `new Function` loop over typed arrays.
 * It is the reference the WGSL renderer is checked against. Values are JS numbers; float32
 * results are rounded with Math.fround after every op, int32 with `|0`, bools are 0/1.
 */

import { type Exp, type Kernel, ExpKeys, binary, i32, load, reduce, unary, where } from "./exp.js";
import { REDUCE_INIT, constCode, loadCode, reduceStep, renderBinary, renderUnary, storeCode } from "./jsops.js";

type Code = string;

// ---- loop nests and index simplification ---------------------------------------------------

/**
 * The loop nest of a kernel: its output shape without size-1 dims, with adjacent dims merged
 * where no index ever separates them. Output loop variables are `ridx` nodes with negative ids
 * (-1 - level), so that reductions and output loops are placed by the same rule.
 */
interface Nest {
  readonly dims: readonly number[];
  /** Output expressions with div/rem of the flat index replaced by loop variables. */
  readonly outputs: readonly Exp[];
}

const loopVar = (level: number, size: number): Exp => ({ kind: "ridx", dtype: "int32", id: -1 - level, size });

/**
 * Rewrites `exps` for a loop nest over `dims`: the flat index g = Σ i_l·stride_l is a mixed-radix
 * number, so `g / c` and `g % c` for c a product of trailing dims are ranges of loop variables
 * R(a, b) = Σ_{l=a..b} i_l·Π_{m=l+1..b} d_m. Records the ranges that survive in `used`.
 */
function simplifyIndices(exps: readonly Exp[], dims: readonly number[], used: Set<string>): Exp[] {
  const k = dims.length;
  const prodD = (a: number, b: number): number => {
    let p = 1;
    for (let m = a; m <= b; m++) p *= dims[m];
    return p;
  };
  const rangeExps = new Map<string, Exp>();
  const rangeExp = (a: number, b: number): Exp => {
    if (a > b) return i32(0);
    const key = `${a}:${b}`;
    used.add(key);
    let e = rangeExps.get(key);
    if (!e) {
      e = a === b ? loopVar(a, dims[a]) : binary("add", binary("mul", rangeExp(a, b - 1), i32(dims[b])), loopVar(b, dims[b]));
      rangeExps.set(key, e);
    }
    return e;
  };
  type R = { range: [number, number] } | { exp: Exp };
  const memo = new Map<Exp, R>();
  const asExp = (r: R): Exp => ("exp" in r ? r.exp : rangeExp(r.range[0], r.range[1]));
  const go = (e: Exp): R => {
    let r = memo.get(e);
    if (r) return r;
    switch (e.kind) {
      case "const": case "ridx": r = { exp: e }; break;
      case "gidx": r = { range: [0, k - 1] }; break;
      case "load": r = { exp: load(e.input, e.dtype, asExp(go(e.args[0]))) }; break;
      case "unary": r = { exp: unary(e.op, asExp(go(e.args[0])), e.dtype) }; break;
      case "where": r = { exp: where(asExp(go(e.args[0])), asExp(go(e.args[1])), asExp(go(e.args[2]))) }; break;
      case "reduce": r = { exp: reduce(e.op, e.ridx, asExp(go(e.args[0]))) }; break;
      case "binary": {
        const x = go(e.args[0]);
        const c = e.args[1];
        if ("range" in x && c.kind === "const" && e.dtype === "int32" && (e.op === "div" || e.op === "rem")) {
          const [a, b] = x.range;
          if (e.op === "div") {
            for (let j = b; j >= a - 1; j--) if (prodD(j + 1, b) === c.value) return save(e, j < a ? { exp: i32(0) } : { range: [a, j] });
          } else {
            if (c.value >= prodD(a, b)) return save(e, x);
            for (let j = a; j <= b + 1; j++) if (prodD(j, b) === c.value) return save(e, j > b ? { exp: i32(0) } : { range: [j, b] });
          }
        }
        r = { exp: binary(e.op, asExp(x), asExp(go(c))) };
        break;
      }
    }
    return save(e, r);
  };
  const save = (e: Exp, r: R): R => {
    memo.set(e, r);
    return r;
  };
  return exps.map((e) => asExp(go(e)));
}

/** Chooses the loop nest: squeeze size-1 dims, then merge dims that no surviving range splits. */
function loopNest(k: Kernel): Nest {
  const exps = k.outputs.map((o) => o.exp);
  let dims = k.shape.filter((d) => d !== 1);
  if (!dims.length) dims = [1];
  const used = new Set<string>();
  simplifyIndices(exps, dims, used);
  const cut = new Set<number>();
  for (const r of used) {
    const [a, b] = r.split(":").map(Number);
    if (a > 0) cut.add(a);
    if (b < dims.length - 1) cut.add(b + 1);
  }
  const merged: number[] = [];
  dims.forEach((d, i) => (i === 0 || cut.has(i) ? merged.push(d) : (merged[merged.length - 1] *= d)));
  return { dims: merged, outputs: simplifyIndices(exps, merged, new Set()) };
}

// ---- rendering -------------------------------------------------------------------------------

interface Scope {
  /** The loop variable this scope binds (null: the function body). */
  readonly ridx: number | null;
  readonly parent: Scope | null;
  readonly lines: string[];
  readonly memo: Map<string, Code>;
  readonly indent: string;
}

const varName = (id: number): string => (id < 0 ? `i${-1 - id}` : `r${id}`);

/** A rendered kernel: the body of `function(ins, outs, start, end, H)`, whose outermost loop runs over [start, end) of `outer`. */
export interface RenderedJs {
  readonly source: string;
  readonly outer: number;
}

/**
 * Renders a kernel as a loop nest over its output shape. Each expression node is computed once
 * per scope (CSE by structural key) in the outermost loop where its operands are available
 * (hoisting); reductions are inner loops placed the same way.
 */
export function renderKernelJs(k: Kernel): RenderedJs {
  const nest = loopNest(k);
  const keys = new ExpKeys();
  const free = new Map<Exp, Set<number>>();
  let tmp = 0;
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

  const root: Scope = { ridx: null, parent: null, lines: [], memo: new Map(), indent: "  " };
  const levels: Scope[] = [];
  let parent = root;
  nest.dims.forEach((_, l) => {
    const s: Scope = { ridx: -1 - l, parent, lines: [], memo: new Map(), indent: parent.indent + "  " };
    levels.push(s);
    parent = s;
  });
  const inner = levels[levels.length - 1];

  const emit = (e: Exp, scope: Scope): Code => {
    if (e.kind === "const") return constCode(e.value, e.dtype);
    if (e.kind === "ridx") return varName(e.id);
    if (e.kind === "gidx") throw new Error("renderJs: flat index left after index simplification");
    // Place the node in the deepest enclosing scope that binds one of its free loop variables.
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
      case "load": code = loadCode(e.input, e.dtype, emit(e.args[0], target)); break;
      case "unary": code = renderUnary(e.op, e.dtype, e.args[0], emit(e.args[0], target)); break;
      case "binary": code = renderBinary(e.op, e.dtype, e.args[0], emit(e.args[0], target), emit(e.args[1], target)); break;
      case "where": code = `(${emit(e.args[0], target)}?${emit(e.args[1], target)}:${emit(e.args[2], target)})`; break;
      case "reduce": {
        if (e.ridx.kind !== "ridx") throw new Error("reduce over a non-loop index");
        const acc = `t${tmp++}`;
        const r = e.ridx;
        target.lines.push(`${target.indent}let ${acc} = ${REDUCE_INIT[e.op](e.dtype)};`);
        const body: Scope = { ridx: r.id, parent: target, lines: [], memo: new Map(), indent: target.indent + "  " };
        const x = emit(e.args[0], body);
        target.lines.push(`${target.indent}for (let r${r.id} = 0; r${r.id} < ${r.size}; r${r.id}++) {`);
        target.lines.push(...body.lines);
        target.lines.push(`${body.indent}${acc} = ${reduceStep(e.op, e.dtype, acc, x)};`);
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

  // The flat output position is the full range of loop variables.
  const flatExp = nest.dims.reduce<Exp>((acc, d, l) => (l === 0 ? loopVar(0, d) : binary("add", binary("mul", acc, i32(d)), loopVar(l, d))), i32(0));
  const g = emit(flatExp, inner);
  const stores = nest.outputs.map((o, i) => storeCode(i, k.outputs[i].dtype, emit(o, inner), g));
  const lines = [
    `// kernel ${k.name}`,
    `// shape ${k.shape.length ? k.shape.join("x") : "scalar"}, loops ${nest.dims.join("x")}`,
    ...k.inputs.map((_, i) => `  const in${i} = ins[${i}];`),
    ...k.outputs.map((_, i) => `  const out${i} = outs[${i}];`),
    ...root.lines,
  ];
  levels.forEach((s, l) => {
    lines.push(`${s.parent!.indent}for (let i${l} = ${l === 0 ? "start" : "0"}; i${l} < ${l === 0 ? "end" : nest.dims[l]}; i${l}++) {`);
    lines.push(...s.lines);
  });
  lines.push(...stores.map((st) => `${inner.indent}${st}`));
  for (let l = levels.length - 1; l >= 0; l--) lines.push(`${levels[l].parent!.indent}}`);
  return { source: lines.join("\n"), outer: nest.dims[0] };
}

/** The JavaScript source of a kernel (see renderKernelJs). */
export const renderJs = (k: Kernel): string => renderKernelJs(k).source;
