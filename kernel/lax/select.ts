/**
 * @file Comparisons, select_n and clamp (after lax.py): comparisons give bool and have zero
 * tangents; select_n is linear in its cases (its transpose routes the cotangent to the chosen
 * case); clamp passes the tangent of whichever operand it returns.
 */

import { type Value, bind1, definePrimitive, getAval, typedScalars } from "../ir/core.js";
import { isBool, isInt } from "../ir/dtype.js";
import { ShapedArray, shapeEq, type Shape } from "../ir/shape.js";
import { type BDim, UndefinedPrimal, Zero, type MaybeZero } from "../ir/rules.js";
import { type BinaryOp, type Exp, binary, constant, where } from "../codegen/exp.js";
import { bdimAtFront, moveaxis } from "./helpers.js";
import { ANY, checkNaryDtypes, checkSameDtypes, elementwiseLowering, fullLike, maybeBroadcast, naryop } from "./nary.js";
import { broadcastInDim } from "./structural.js";
import { bitwiseAnd } from "./binary.js";
import { ValueError } from "./errors.js";
import { shardElementwise } from "./shard.js";

const pyShape = (s: Shape): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);

// ---- comparisons ---------------------------------------------------------------------------------------

const ORDERED = ANY;

function comparison(name: string, o: BinaryOp) {
  naryop(name, { kinds: [name === "eq" || name === "ne" ? ANY : ORDERED, name === "eq" || name === "ne" ? ANY : ORDERED], outDtype: "bool", jvp: "nondiff", lower: ([a, b]) => binary(o, a, b) });
  return (x: Value, y: Value): Value => bind1(name, typedScalars([x, y]));
}

export const eq = comparison("eq", "eq");
export const ne = comparison("ne", "ne");
export const lt = comparison("lt", "lt");
export const le = comparison("le", "le");
export const gt = comparison("gt", "gt");
export const ge = comparison("ge", "ge");

// ---- select_n ------------------------------------------------------------------------------------------

/** The case `which` picks, as XLA's lowering computes it: a binary search over `which < k`. */
function selectExp(which: Exp, cases: readonly Exp[], offset = 0): Exp {
  if (cases.length === 1) return cases[0];
  if (isBool(which.dtype)) return where(which, cases[1], cases[0]);
  const mid = cases.length >> 1;
  return where(
    binary("lt", which, constant(offset + mid, which.dtype)),
    selectExp(which, cases.slice(0, mid), offset),
    selectExp(which, cases.slice(mid), offset + mid),
  );
}

definePrimitive("select_n", {
  abstractEval: ([which, ...cases]) => {
    if (cases.length === 0) throw new TypeError("select must have at least one case");
    if (cases.some((c) => !shapeEq(c.shape, cases[0].shape))) {
      throw new TypeError(`select cases must have the same shapes, got [${cases.map((c) => pyShape(c.shape)).join(", ")}].`);
    }
    if (which.ndim && !shapeEq(which.shape, cases[0].shape)) {
      throw new TypeError(`select \`which\` must be scalar or have the same shape as cases, got \`which\` shape ${pyShape(which.shape)} but case shape ${pyShape(cases[0].shape)}.`);
    }
    checkSameDtypes("select", cases);
    if (!isBool(which.dtype) && !isInt(which.dtype)) throw new TypeError(`select \`which\` must be boolean or integer type, got ${which.dtype}.`);
    if (isBool(which.dtype) && cases.length > 2) throw new TypeError("select with boolean `which` cannot have > 2 cases.");
    return [new ShapedArray(cases[0].shape, cases[0].dtype, cases.every((c) => c.weakType))];
  },
  // d select_n(w, c0, c1, …) = select_n(w, dc0, dc1, …): `which` has no tangent.
  jvp: ([which, ...cases], [, ...dcases]) => {
    const out = selectN(which, ...cases);
    const nz = dcases.find((t) => !(t instanceof Zero));
    if (nz === undefined) return [[out], [new Zero(getAval(out).strongType())]];
    const z = fullLike(nz as Value, 0);
    return [[out], [selectN(which, ...dcases.map((t) => (t instanceof Zero ? z : t)))]];
  },
  // Linear in the cases: each undefined case receives the cotangent where it was chosen.
  transpose: ([ct], [which, ...cases]) => {
    if (which instanceof UndefinedPrimal) throw new Error("select_n transpose: `which` cannot be linear");
    if (ct instanceof Zero) return [null, ...cases.map((c) => (c instanceof UndefinedPrimal ? new Zero(c.aval) : null))];
    const zeros = fullLike(ct, 0);
    const w = which as Value;
    if (isBool(getAval(w).dtype)) {
      return [
        null,
        cases[0] instanceof UndefinedPrimal ? select(w, zeros, ct) : null,
        cases[1] instanceof UndefinedPrimal ? select(w, ct, zeros) : null,
      ];
    }
    return [null, ...cases.map((c, i): MaybeZero | null => (c instanceof UndefinedPrimal ? select(eq(w, i), ct, zeros) : null))];
  },
  batch: selectBatch,
  shard: shardElementwise,
  lower: elementwiseLowering(([which, ...cases]) => selectExp(which, cases)),
});

/** JAX's select_n batching: avoid moving axes when the batch dims already agree. */
function selectBatch(args: Value[], dims: BDim[], _p: unknown, size: number): [Value[], BDim[]] {
  let [which, ...cases] = args;
  const [wd, ...cds] = dims;
  const nd = (v: Value) => getAval(v).ndim;
  if (cds.every((d) => d === wd)) {
    if (shapeEq(getAval(which).shape, getAval(cases[0]).shape)) return [[selectN(which, ...cases)], [wd]];
    // A scalar `which` of the vmapped function, batched: spread it along the batch dim.
    return [[selectN(broadcastInDim(which, getAval(cases[0]).shape, [wd!]), ...cases)], [wd]];
  }
  if (nd(which) === 0 && cds.every((d) => d !== null)) {
    if (cds.every((d) => d === cds[0])) return [[selectN(which, ...cases)], [cds[0]]];
    if (cases.every((c) => shapeEq(getAval(c).shape, getAval(cases[0]).shape))) {
      const bd = cds[0]!;
      return [[selectN(which, cases[0], ...cases.slice(1).map((c, i) => moveaxis(c, cds[i + 1]!, bd)))], [bd]];
    }
  }
  if (nd(which)) which = bdimAtFront(which, wd, size);
  if (!cases.every((c) => nd(c) === 0)) cases = cases.map((c, i) => bdimAtFront(c, cds[i], size));
  if (nd(which) > 0 && nd(which) < nd(cases[0])) which = broadcastInDim(which, getAval(cases[0]).shape, [0]);
  if (nd(which) > nd(cases[0])) cases = cases.map((c) => maybeBroadcast(c, getAval(which).shape));
  return [[selectN(which, ...cases)], [0]];
}

/** lax.select_n: `which` picks among the cases (a bool picks between two). */
export function selectN(which: Value, ...cases: Value[]): Value {
  if (cases.length === 0) throw new ValueError("select_n() must have at least one case");
  return bind1("select_n", [which, ...cases]);
}

/** lax.select(pred, on_true, on_false) = select_n(pred, on_false, on_true). */
export const select = (pred: Value, onTrue: Value, onFalse: Value): Value => bind1("select_n", [pred, onFalse, onTrue]);

// ---- clamp ---------------------------------------------------------------------------------------------

definePrimitive("clamp", {
  abstractEval: ([lo, x, hi]) => {
    if (lo.ndim && !shapeEq(lo.shape, x.shape)) throw new TypeError(`clamp requires min.shape == operand.shape or min.shape == (), got min.shape=${pyShape(lo.shape)}, operand.shape=${pyShape(x.shape)}.`);
    if (hi.ndim && !shapeEq(hi.shape, x.shape)) throw new TypeError(`clamp requires max.shape == operand.shape or max.shape == (), got max.shape=${pyShape(hi.shape)}, operand.shape=${pyShape(x.shape)}.`);
    checkNaryDtypes("clamp", [lo, x, hi], [ANY, ANY, ANY]);
    return [new ShapedArray(x.shape, x.dtype, lo.weakType && x.weakType && hi.weakType)];
  },
  // d clamp(lo, x, hi): dlo where lo is returned (lo > x and lo < hi), dx where x is strictly
  // inside, dhi where hi is returned (hi < x).
  jvp: ([lo, x, hi], [dlo, dx, dhi]) => {
    const out = clamp(lo, x, hi);
    const shape = getAval(x).shape;
    const pick = (pred: Value, g: MaybeZero): MaybeZero => (g instanceof Zero ? g : select(pred, maybeBroadcast(g, shape), fullLike(x, 0)));
    let t: MaybeZero = new Zero(getAval(out).strongType());
    const acc = (u: MaybeZero) => {
      if (u instanceof Zero) return;
      t = t instanceof Zero ? u : bind1("add_any", [t, u]);
    };
    acc(pick(bitwiseAnd(gt(lo, x), lt(lo, hi)), dlo));
    acc(pick(bitwiseAnd(gt(x, lo), lt(x, hi)), dx));
    acc(pick(lt(hi, x), dhi));
    return [[out], [t]];
  },
  transpose: null,
  batch: clampBatch,
  // min(max(x, lo), hi), NaN-propagating as XLA's clamp.
  shard: shardElementwise,
  lower: elementwiseLowering(([lo, x, hi]) => binary("min", binary("max", x, lo), hi)),
});

/** JAX's clamp batching: bounds that are scalars or share x's batch dim stay where they are. */
function clampBatch(args: Value[], dims: BDim[], _p: unknown, size: number): [Value[], BDim[]] {
  let [lo, x, hi] = args;
  const [dlo, dx, dhi] = dims;
  const nd = (v: Value) => getAval(v).ndim;
  const same = (a: Value, b: Value) => shapeEq(getAval(a).shape, getAval(b).shape);
  if (dlo === dx && dx === dhi) {
    if (same(lo, x) && same(x, hi)) return [[clamp(lo, x, hi)], [dx]];
    if (nd(lo) === 0 && nd(hi) === 0) return [[clamp(lo, x, hi)], [dx]];
    if (nd(lo) === 1 && nd(hi) === 1) {
      return [[clamp(broadcastInDim(lo, getAval(x).shape, [dlo!]), x, broadcastInDim(hi, getAval(x).shape, [dhi!]))], [dx]];
    }
  } else if (nd(lo) === 0 && nd(hi) === 0 && dx !== null) {
    return [[clamp(lo, x, hi)], [dx]];
  }
  if (nd(lo)) lo = bdimAtFront(lo, dlo, size);
  if (nd(hi)) hi = bdimAtFront(hi, dhi, size);
  if (nd(x)) x = bdimAtFront(x, dx, size);
  const xs = getAval(x).shape;
  if (nd(lo) === 0 && nd(x) > 0) lo = maybeBroadcast(lo, xs);
  if (nd(hi) === 0 && nd(x) > 0) hi = maybeBroadcast(hi, xs);
  if (nd(lo) > 0 && nd(lo) < nd(x)) lo = broadcastInDim(lo, xs, [0]);
  if (nd(hi) > 0 && nd(hi) < nd(x)) hi = broadcastInDim(hi, xs, [0]);
  if (nd(lo) > nd(x)) x = maybeBroadcast(x, getAval(lo).shape);
  return [[clamp(lo, x, hi)], [0]];
}

/** lax.clamp(min, x, max): scalars take x's dtype. */
export function clamp(lo: Value, x: Value, hi: Value): Value {
  const [tx, tlo, thi] = typedScalars([x, lo, hi]);
  return bind1("clamp", [tlo, tx, thi]);
}
