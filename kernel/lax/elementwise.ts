/**
 * @file Elementwise primitives, one stanza each: abstract eval, JVP (with the derivative as a
 * comment), transpose for the linear ones, batching, and the lowering to kernel expressions.
 */

import { type Value, bind1, definePrimitive, typedScalars } from "../ir/core.js";
import { type PrimitiveRules as Rules, UndefinedPrimal, Zero, type MaybeZero } from "../ir/rules.js";
import { type UnaryOp, type BinaryOp, mapViews, unary, binary } from "../codegen/exp.js";
import { type DTypeClass, defjvp, defjvp2, elementwiseAval, elementwiseBatch, linearJvp } from "./helpers.js";
import { unbroadcastCt } from "./structural.js";

/** Defines a unary elementwise primitive lowering to one kernel op; returns its lax function. */
function unop(name: string, op: UnaryOp, dtypes: DTypeClass, jvp: Rules["jvp"], transpose: Rules["transpose"] = null) {
  definePrimitive(name, {
    abstractEval: (avals) => [elementwiseAval(name, avals, dtypes)],
    jvp,
    transpose,
    batch: elementwiseBatch(name),
    lower: { kind: "fusible", rule: ([x], _p, [out]) => [mapViews([x], out.shape, out.dtype, (a) => unary(op, a))] },
  });
  return (x: Value): Value => bind1(name, [x]);
}

/** Defines a binary elementwise primitive lowering to one kernel op. */
function binop(name: string, op: BinaryOp, dtypes: DTypeClass, rules: Pick<Rules, "jvp" | "transpose">) {
  definePrimitive(name, {
    abstractEval: (avals) => [elementwiseAval(name, avals, dtypes)],
    ...rules,
    batch: elementwiseBatch(name),
    lower: { kind: "fusible", rule: (ins, _p, [out]) => [mapViews(ins, out.shape, out.dtype, (a, b) => binary(op, a, b))] },
  });
  return (x: Value, y: Value): Value => bind1(name, typedScalars([x, y]));
}

// d(-x) = -dx
export const neg = unop("neg", "neg", "num", linearJvp("neg"), ([ct]) => [negCt(ct)]);

// d exp(x) = exp(x) dx
export const exp = unop("exp", "exp", "float", defjvp2("exp", (g, ans) => mul(g, ans)));
// d sin(x) = cos(x) dx
export const sin = unop("sin", "sin", "float", defjvp("sin", (g, x) => mul(g, cos(x))));
// d cos(x) = -sin(x) dx
export const cos = unop("cos", "cos", "float", defjvp("cos", (g, x) => neg(mul(g, sin(x)))));

export const add = binop("add", "add", "num", {
  jvp: linearJvp("add"),
  // Both operands receive the cotangent, summed back to their shapes.
  transpose: ([ct], [x, y]) => [
    x instanceof UndefinedPrimal ? unbroadcastCt(ct, x.aval) : null,
    y instanceof UndefinedPrimal ? unbroadcastCt(ct, y.aval) : null,
  ],
});

/** Tangent accumulation (JAX's add_any): like add, for values of equal shape. */
export const addAny = binop("add_any", "add", "any", {
  jvp: linearJvp("add_any"),
  transpose: ([ct], [x, y]) => [x instanceof UndefinedPrimal ? ct : null, y instanceof UndefinedPrimal ? ct : null],
});

export const sub = binop("sub", "sub", "num", {
  jvp: linearJvp("sub"),
  transpose: ([ct], [x, y]) => [
    x instanceof UndefinedPrimal ? unbroadcastCt(ct, x.aval) : null,
    y instanceof UndefinedPrimal ? unbroadcastCt(negCt(ct), y.aval) : null,
  ],
});

// d(x·y) = dx·y + x·dy
export const mul = binop("mul", "mul", "num", {
  jvp: defjvp("mul", (g, _x, y) => mul(g, y), (g, x) => mul(x, g)),
  // Linear in whichever operand is undefined.
  transpose: ([ct], [x, y]) => {
    if (x instanceof UndefinedPrimal && y instanceof UndefinedPrimal) throw new Error("mul transpose: both operands are linear");
    if (ct instanceof Zero) return [x instanceof UndefinedPrimal ? new Zero(x.aval) : null, y instanceof UndefinedPrimal ? new Zero(y.aval) : null];
    if (x instanceof UndefinedPrimal) return [unbroadcastCt(mul(ct, y as Value), x.aval), null];
    return [null, unbroadcastCt(mul(x as Value, ct), (y as UndefinedPrimal).aval)];
  },
});

const negCt = (ct: MaybeZero): MaybeZero => (ct instanceof Zero ? ct : neg(ct));
