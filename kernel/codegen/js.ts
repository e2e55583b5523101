/**
 * @file The JavaScript renderer (CPU): a kernel becomes a `new Function` loop over typed arrays.
 * It is the reference the WGSL renderer is checked against. Values are JS numbers; float32
 * results are rounded with Math.fround after every op, int32 with `|0`, bools are 0/1.
 */

import { type Exp, type Kernel, ExpKeys, binary, i32 } from "./exp.js";
import { loopNest, loopVar } from "./nest.js";
import { REDUCE_INIT, constCode, loadCode, reduceStep, renderBinary, renderUnary, storeCode } from "./jsops.js";

type Code = string;

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
    if (e.kind === "gidx") throw new Error("renderKernelJs: flat index left after index simplification");
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
