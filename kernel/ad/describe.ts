/**
 * @file What the editor's hover shows for a function: its derivative(s) as formulas (via
 * `symbolic.ts`), the second derivative when it fits, and the jaxpr of its gradient; for a
 * function that is not scalar-to-scalar, the jaxpr of `jacfwd` instead.
 */

import { ShapedArray } from "../ir/shape.js";
import { makeJaxpr } from "../ir/jaxpr.js";
import { printJaxpr } from "../ir/print.js";
import { defaultFloat } from "../ir/dtype.js";
import { grad } from "./api.js";
import { jacfwd } from "./jacobian.js";
import { exprsOfJaxpr, formatWithSharing, sym } from "./symbolic.js";

export interface DerivativeDescription {
  name: string;
  formula: string[];
  second?: string[];
  jaxpr?: string;
  error?: string;
}

type Fn = (...args: never[]) => unknown;

/** Names for the arguments: the function's own, else x, y, z, … */
const DEFAULT_ARGS = ["x", "y", "z", "w", "v", "s", "t"];

export function describeDerivative(f: Fn, name: string, argNames: readonly string[]): DerivativeDescription {
  const n = Math.max(1, argNames.length);
  const names = argNames.length ? [...argNames] : DEFAULT_ARGS.slice(0, n);
  const scalar = new ShapedArray([], defaultFloat());
  const scalars = names.map(() => scalar);
  const syms = names.map((a) => sym(a));
  try {
    const grads = names.map((_, i) => makeJaxpr(grad(f, { argnums: i }))(...scalars));
    const exprs = grads.map((j) => exprsOfJaxpr(j, syms)[0]);
    const lhs = n === 1 ? [`${name}′(${names[0]})`] : names.map((a) => `∂${name}/∂${a}`);
    const formula = formatWithSharing(lhs, exprs, names);
    const out: DerivativeDescription = { name, formula, jaxpr: printJaxpr(grads[0]) };
    if (n === 1) {
      const j2 = makeJaxpr(grad(grad(f)))(scalar);
      const second = formatWithSharing([`${name}″(${names[0]})`], exprsOfJaxpr(j2, syms), names);
      if (second.join(" ").length <= 160) out.second = second;
    }
    return out;
  } catch (gradError) {
    try {
      // Not scalar-to-scalar: show the Jacobian's jaxpr instead.
      const j = makeJaxpr(jacfwd(f))(...scalars);
      return { name, formula: [`${name} is not a scalar function of scalars; the jaxpr of jacfwd(${name}):`], jaxpr: printJaxpr(j) };
    } catch {
      return { name, formula: [], error: (gradError as Error).message.split("\n")[0] };
    }
  }
}
