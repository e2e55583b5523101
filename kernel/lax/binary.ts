/**
 * @file Binary elementwise primitives, one stanza each (after lax.py): arithmetic, pow, max/min,
 * atan2, nextafter, polygamma, bitwise and shift ops. They broadcast rank-0 and size-1 operands
 * like JAX's naryops; the lax functions give Python-like scalars the other operand's dtype.
 */

import { type Value, bind1, definePrimitive, getAval, typedScalars } from "../ir/core.js";
import { type DType, isInt, isSignedInt, promoteTypes } from "../ir/dtype.js";
import { UndefinedPrimal, Zero, type MaybeZero } from "../ir/rules.js";
import { type BinaryOp, type Exp, binary, constant, unary, where } from "../codegen/exp.js";
import { defjvp, defjvp2, linearJvp } from "./helpers.js";
import {
  ANY, FLOAT, INT, INT_OR_BOOL, NUM, broadcastingBatch, broadcastingShape, checkNaryDtypes, constLike, elementwiseLowering,
  fullLike, maybeBroadcast, naryop, noJvp, unbroadcast,
} from "./nary.js";
import { floor, integerPow, log, neg, sign, abs, square } from "./unary.js";
import { eq, select } from "./select.js";
import { convertElementType, broadcastInDim } from "./structural.js";
import { ShapedArray } from "../ir/shape.js";
import { ValueError } from "./errors.js";
import { shardElementwise } from "./shard.js";

const bin = (o: BinaryOp) => ([a, b]: Exp[]): Exp => binary(o, a, b);
const negCt = (ct: MaybeZero): MaybeZero => (ct instanceof Zero ? ct : neg(ct));
const undef = (x: unknown): x is UndefinedPrimal => x instanceof UndefinedPrimal;
/** The cotangent aval of an operand that is known (add/sub transpose both sides regardless). */
const ctAval = (x: Value | UndefinedPrimal): ShapedArray => (undef(x) ? x.aval : getAval(x).strongType());

/** The lax function of a binary primitive: scalars take the other operand's dtype. */
const laxBinary = (name: string) => (x: Value, y: Value): Value => bind1(name, typedScalars([x, y]));

// ---- add, sub, add_any ---------------------------------------------------------------------------------

// d(x + y) = dx + dy; a lone tangent is broadcast to the output shape.
naryop("add", {
  kinds: [NUM, NUM],
  jvp: ([x, y], [dx, dy]) => {
    const out = add(x, y);
    const shape = getAval(out).shape;
    if (dx instanceof Zero && dy instanceof Zero) return [[out], [new Zero(getAval(out).strongType())]];
    if (dx instanceof Zero) return [[out], [maybeBroadcast(dy as Value, shape)]];
    if (dy instanceof Zero) return [[out], [maybeBroadcast(dx, shape)]];
    return [[out], [add(dx, dy)]];
  },
  transpose: ([ct], [x, y]) => [unbroadcast(ct, ctAval(x)), unbroadcast(ct, ctAval(y))],
  lower: bin("add"),
});
export const add = laxBinary("add");

// d(x - y) = dx - dy
naryop("sub", {
  kinds: [NUM, NUM],
  jvp: ([x, y], [dx, dy]) => {
    const out = sub(x, y);
    const shape = getAval(out).shape;
    if (dx instanceof Zero && dy instanceof Zero) return [[out], [new Zero(getAval(out).strongType())]];
    if (dx instanceof Zero) return [[out], [maybeBroadcast(neg(dy as Value), shape)]];
    if (dy instanceof Zero) return [[out], [maybeBroadcast(dx, shape)]];
    return [[out], [sub(dx, dy)]];
  },
  transpose: ([ct], [x, y]) => [unbroadcast(ct, ctAval(x)), unbroadcast(negCt(ct), ctAval(y))],
  lower: bin("sub"),
});
export const sub = laxBinary("sub");

/** Tangent accumulation (JAX's add_any / add_jaxvals): operands of one type, no promotion. */
definePrimitive("add_any", {
  abstractEval: ([x, y]) => {
    if (x.dtype !== y.dtype || x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) {
      throw new TypeError(`add_any requires operands of one type, got ${x.strShort()} and ${y.strShort()}`);
    }
    return [x];
  },
  jvp: linearJvp("add_any"),
  transpose: ([ct], [x, y]) => [undef(x) ? ct : null, undef(y) ? ct : null],
  // A batched operand meeting an unbatched one: broadcast the unbatched along the batch dim.
  batch: ([x, y], [dx, dy], _p, size) => {
    const insert = (v: Value, d: number): Value => {
      const s = getAval(v).shape;
      const shape = [...s.slice(0, d), size, ...s.slice(d)];
      return broadcastInDim(v, shape, s.map((_, i) => (i < d ? i : i + 1)));
    };
    if (dx === dy) return [[addAny(x, y)], [dx]];
    if (dx === null) return [[addAny(insert(x, dy!), y)], [dy]];
    if (dy === null) return [[addAny(x, insert(y, dx))], [dx]];
    const perm = [...Array(getAval(x).ndim).keys()].filter((i) => i !== dx);
    perm.splice(dy, 0, dx);
    return [[addAny(bind1("transpose", [x], { permutation: perm }), y)], [dy]];
  },
  shard: shardElementwise,
  lower: elementwiseLowering(bin("add")),
});
export const addAny = (x: Value, y: Value): Value => bind1("add_any", [x, y]);

// ---- mul, div, rem ---------------------------------------------------------------------------------------

// d(x·y) = dx·y + x·dy; bilinear: the transpose multiplies by the known operand.
naryop("mul", {
  kinds: [NUM, NUM],
  jvp: defjvp("mul", (g, _x, y) => mul(g, y), (g, x) => mul(x, g)),
  transpose: ([ct], [x, y]) => {
    if (undef(x) && undef(y)) throw new Error("mul transpose: both operands are linear");
    if (undef(x)) return [ct instanceof Zero ? new Zero(x.aval) : unbroadcast(mul(ct, y as Value), x.aval), null];
    const ya = (y as UndefinedPrimal).aval;
    return [null, ct instanceof Zero ? new Zero(ya) : unbroadcast(mul(x as Value, ct), ya)];
  },
  lower: bin("mul"),
});
export const mul = laxBinary("mul");

// d(x / y) = dx / y - x·dy / y²; linear in x only.
naryop("div", {
  kinds: [NUM, NUM],
  jvp: defjvp("div", (g, _x, y) => div(g, y), (g, x, y) => mul(mul(neg(g), x), integerPow(y, -2))),
  transpose: ([ct], [x, y]) => {
    if (!undef(x) || undef(y)) throw new Error("nonlinear div can't be transposed");
    return [ct instanceof Zero ? new Zero(x.aval) : unbroadcast(div(ct, y), x.aval), null];
  },
  lower: bin("div"),
});
export const div = laxBinary("div");

// rem(x, y) = x - y·trunc(x / y): d rem = dx - trunc(x / y) dy
naryop("rem", {
  kinds: [NUM, NUM],
  jvp: defjvp(
    "rem",
    (g, x, y) => maybeBroadcast(g, broadcastingShape("rem", [getAval(x), getAval(y)])),
    (g, x, y) => mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))),
  ),
  lower: bin("rem"),
});
export const rem = laxBinary("rem");

// ---- pow ---------------------------------------------------------------------------------------------

/** 0 replaced by 1 (lax's `_replace_zero`), so log and y·x^(y-1) stay finite where JAX's do. */
const replaceZero = (x: Value): Value => select(eq(x, constLike(x, 0)), fullLike(x, 1), x);

// d x^y = y x^(y-1) dx + log(x) x^y dy   (an integer y = 0 contributes 0; log(0) is replaced by 0)
function powJvpLhs(g: Value, _ans: Value, x: Value, y: Value): Value {
  const yDtype = getAval(y).dtype;
  const rt = promoteTypes(getAval(x).dtype, yDtype);
  let xc = convertElementType(x, rt);
  let yc = convertElementType(y, rt);
  if (isInt(yDtype)) {
    const shape = broadcastingShape("pow", [getAval(xc), getAval(yc)]);
    xc = maybeBroadcast(xc, shape);
    yc = maybeBroadcast(yc, shape);
    const jac = select(eq(yc, constLike(yc, 0)), fullLike(yc, 0), mul(replaceZero(yc), pow(xc, sub(yc, fullLike(yc, 1)))));
    return mul(g, jac);
  }
  return mul(g, mul(yc, pow(xc, sub(yc, fullLike(yc, 1)))));
}

function powJvpRhs(g: Value, ans: Value, x: Value, y: Value): Value {
  return convertElementType(mul(g, mul(log(replaceZero(x)), ans)), getAval(y).dtype);
}

definePrimitive("pow", {
  abstractEval: ([x, y]) => {
    checkNaryDtypes("pow", [x, y], [FLOAT, NUM], false);
    if (x.dtype !== y.dtype && !isInt(y.dtype)) {
      throw new TypeError(
        "the first argument to pow must have an inexact dtype (float or complex), and the second argument must have an inexact or " +
          `integer dtype, and two inexact dtypes must match, but got ${x.dtype} and ${y.dtype} respectively.`,
      );
    }
    return [new ShapedArray(broadcastingShape("pow", [x, y]), x.dtype, x.weakType && y.weakType)];
  },
  jvp: defjvp2("pow", powJvpLhs, powJvpRhs),
  transpose: null,
  batch: broadcastingBatch("pow"),
  // An integer exponent is converted to the base's float type first, as XLA's lowering does.
  shard: shardElementwise,
  lower: elementwiseLowering(([a, b], _p, out) => binary("pow", a, b.dtype === out.dtype ? b : unary("cast", b, out.dtype))),
});
/** lax.pow: a Python-like scalar exponent takes the base's dtype. */
export const pow = (x: Value, y: Value): Value => bind1("pow", typedScalars([x, y]));

// ---- max, min ------------------------------------------------------------------------------------------

/**
 * Where x attains the result z: 1, halved where y ties (lax's `_balanced_eq`), so a tie splits
 * the gradient evenly between the operands as in JAX.
 */
const balancedEq = (x: Value, z: Value, y: Value): Value =>
  div(select(eq(x, z), fullLike(z, 1), fullLike(z, 0)), select(eq(y, z), fullLike(z, 2), fullLike(z, 1)));

// d max(x, y) = dx where x wins, dy where y wins, half of each on ties
naryop("max", {
  kinds: [ANY, ANY],
  jvp: defjvp2("max", (g, ans, x, y) => mul(g, balancedEq(x, ans, y)), (g, ans, x, y) => mul(g, balancedEq(y, ans, x))),
  lower: bin("max"),
});
export const max = laxBinary("max");

naryop("min", {
  kinds: [ANY, ANY],
  jvp: defjvp2("min", (g, ans, x, y) => mul(g, balancedEq(x, ans, y)), (g, ans, x, y) => mul(g, balancedEq(y, ans, x))),
  lower: bin("min"),
});
export const min = laxBinary("min");

// ---- atan2, nextafter, polygamma -------------------------------------------------------------------------

// d atan2(x, y) = (y dx - x dy) / (x² + y²)
naryop("atan2", {
  kinds: [FLOAT, FLOAT],
  jvp: defjvp(
    "atan2",
    (g, x, y) => mul(g, div(y, add(square(x), square(y)))),
    (g, x, y) => mul(g, div(neg(x), add(square(x), square(y)))),
  ),
  lower: bin("atan2"),
});
export const atan2 = laxBinary("atan2");

// JAX defines no derivative for nextafter.
naryop("nextafter", { kinds: [FLOAT, FLOAT], jvp: noJvp("nextafter"), lower: bin("nextafter") });
export const nextafter = laxBinary("nextafter");

/** XLA's Hurwitz zeta ζ(s, q) (chlo.zeta): 10 terms of the series plus an Euler–Maclaurin tail. */
function zetaExp(s: Exp, q: Exp): Exp {
  const k = (v: number) => constant(v, s.dtype);
  const [addE, subE, mulE, divE] = (["add", "sub", "mul", "div"] as const).map((o) => (a: Exp, b: Exp) => binary(o, a, b));
  const negS = unary("neg", s);
  let a = q;
  let term = binary("pow", q, negS);
  let initial = term;
  for (let i = 0; i < 9; i++) {
    a = addE(a, k(1));
    initial = addE(initial, binary("pow", a, negS));
  }
  a = addE(a, k(1));
  term = binary("pow", a, negS);
  let sum = addE(initial, divE(mulE(term, a), subE(s, k(1))));
  const aInvSq = divE(k(1), mulE(a, a));
  // Bernoulli-number coefficients (2n)!/B_2n, as in XLA.
  const coeffs = [-7.166165256175667e18, 1.8152105401943546e17, -4597978722407473, 116467828143500.67,
    -2950130727918.164, 7.47242496e10, -1892437580.3183792, 47900160, -1209600, 30240, -720, 12];
  // Horner form of the tail Σ B₂ⱼ/(2j)! s(s+1)…(s+2j-2) a^(1-s-2j). XLA writes the factors as
  // (s - 22 + 2i)(s - 21 + 2i), which drops the B₄ term at s = 2; these are the rising ones.
  let horner = k(0);
  for (let i = 0; i < 11; i++) {
    const factor = mulE(addE(s, k(22 - 2 * i)), addE(s, k(21 - 2 * i)));
    horner = mulE(factor, mulE(aInvSq, addE(horner, k(1 / coeffs[i]))));
  }
  sum = addE(sum, mulE(term, addE(k(0.5), mulE(divE(s, a), addE(k(1 / coeffs[11]), horner)))));
  // When the tail is negligible the plain series is the answer.
  const eps = s.dtype === "float64" ? 2 ** -52 : s.dtype === "float32" ? 2 ** -23 : 2 ** -10;
  let out = where(binary("lt", unary("abs", term), mulE(unary("abs", initial), k(eps))), initial, sum);
  const nan = k(NaN);
  const isInt = (e: Exp) => binary("eq", e, unary("floor", e));
  const and = (a: Exp, b: Exp) => binary("and", a, b);
  out = where(binary("lt", s, k(1)), nan, out);
  const qLeZero = binary("le", q, k(0));
  out = where(and(qLeZero, binary("ne", s, unary("floor", s))), nan, out);
  const sEvenInt = and(isInt(s), binary("eq", binary("rem", s, k(2)), k(0)));
  out = where(and(qLeZero, isInt(q)), where(sEvenInt, k(Infinity), nan), out);
  return where(binary("eq", s, k(1)), k(Infinity), out);
}

/** ψ⁽ᵐ⁾(x) = (-1)^(m+1) m! ζ(m+1, x) for natural m > 0, digamma for m = 0, NaN otherwise (as XLA). */
function polygammaExp(m: Exp, x: Exp): Exp {
  const k = (v: number) => constant(v, x.dtype);
  const m1 = binary("add", m, k(1));
  const sgn = binary("sub", binary("mul", k(2), binary("rem", m, k(2))), k(1));
  const fact = unary("exp", unary("lgamma", m1));
  let out = binary("mul", binary("mul", sgn, fact), zetaExp(m1, x));
  out = where(binary("eq", m, k(0)), unary("digamma", x), out);
  const nonNatural = binary("or", binary("ne", m, unary("floor", m)), binary("lt", m, k(0)));
  return where(nonNatural, k(NaN), out);
}

// d ψ⁽ᵐ⁾(x) = ψ⁽ᵐ⁺¹⁾(x) dx; JAX has no derivative in m.
naryop("polygamma", {
  kinds: [FLOAT, FLOAT],
  jvp: defjvp(
    "polygamma",
    () => {
      throw new ValueError("polygamma gradient with respect to m is not supported");
    },
    (g, m, x) => mul(g, polygamma(add(m, constLike(m, 1)), x)),
  ),
  lower: ([m, x]) => polygammaExp(m, x),
});
export const polygamma = laxBinary("polygamma");

// ---- bitwise and shifts ---------------------------------------------------------------------------------

naryop("and", { kinds: [INT_OR_BOOL, INT_OR_BOOL], jvp: "nondiff", lower: bin("and") });
export const bitwiseAnd = laxBinary("and");
naryop("or", { kinds: [INT_OR_BOOL, INT_OR_BOOL], jvp: "nondiff", lower: bin("or") });
export const bitwiseOr = laxBinary("or");
naryop("xor", { kinds: [INT_OR_BOOL, INT_OR_BOOL], jvp: "nondiff", lower: bin("xor") });
export const bitwiseXor = laxBinary("xor");

const FLIP_SIGN: Partial<Record<DType, DType>> = {
  int8: "uint8", int16: "uint16", int32: "uint32", int64: "uint64",
  uint8: "int8", uint16: "int16", uint32: "int32", uint64: "int64",
};

/** A right shift done in the signed (arithmetic) or unsigned (logical) twin of the operands' type. */
function shiftRight(signed: boolean) {
  return ([a, b]: Exp[]): Exp => {
    const d = a.dtype;
    if (isSignedInt(d) === signed) return binary("shr", a, b);
    const t = FLIP_SIGN[d]!;
    return unary("bitcast", binary("shr", unary("bitcast", a, t), unary("bitcast", b, t)), d);
  };
}

// Shifts by the bit width or more give 0 (left, logical) or the sign fill (arithmetic), as XLA.
naryop("shift_left", { kinds: [INT, INT], jvp: "nondiff", lower: bin("shl") });
export const shiftLeft = laxBinary("shift_left");
naryop("shift_right_arithmetic", { kinds: [INT, INT], jvp: "nondiff", lower: shiftRight(true) });
export const shiftRightArithmetic = laxBinary("shift_right_arithmetic");
naryop("shift_right_logical", { kinds: [INT, INT], jvp: "nondiff", lower: shiftRight(false) });
export const shiftRightLogical = laxBinary("shift_right_logical");
