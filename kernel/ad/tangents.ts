/**
 * @file Tangent and cotangent spaces: which values are differentiable, the aval of a tangent,
 * symbolic zeros and their materialization, and JAX's float0 — the (empty) tangent type of
 * integer and boolean values.
 */

import { type Value, getAval } from "../ir/core.js";
import { isFloat } from "../ir/dtype.js";
import { type Shape, ShapedArray, shapeEq, shapeStr } from "../ir/shape.js";
import { type MaybeZero, Zero } from "../ir/rules.js";
import { zerosLikeAval } from "../lax/helpers.js";

/**
 * JAX's float0 array: the tangent or cotangent of an integer or boolean value. It has a shape and
 * no data (every element is the zero of a trivial vector space); `jvp` takes one as the tangent of
 * an integer input, and `vjp`/`grad(allow_int=True)` return one as its cotangent.
 */
export class Float0Array {
  readonly dtype = "float0";
  readonly shape: Shape;
  constructor(shape: Shape) {
    this.shape = Object.freeze([...shape]);
  }
  get ndim(): number {
    return this.shape.length;
  }
  toString(): string {
    return `Float0Array(shape=${shapeStr(this.shape)})`;
  }
}

/** A tangent as the API sees it: a value, a symbolic zero, or float0 zeros for integer primals. */
export type TangentIn = Value | Zero | Float0Array;

/** Floating-point values have tangents; integers and booleans only have float0 zeros. */
export const isDifferentiable = (aval: ShapedArray): boolean => isFloat(aval.dtype);

/**
 * The symbolic zero tangent of a value. A tangent has its primal's aval (JAX's to_tangent_aval:
 * weak types kept, so the gradient of a Python scalar is weakly typed as in JAX); integer and
 * boolean primals keep their own aval too, as their tangents are always symbolic zeros and only
 * leave the AD machinery as float0.
 */
export const zeroTangent = (x: Value): Zero => new Zero(getAval(x));

/** Materializes a symbolic zero (JAX's instantiate_zeros); other tangents pass through. */
export const instantiateZeros = (t: MaybeZero): Value => (t instanceof Zero ? zerosLikeAval(t.aval) : t);

/**
 * A tangent for the API's caller: float0 zeros for integer and boolean values, materialized
 * zeros for symbolic zeros of float values, the tangent otherwise.
 */
export function apiTangent(t: MaybeZero, primalAval: ShapedArray): Value | Float0Array {
  if (!isDifferentiable(primalAval)) return new Float0Array(primalAval.shape);
  return instantiateZeros(t);
}

/**
 * Checks a tangent given for a primal as `jax.jvp` does and turns it into the internal form:
 * integer primals take float0 tangents (which become symbolic zeros); float primals take a
 * value of the same dtype and shape.
 */
export function tangentIn(t: TangentIn, primal: Value, what = "jax.jvp"): MaybeZero {
  const p = getAval(primal);
  if (t instanceof Zero) return t;
  const tDtype = t instanceof Float0Array ? "float0" : getAval(t).dtype;
  const want = isDifferentiable(p) ? p.dtype : "float0";
  if (tDtype !== want) {
    throw new TypeError(
      `primal and tangent arguments to ${what} do not match; dtypes must be equal, or in case of int/bool primal dtype ` +
        `the tangent dtype must be float0.Got primal dtype ${p.dtype} and so expected tangent dtype ${want}, but got tangent dtype ${tDtype} instead.`,
    );
  }
  const tShape = t instanceof Float0Array ? t.shape : getAval(t).shape;
  if (!shapeEq(tShape, p.shape)) {
    const e = new Error(`${what} called with different primal and tangent shapes;Got primal shape ${shapeStr(p.shape)} and tangent shape as ${shapeStr(tShape)}`);
    e.name = "ValueError";
    throw e;
  }
  return t instanceof Float0Array ? new Zero(p) : t;
}
