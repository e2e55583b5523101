/**
 * @file The lax functions jnp is built on, under the short names the numpy modules use. jnp
 * promotes operands first, so every call here gets operands of equal dtypes.
 */

import type { Value } from "../ir/core.js";
import type { DType } from "../ir/dtype.js";
import type { Shape } from "../ir/shape.js";
import * as lax from "../lax/index.js";

export {
  neg, sign, floor, ceil, isFinite, exp, exp2, log, log1p, expm1, sqrt, rsqrt, cbrt, logistic, sin, cos, tan, asin, acos,
  atan, sinh, cosh, tanh, asinh, acosh, atanh, abs, square, integerPow, add, sub, mul, div, rem, pow, max, min, atan2,
  nextafter, shiftLeft, shiftRightArithmetic, shiftRightLogical, eq, ne, lt, le, gt, ge, select, selectN, clamp,
  bitcastConvertType, broadcastInDim, reshape, transpose, squeeze, rev, concatenate, pad, slice, dynamicSlice,
  dynamicUpdateSlice, reduceSum, reduceProd, reduceMax, reduceMin, reduceAnd, reduceOr, argmax, argmin, cumsum, cumprod,
  cummax, cummin, cumlogsumexp, sortMulti, dotGeneral, gather, GatherDimensionNumbers, GatherScatterMode, scatter,
  scatterAdd, scatterMul, scatterMin, scatterMax, ScatterDimensionNumbers,
} from "../lax/index.js";

export const not = lax.bitwiseNot;
export const and = lax.bitwiseAnd;
export const or = lax.bitwiseOr;
export const xor = lax.bitwiseXor;
/** lax.round: rounding_method 0 is AWAY_FROM_ZERO, 1 is TO_NEAREST_EVEN. */
export const round = (x: Value, method: 0 | 1): Value => lax.round(x, method);
export const iota = (dtype: DType, shape: Shape, dimension: number): Value => lax.broadcastedIota(dtype, shape, dimension);
