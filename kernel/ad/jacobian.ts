/**
 * @file Jacobians as JAX builds them: `jacfwd` pushes a standard basis of input tangents through
 * a vmapped `jvp` (columns), `jacrev` pulls a standard basis of output cotangents through a
 * vmapped `vjp` (rows); `hessian` is `jacfwd(jacrev(f))`. Inputs and outputs are pytrees: the
 * result has the output's structure with the input's structure inside each output leaf, and a
 * leaf of shape `[...outShape, ...inShape]`. Here the basis is taken one input (or output) leaf
 * at a time, which needs no slicing of a joint basis and gives the same blocks.
 */

import { type Value, bind1, getAval } from "../ir/core.js";
import { type DType, isFloat } from "../ir/dtype.js";
import { type PyTreeDef, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { Zero } from "../ir/rules.js";
import type { ShapedArray } from "../ir/shape.js";
import { broadcastedIota, convertElementType, reshape } from "../lax/structural.js";
import { vmapFlat } from "../batching/vmap.js";
import { type Argnums, argnumsPartial, checkArgnums, checkInputDtypeRev, checkOutputDtypeRev, flattenFun } from "./api.js";
import { jvpTraced } from "./jvp.js";
import { linearizeJaxpr, transposeLinear } from "./linearize.js";
import { instantiateZeros } from "./tangents.js";

export interface JacobianOptions {
  argnums?: Argnums;
  hasAux?: boolean;
  holomorphic?: boolean;
  /** jacrev only: integer inputs get float0 rows, as in JAX. */
  allowInt?: boolean;
}

/** The standard basis of an aval's space, stacked: `[size, ...shape]` with one 1 per row. */
function stdBasis(aval: ShapedArray, dtype: DType): Value {
  const n = aval.size;
  const oneHot = bind1("eq", [broadcastedIota("int32", [n, n], 0), broadcastedIota("int32", [n, n], 1)]);
  return reshape(convertElementType(oneHot, dtype), [n, ...aval.shape]);
}

/** A jacobian block `[...outShape, ...inShape]` in the example's dtype and weak type (JAX's _possible_downcast). */
function block(x: Value, shape: readonly number[], example: ShapedArray): Value {
  return convertElementType(reshape(x, shape), example.dtype, example.weakType);
}

/** The dynamic arguments' leaves and a flat function of them (outputs, then aux leaves). */
function prepare(f: (...a: never[]) => unknown, opts: JacobianOptions, args: unknown[]) {
  const [g, dyn] = argnumsPartial(f, opts.argnums ?? 0, args);
  const [inLeaves, inTree] = treeFlatten(dyn);
  return { inLeaves: inLeaves as Value[], inTree, ...flattenFun(g, inTree, !!opts.hasAux) };
}

/** Each output leaf's place in the jacobian holds the pytree (of the input's structure) of its blocks. */
function assembleLeaves(blocks: Value[][], inTree: PyTreeDef): unknown[] {
  return blocks.map((row) => treeUnflatten(inTree, row));
}

/**
 * `jax.jacfwd(f, argnums, has_aux, holomorphic)`: the Jacobian by forward mode, one vmapped
 * `jvp` per input leaf over the basis of that leaf's tangent space.
 */
export function jacfwd(f: (...a: never[]) => unknown, opts: JacobianOptions = {}): (...args: unknown[]) => unknown {
  checkArgnums(opts.argnums ?? 0);
  return (...args: unknown[]): unknown => {
    const { inLeaves, inTree, flatF, unflatten, st } = prepare(f, opts, args);
    const inAvals = inLeaves.map(getAval);
    for (const a of inAvals) {
      if (opts.holomorphic) throw new TypeError(`jacfwd with holomorphic=True requires inputs with complex dtype, but got ${a.dtype}.`);
      if (!isFloat(a.dtype)) {
        throw new TypeError(
          `jacfwd requires real-valued inputs (input dtype that is a sub-dtype of np.floating), but got ${a.dtype}. ` +
            "For holomorphic differentiation, pass holomorphic=True. For differentiation of non-holomorphic functions involving complex inputs or integer inputs, use jax.jvp directly.",
        );
      }
    }
    // columns[j][i]: d out_i / d in_j with the basis axis last: [...outShape_i, size_j]; aux
    // leaves come out unbatched after the tangents.
    let outs: Value[] = [];
    const columns = inAvals.map((aj, j) => {
      const push = (t: Value): Value[] => {
        const tangents = inAvals.map((a, k) => (k === j ? t : new Zero(a)));
        const [ys, ts] = jvpTraced(flatF, inLeaves, tangents);
        outs = ys;
        return [...ts.slice(0, st.nOut).map(instantiateZeros), ...ys.slice(st.nOut)];
      };
      return vmapFlat(push, [0], (n) => [...new Array<number>(st.nOut).fill(-1), ...new Array<null>(n - st.nOut).fill(null)])(stdBasis(aj, aj.dtype));
    });
    const outAvals = outs.slice(0, st.nOut).map(getAval);
    const blocks = outAvals.map((ao, i) => inAvals.map((aj, j) => block(columns[j][i], [...ao.shape, ...aj.shape], ao)));
    const [jac, aux] = unflatten([...assembleLeaves(blocks, inTree), ...(columns[0] ?? []).slice(st.nOut)]);
    return opts.hasAux ? [jac, aux] : jac;
  };
}

/**
 * `jax.jacrev(f, argnums, has_aux, holomorphic, allow_int)`: the Jacobian by reverse mode,
 * linearizing once and pulling back a vmapped basis of each output leaf's cotangent space.
 */
export function jacrev(f: (...a: never[]) => unknown, opts: JacobianOptions = {}): (...args: unknown[]) => unknown {
  checkArgnums(opts.argnums ?? 0);
  return (...args: unknown[]): unknown => {
    const { inLeaves, inTree, flatF, unflatten, st } = prepare(f, opts, args);
    for (const x of inLeaves) checkInputDtypeRev("jacrev", !!opts.holomorphic, !!opts.allowInt, x);
    const lin = linearizeJaxpr(flatF, inLeaves);
    const outs = lin.primalsOut.slice(0, st.nOut);
    for (const y of outs) checkOutputDtypeRev("jacrev", y);
    const inAvals = inLeaves.map(getAval);
    const outAvals = outs.map(getAval);
    // rows[i][j]: d out_i / d in_j with the basis axis first: [size_i, ...inShape_j].
    const blocks = outAvals.map((ao, i) => {
      const pull = (ct: Value): Value[] => {
        const cts = lin.primalsOut.map((y, k) => (k === i ? ct : new Zero(getAval(y))));
        return transposeLinear(lin, cts).map(instantiateZeros);
      };
      const rows = vmapFlat(pull, [0], 0)(stdBasis(ao, ao.dtype));
      return inAvals.map((aj, j) => block(rows[j], [...ao.shape, ...aj.shape], aj));
    });
    const [jac, aux] = unflatten([...assembleLeaves(blocks, inTree), ...lin.primalsOut.slice(st.nOut)]);
    return opts.hasAux ? [jac, aux] : jac;
  };
}

/** `jax.jacobian`: an alias of `jacrev`. */
export const jacobian = jacrev;

/** `jax.hessian(f, argnums, has_aux, holomorphic)`: `jacfwd(jacrev(f))`. */
export function hessian(f: (...a: never[]) => unknown, opts: Omit<JacobianOptions, "allowInt"> = {}): (...args: unknown[]) => unknown {
  return jacfwd(jacrev(f, opts) as (...a: never[]) => unknown, opts);
}
