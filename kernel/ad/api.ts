/**
 * @file The differentiation API over pytrees, as `jax.*`: `jvp`, `vjp`, `linearize`, `grad`,
 * `valueAndGrad`, `linearTranspose` (jacobians are in jacobian.ts), with JAX's argument handling
 * (`argnums` as an int or a tuple, `hasAux`, `allowInt`) and JAX's errors.
 */

import { type Value, JaxValue, TypedScalar, getAval } from "../ir/core.js";
import { isBool, isFloat, isInt } from "../ir/dtype.js";
import { type PyTreeDef, treeDefEqual, treeDefStr, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { ShapedArray, shapeEq, shapeStr } from "../ir/shape.js";
import { jvpFlat } from "./jvp.js";
import { linearizeFlat, vjpFlat } from "./linearize.js";
import { PartialVal, partialEvalFlat } from "./partial_eval.js";
import { Float0Array, type TangentIn, instantiateZeros } from "./tangents.js";
import { backwardPass } from "./transpose.js";

export type Argnums = number | readonly number[];
type Fn = (...args: never[]) => unknown;
const call = (f: Fn, args: readonly unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);

/** Python's str of argnums in messages: `0` or `(0, 1)`. */
const argnumsStr = (a: Argnums): string => (typeof a === "number" ? String(a) : a.length === 1 ? `(${a[0]},)` : `(${a.join(", ")})`);

export function checkArgnums(argnums: Argnums): void {
  const ok = (i: unknown): boolean => Number.isInteger(i);
  if (typeof argnums === "number" ? !ok(argnums) : !Array.isArray(argnums) || !argnums.every(ok)) {
    throw new TypeError(`argnums must be an int or a tuple of ints, got ${String(argnums)}`);
  }
}

/**
 * The arguments at `argnums` (one, or a tuple) and a function of them with the other arguments
 * fixed (JAX's argnums_partial).
 */
export function argnumsPartial(f: Fn, argnums: Argnums, args: readonly unknown[]): [(dyn: unknown) => unknown, unknown] {
  const nums = typeof argnums === "number" ? [argnums] : argnums;
  const max = Math.max(...nums);
  if (max >= args.length) {
    throw new TypeError(
      `differentiating with respect to argnums=${argnumsStr(argnums)} requires at least ${max + 1} positional arguments to be passed by the caller, but got only ${args.length} positional arguments.`,
    );
  }
  const pos = nums.map((i) => (i < 0 ? i + args.length : i));
  const dyn = typeof argnums === "number" ? args[pos[0]] : pos.map((i) => args[i]);
  const g = (d: unknown): unknown => {
    const full = [...args];
    if (typeof argnums === "number") full[pos[0]] = d;
    else pos.forEach((p, k) => (full[p] = (d as unknown[])[k]));
    return call(f, full);
  };
  return [g, dyn];
}

/** A pytree's leaves as values (numbers and booleans are Python scalars). */
function valueLeaves(tree: unknown, what: string): [Value[], PyTreeDef] {
  const [leaves, def] = treeFlatten(tree);
  for (const l of leaves) {
    if (!(l instanceof JaxValue || typeof l === "number" || typeof l === "boolean")) {
      throw new TypeError(`Argument '${String(l)}' of type ${typeof l} is not a valid JAX type (in ${what})`);
    }
  }
  return [leaves as Value[], def];
}

/** `has_aux` functions return a pair `[out, aux]`; JAX's error otherwise. */
function splitAux(out: unknown): [unknown, unknown] {
  if (!Array.isArray(out) || out.length !== 2) {
    throw new TypeError(`expected function with aux output to return a two-element tuple, but got ${Array.isArray(out) ? `a tuple of length ${out.length}` : typeof out}`);
  }
  return [out[0], out[1]];
}

/**
 * A pytree function as a flat one; aux outputs (with `hasAux`) ride along as extra outputs, so
 * the transformation strips exactly its own tracers from them (JAX's _strip_tracer).
 */
export function flattenFun(fn: (x: unknown) => unknown, inTree: PyTreeDef, hasAux: boolean) {
  const st: { outTree?: PyTreeDef; auxTree?: PyTreeDef; auxValues: boolean[]; auxOther: unknown[]; nOut: number } = { auxValues: [], auxOther: [], nOut: 0 };
  const flatF = (...xs: Value[]): Value[] => {
    let out = fn(treeUnflatten(inTree, xs));
    let auxLeaves: unknown[] = [];
    if (hasAux) {
      let aux: unknown;
      [out, aux] = splitAux(out);
      [auxLeaves, st.auxTree] = treeFlatten(aux);
    }
    const [outLeaves, outTree] = valueLeaves(out, "the function's output");
    st.outTree = outTree;
    st.nOut = outLeaves.length;
    st.auxValues = auxLeaves.map((l) => l instanceof JaxValue);
    st.auxOther = auxLeaves.filter((l) => !(l instanceof JaxValue));
    return [...outLeaves, ...(auxLeaves.filter((l) => l instanceof JaxValue) as Value[])];
  };
  /** Splits the flat outputs back into the output tree and the aux tree. */
  const unflatten = (flatOuts: readonly unknown[]): [unknown, unknown] => {
    const out = treeUnflatten(st.outTree!, flatOuts.slice(0, st.nOut));
    if (!hasAux) return [out, undefined];
    const vals = flatOuts.slice(st.nOut);
    let v = 0, o = 0;
    return [out, treeUnflatten(st.auxTree!, st.auxValues.map((isVal) => (isVal ? vals[v++] : st.auxOther[o++])))];
  };
  return { flatF, unflatten, st };
}

// ---- jvp, vjp and linearize --------------------------------------------------------------------

const typeName = (x: unknown): string => (Array.isArray(x) ? "list" : x === null ? "NoneType" : typeof x);

/**
 * `jax.jvp(f, primals, tangents)`: `primals` and `tangents` are arrays (tuples) of arguments with
 * equal pytree structure (float0 tangents for integer primals). Returns `[primalsOut,
 * tangentsOut]` (plus `aux` with `hasAux`).
 */
export function jvp(f: Fn, primals: readonly unknown[], tangents: readonly unknown[], opts: { hasAux?: boolean } = {}): unknown[] {
  if (!Array.isArray(primals) || !Array.isArray(tangents)) {
    throw new TypeError(`primal and tangent arguments to jax.jvp must be tuples or lists; found ${typeName(primals)} and ${typeName(tangents)}.`);
  }
  const [leaves, inTree] = valueLeaves(primals, "jvp primals");
  const [tLeaves, tTree] = treeFlatten(tangents, (x) => x instanceof Zero || x instanceof Float0Array);
  if (!treeDefEqual(inTree, tTree)) {
    throw new TypeError(`primal and tangent arguments to jax.jvp must have the same tree structure; primals have tree structure ${treeDefStr(inTree)} whereas tangents have tree structure ${treeDefStr(tTree)}.`);
  }
  const { flatF, unflatten, st } = flattenFun((p) => call(f, p as unknown[]), inTree, !!opts.hasAux);
  const [outs, touts] = jvpFlat(flatF, leaves, tLeaves as TangentIn[]);
  const [out, aux] = unflatten(outs);
  const tout = treeUnflatten(st.outTree!, touts.slice(0, st.nOut));
  return opts.hasAux ? [out, tout, aux] : [out, tout];
}

/**
 * `jax.vjp(f, *primals)`: `vjp(f, primals)` returns `[out, vjpFun]` (and `aux` with `hasAux`),
 * where `vjpFun(ct)` takes a cotangent shaped like `out` and returns the cotangents of the
 * primals as a tuple (float0 for integer primals).
 */
export function vjp(f: Fn, primals: readonly unknown[], opts: { hasAux?: boolean } = {}): unknown[] {
  const [leaves, inTree] = valueLeaves(primals, "vjp primals");
  const { flatF, unflatten, st } = flattenFun((p) => call(f, p as unknown[]), inTree, !!opts.hasAux);
  const [outs, pullback] = vjpFlat(flatF, leaves);
  const [out, aux] = unflatten(outs);
  const vjpFun = (ct: unknown): unknown => {
    const [ctLeaves, ctTree] = treeFlatten(ct, (x) => x instanceof Zero || x instanceof Float0Array);
    if (!treeDefEqual(ctTree, st.outTree!)) {
      const e = new Error(`unexpected tree structure of argument to vjp function: got ${treeDefStr(ctTree)}, but expected to match ${treeDefStr(st.outTree!)}`);
      e.name = "ValueError";
      throw e;
    }
    const auxZeros = outs.slice(st.nOut).map((a) => new Zero(getAval(a)));
    return treeUnflatten(inTree, pullback([...(ctLeaves as TangentIn[]), ...auxZeros]));
  };
  return opts.hasAux ? [out, vjpFun, aux] : [out, vjpFun];
}

/**
 * `jax.linearize(f, *primals)`: `linearize(f, primals)` returns `[out, fJvp]` (and `aux`), where
 * `fJvp(...tangents)` evaluates the JVP at `primals` with the linear jaxpr (no re-tracing).
 */
export function linearize(f: Fn, primals: readonly unknown[], opts: { hasAux?: boolean } = {}): unknown[] {
  const [leaves, inTree] = valueLeaves(primals, "linearize primals");
  const { flatF, unflatten } = flattenFun((p) => call(f, p as unknown[]), inTree, !!opts.hasAux);
  const [outs, fLin] = linearizeFlat(flatF, leaves);
  const [out, aux] = unflatten(outs);
  const fJvp = (...tangents: unknown[]): unknown => {
    const [tLeaves, tTree] = treeFlatten(tangents, (x) => x instanceof Zero || x instanceof Float0Array);
    if (!treeDefEqual(tTree, inTree)) {
      throw new TypeError(`linearized function called on tangent values inconsistent with the original primal values: got tangent tree ${treeDefStr(tTree)} for primal tree ${treeDefStr(inTree)}.`);
    }
    return unflatten(fLin(tLeaves as TangentIn[]))[0];
  };
  return opts.hasAux ? [out, fJvp, aux] : [out, fJvp];
}

// ---- grad ---------------------------------------------------------------------------------------

export interface GradOptions {
  argnums?: Argnums;
  hasAux?: boolean;
  /** Holomorphic differentiation needs complex dtypes, which jaxnb does not have. */
  holomorphic?: boolean;
  /** Allows integer inputs, whose gradients are float0 (as JAX). */
  allowInt?: boolean;
}

/** JAX's input check for reverse-mode derivatives (`_check_input_dtype_revderiv`). */
export function checkInputDtypeRev(name: string, holomorphic: boolean, allowInt: boolean, x: Value): void {
  const dtype = getAval(x).dtype;
  if (holomorphic) throw new TypeError(`${name} with holomorphic=True requires inputs with complex dtype, but got ${dtype}.`);
  if ((isInt(dtype) || isBool(dtype)) && !allowInt) {
    throw new TypeError(
      `${name} requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), but got ${dtype}. ` +
        "If you want to use Boolean- or integer-valued inputs, use vjp or set allow_int to True.",
    );
  }
}

/** JAX's output check for reverse-mode derivatives (`_check_output_dtype_revderiv`). */
export function checkOutputDtypeRev(name: string, x: Value): void {
  const dtype = getAval(x).dtype;
  if (!isFloat(dtype)) {
    throw new TypeError(
      `${name} requires real-valued outputs (output dtype that is a sub-dtype of np.floating), but got ${dtype}. ` +
        "For differentiation of functions with integer outputs, use jax.vjp directly.",
    );
  }
}

/** JAX's `_check_scalar`: grad needs a scalar output. */
function checkScalar(out: unknown): ShapedArray {
  const msg = (s: string): string => `Gradient only defined for scalar-output functions. Output ${s}.`;
  if (!(out instanceof JaxValue || typeof out === "number" || typeof out === "boolean")) throw new TypeError(msg(`was ${pyRepr(out)}`));
  const aval = getAval(out);
  if (aval.ndim !== 0) {
    const extract = aval.size === 1 ? `extract the scalar with output.reshape(())${aval.ndim === 1 ? " or output[0]" : ""}, ` : "";
    throw new TypeError(
      msg(`had shape: ${shapeStr(aval.shape)}`) +
        ` To get the gradient, ${extract}reduce the output to a scalar with output.sum(), or use jax.jacobian to differentiate a function with a non-scalar output.`,
    );
  }
  return aval;
}

/** Python's repr of a small output pytree, for messages. */
function pyRepr(x: unknown): string {
  if (x === null || x === undefined) return "None";
  if (Array.isArray(x)) return x.length === 1 ? `(${pyRepr(x[0])},)` : `(${x.map(pyRepr).join(", ")})`;
  if (typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype) {
    return `{${Object.entries(x as object).map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(", ")}}`;
  }
  return String(x);
}

/**
 * `jax.value_and_grad(f, argnums, has_aux, holomorphic, allow_int)`: the returned function gives
 * `[value, grad]` (`[[value, aux], grad]` with `hasAux`); the gradient has the structure of the
 * argument at `argnums` (a tuple of them when `argnums` is a tuple).
 */
export function valueAndGrad(f: Fn, opts: GradOptions = {}): (...args: unknown[]) => [unknown, unknown] {
  const argnums = opts.argnums ?? 0;
  checkArgnums(argnums);
  if (typeof f !== "function") throw new TypeError(`Expected a callable value, got ${String(f)}`);
  return (...args: unknown[]): [unknown, unknown] => {
    const [g, dyn] = argnumsPartial(f, argnums, args);
    const [leaves, inTree] = valueLeaves(dyn, "grad arguments");
    for (const x of leaves) checkInputDtypeRev("grad", !!opts.holomorphic, !!opts.allowInt, x);
    const { flatF, unflatten, st } = flattenFun(g, inTree, !!opts.hasAux);
    const [outs, pullback] = vjpFlat(flatF, leaves);
    const [out, aux] = unflatten(outs);
    const aval = checkScalar(out);
    checkOutputDtypeRev("grad", outs[0]);
    // The output cotangent 1 has the output's dtype and weak type (lax._one_vjp).
    const one = new TypedScalar(1, aval.dtype, aval.weakType);
    const auxZeros = outs.slice(st.nOut).map((a) => new Zero(getAval(a)));
    const grads = treeUnflatten(inTree, pullback([one, ...auxZeros]));
    return [opts.hasAux ? [out, aux] : out, grads];
  };
}

/** `jax.grad(f, argnums, has_aux, holomorphic, allow_int)`: the gradient (with `hasAux`, `[grad, aux]`). */
export function grad(f: Fn, opts: GradOptions = {}): (...args: unknown[]) => unknown {
  const vg = valueAndGrad(f, opts);
  return (...args: unknown[]): unknown => {
    const [v, g] = vg(...args);
    return opts.hasAux ? [g, (v as unknown[])[1]] : g;
  };
}

// ---- linear_transpose ------------------------------------------------------------------------------

/**
 * `jax.linear_transpose(f, *primals)`: the transpose of a function promised to be linear, traced at
 * the shapes/dtypes of `primals` (arrays or ShapedArrays). The result maps an output cotangent to
 * a tuple of input cotangents.
 */
export function linearTranspose(f: Fn, ...primals: unknown[]): (ct: unknown) => unknown[] {
  const [leaves, inTree] = treeFlatten(primals);
  const inAvals = leaves.map((x) => (x instanceof ShapedArray ? x : getAval(x as Value)));
  let outTree: PyTreeDef | undefined;
  const flatF = (...xs: Value[]): Value[] => {
    const [outs, t] = valueLeaves(call(f, treeUnflatten(inTree, xs) as unknown[]), "linear_transpose output");
    outTree = t;
    return outs;
  };
  const { jaxpr, pvalsOut } = partialEvalFlat(flatF, inAvals.map((a) => PartialVal.unknown(a)), true);
  const outAvals = pvalsOut.map((p) => p.aval);
  const dtypes = [...inAvals, ...outAvals].map((a) => a.dtype);
  if (!(dtypes.every(isFloat) || dtypes.every(isInt))) {
    throw new TypeError(
      "linear_transpose only supports [float or complex] -> [float or complex], and integer -> integer functions, " +
        `but got [${inAvals.map((a) => `dtype('${a.dtype}')`).join(", ")}] -> [${outAvals.map((a) => `dtype('${a.dtype}')`).join(", ")}].`,
    );
  }
  return (ct: unknown): unknown[] => {
    const [cts, ctTree] = treeFlatten(ct);
    if (!treeDefEqual(ctTree, outTree!)) {
      throw new TypeError(`cotangent tree does not match function output, expected ${treeDefStr(outTree!)} but got ${treeDefStr(ctTree)}`);
    }
    cts.forEach((c, i) => {
      const a = getAval(c as Value);
      if (a.dtype !== outAvals[i].dtype || !shapeEq(a.shape, outAvals[i].shape)) {
        throw new TypeError(`cotangent type does not match function output, expected ${outAvals.map((x) => x.strShort()).join(", ")} but got ${cts.map((x) => getAval(x as Value).strShort()).join(", ")}`);
      }
    });
    const inCts = backwardPass(jaxpr.jaxpr, jaxpr.consts, inAvals.map((a) => new UndefinedPrimal(a)), cts as MaybeZero[]);
    return treeUnflatten(inTree, inCts.map((c) => instantiateZeros(c!))) as unknown[];
  };
}

