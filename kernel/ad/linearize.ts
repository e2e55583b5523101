/**
 * @file Reverse mode the JAX way (Autodidax part 4): `linearize` is `jvp` with the primals known
 * and the tangents unknown, partially evaluated into a linear jaxpr from input tangents to output
 * tangents whose consts are the residuals; `vjp` transposes that jaxpr. These are the flat-list
 * entry points (the Python front end flattens pytrees itself); api.ts wraps them for pytrees.
 */

import { type Value, getAval } from "../ir/core.js";
import { SHORT_NAME, type DType } from "../ir/dtype.js";
import { type ClosedJaxpr, evalJaxpr } from "../ir/jaxpr.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type ShapedArray, shapeEq } from "../ir/shape.js";
import { jvpTraced } from "./jvp.js";
import { PartialVal, partialEvalFlat } from "./partial_eval.js";
import { Float0Array, type TangentIn, apiTangent, instantiateZeros, isDifferentiable, tangentIn } from "./tangents.js";
import { backwardPass } from "./transpose.js";

/** A function linearized at a point. */
export interface Linearized {
  primalsOut: Value[];
  /**
   * The linear jaxpr: tangents of the differentiable (float) inputs → tangents of the outputs
   * whose tangent is not symbolically zero; its consts are the residuals.
   */
  jaxpr: ClosedJaxpr;
  inAvals: ShapedArray[];
  /** Which inputs are differentiable, i.e. have a tangent input in `jaxpr`. */
  inNonzeros: boolean[];
  /** Which outputs have a tangent output in `jaxpr` (the others' tangents are zero). */
  outNonzeros: boolean[];
}

/** Linearizes `f` at `primals` into a linear jaxpr (JVP, then partial evaluation). */
export function linearizeJaxpr(f: (...xs: Value[]) => Value[], primals: readonly Value[]): Linearized {
  const inAvals = primals.map(getAval);
  const inNonzeros = inAvals.map(isDifferentiable);
  const n = primals.length;
  const pvals = [...primals.map((p) => PartialVal.known(p)), ...inAvals.filter(isDifferentiable).map((a) => PartialVal.unknown(a))];
  let outNonzeros: boolean[] = [];
  let nOut = 0;
  const fJvp = (...args: Value[]): Value[] => {
    let k = n;
    const tangents = inAvals.map((a, i) => (inNonzeros[i] ? args[k++] : new Zero(a)));
    const [outs, touts] = jvpTraced(f, args.slice(0, n), tangents);
    nOut = outs.length;
    outNonzeros = touts.map((t) => !(t instanceof Zero));
    return [...outs, ...(touts.filter((t) => !(t instanceof Zero)) as Value[])];
  };
  // Primal outputs stay known; every nonzero tangent output is an output of the linear jaxpr.
  const { jaxpr, pvalsOut } = partialEvalFlat(fJvp, pvals, (i) => i >= nOut);
  const primalsOut = pvalsOut.slice(0, nOut).map((p) => {
    if (!p.isKnown) {
      throw new Error(
        "Linearization failed to produce known values for all output primals. This is typically caused by attempting to differentiate " +
          "a function uses an operation that does not support reverse-mode autodiff.",
      );
    }
    return p.value!;
  });
  return { primalsOut, jaxpr, inAvals, inNonzeros, outNonzeros };
}

/** Input tangents → output tangents through the linear jaxpr (symbolic zeros where it has none). */
export function applyLinear(lin: Linearized, tangents: readonly MaybeZero[]): MaybeZero[] {
  const ins = tangents.filter((_, i) => lin.inNonzeros[i]).map(instantiateZeros);
  const outs = evalJaxpr(lin.jaxpr.jaxpr, lin.jaxpr.consts, ins);
  let k = 0;
  return lin.outNonzeros.map((nz, i) => (nz ? outs[k++] : new Zero(getAval(lin.primalsOut[i]))));
}

/** Output cotangents → input cotangents through the transposed linear jaxpr. */
export function transposeLinear(lin: Linearized, cts: readonly MaybeZero[]): MaybeZero[] {
  const args = lin.jaxpr.inAvals.map((a) => new UndefinedPrimal(a));
  const out = backwardPass(lin.jaxpr.jaxpr, lin.jaxpr.consts, args, cts.filter((_, i) => lin.outNonzeros[i]));
  let k = 0;
  return lin.inNonzeros.map((nz, i) => (nz ? out[k++]! : new Zero(lin.inAvals[i])));
}

/**
 * `jax.linearize` on flat lists: the outputs and a function from input tangents (float0 or
 * symbolic zeros for integer inputs) to output tangents (float0 for integer outputs).
 */
export function linearizeFlat(f: (...xs: Value[]) => Value[], primals: readonly Value[]): [Value[], (tangents: readonly TangentIn[]) => (Value | Float0Array)[]] {
  const lin = linearizeJaxpr(f, primals);
  const fLin = (tangents: readonly TangentIn[]): (Value | Float0Array)[] => {
    if (tangents.length !== primals.length) throw new TypeError(`the linearized function takes ${primals.length} tangents, got ${tangents.length}`);
    const ts = tangents.map((t, i) => tangentIn(t, primals[i], "jax.linearize"));
    return applyLinear(lin, ts).map((t, i) => apiTangent(t, getAval(lin.primalsOut[i])));
  };
  return [lin.primalsOut, fLin];
}

/**
 * `jax.vjp` on flat lists: the outputs and the pullback from output cotangents (one per output;
 * float0 or symbolic zeros for integer outputs) to input cotangents (float0 for integer inputs).
 */
export function vjpFlat(f: (...xs: Value[]) => Value[], primals: readonly Value[]): [Value[], (cts: readonly TangentIn[]) => (Value | Float0Array)[]] {
  const lin = linearizeJaxpr(f, primals);
  const outAvals = lin.primalsOut.map(getAval);
  const pullback = (cts: readonly TangentIn[]): (Value | Float0Array)[] => {
    if (cts.length !== outAvals.length) throw new TypeError(`the VJP function takes ${outAvals.length} cotangents, got ${cts.length}`);
    const inCts = transposeLinear(lin, cts.map((ct, i) => checkCotangent(ct, outAvals[i])));
    return inCts.map((ct, i) => apiTangent(ct, getAval(primals[i])));
  };
  return [lin.primalsOut, pullback];
}

const typeStr = (dtype: DType | "float0", shape: readonly number[]): string => `${dtype === "float0" ? "float0" : SHORT_NAME[dtype]}[${shape.join(",")}]`;

/** JAX's check of a cotangent passed to a VJP function (`_vjp_check_ct_avals`). */
function checkCotangent(ct: TangentIn, aval: ShapedArray): MaybeZero {
  if (ct instanceof Zero) return ct;
  const want = isDifferentiable(aval) ? aval.dtype : "float0";
  const [dtype, shape] = ct instanceof Float0Array ? ["float0" as const, ct.shape] : [getAval(ct).dtype, getAval(ct).shape];
  if (dtype !== want || !shapeEq(shape, aval.shape)) {
    const e = new Error(
      `unexpected JAX type (e.g. shape/dtype) for argument to VJP function: got ${typeStr(dtype, shape)}, but expected ${typeStr(want, aval.shape)} ` +
        `because the corresponding output of the differentiated function had JAX type ${aval.strShort()}`,
    );
    e.name = "ValueError";
    throw e;
  }
  return ct instanceof Float0Array ? new Zero(aval) : ct;
}
