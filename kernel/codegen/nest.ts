/**
 * @file Loop nests for CPU kernels: the output shape as nested loops, and index simplification
 * that turns the div/rem of the flat output index into loop variables (so that contiguous and
 * broadcast accesses need no per-element unravel).
 */

import { type Exp, type Kernel, binary, i32, load, reduce, unary, where } from "./exp.js";


/**
 * The loop nest of a kernel: its output shape without size-1 dims, with adjacent dims merged
 * where no index ever separates them. Output loop variables are `ridx` nodes with negative ids
 * (-1 - level), so that reductions and output loops are placed by the same rule.
 */
export interface Nest {
  readonly dims: readonly number[];
  /** Output expressions with div/rem of the flat index replaced by loop variables. */
  readonly outputs: readonly Exp[];
}

export const loopVar = (level: number, size: number): Exp => ({ kind: "ridx", dtype: "int32", id: -1 - level, size });

/**
 * Rewrites `exps` for a loop nest over `dims`: the flat index g = Σ i_l·stride_l is a mixed-radix
 * number, so `g / c` and `g % c` for c a product of trailing dims are ranges of loop variables
 * R(a, b) = Σ_{l=a..b} i_l·Π_{m=l+1..b} d_m. Records the ranges that survive in `used`.
 */
export function simplifyIndices(exps: readonly Exp[], dims: readonly number[], used: Set<string>): Exp[] {
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
export function loopNest(k: Kernel): Nest {
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
