/**
 * @file What `custom_jvp` and `custom_vjp` share: splitting the arguments into static
 * (`nondiff_argnums`) and differentiable ones, tracing the function once into a closed-over-free
 * jaxpr (closed-over values become leading operands, JAX's `num_consts`), checking a rule's
 * output types, and printing the call equations as JAX does (`name=` first, then sorted params,
 * rules by name, `num_consts` only when nonzero).
 */

import { type Value, JaxValue, Tracer, bind1, getAval } from "../ir/core.js";
import { ClosedJaxpr, type JaxprEqn, traceToJaxpr } from "../ir/jaxpr.js";
import { type Doc, type PpContext, concat, ppParams, ppVars, registerPpEqnRule, text } from "../ir/print.js";
import { type PyTreeDef, treeDefEqual, treeDefStr, treeFlatten, treeMap } from "../ir/pytree.js";
import type { ShapedArray } from "../ir/shape.js";
import { convertConstvars } from "./partial_eval.js";

export type Fn = (...args: never[]) => unknown;
export const callFn = (f: Fn, args: readonly unknown[]): unknown => (f as (...a: unknown[]) => unknown)(...args);

/** A function's name as JAX's debug info gives it (`<lambda>` for anonymous ones). */
export const funName = (f: Fn): string => f.name || "<lambda>";

/** The arguments split into static ones (at `nondiff`) and the pytree leaves of the others. */
export function splitArgs(args: readonly unknown[], nondiff: readonly number[]) {
  const isStatic = (i: number): boolean => nondiff.includes(i) || nondiff.includes(i - args.length);
  const staticArgs = args.filter((_, i) => isStatic(i));
  const dyn = args.filter((_, i) => !isStatic(i));
  const [leaves, inTree] = treeFlatten(dyn);
  for (const l of leaves) {
    if (!(l instanceof JaxValue || typeof l === "number" || typeof l === "boolean")) {
      throw new TypeError(`Value ${String(l)} of type ${typeof l} is not a valid JAX type (custom_jvp/custom_vjp arguments must be arrays or scalars; mark others with nondiff_argnums)`);
    }
  }
  /** All the arguments again, from the static ones and a tree of the dynamic ones. */
  const merge = (dynArgs: readonly unknown[]): unknown[] => {
    let s = 0, d = 0;
    return args.map((_, i) => (isStatic(i) ? staticArgs[s++] : dynArgs[d++]));
  };
  return { staticArgs, leaves: leaves as Value[], inTree, merge };
}

/** Static arguments are constants to differentiation: tracers among them go through stop_gradient (as JAX). */
export const stopGradientTracers = (x: unknown): unknown => treeMap((l) => (l instanceof Tracer ? bind1("stop_gradient", [l]) : l), x);

/**
 * Traces `f` (of the dynamic leaves) into a jaxpr with its closed-over values as leading inputs.
 * Returns the jaxpr, those values (`num_consts` operands) and the output tree.
 */
export function traceClosureConverted(f: (...xs: Value[]) => unknown, avals: readonly ShapedArray[]): { callJaxpr: ClosedJaxpr; consts: Value[]; outTree: PyTreeDef } {
  let outTree: PyTreeDef | undefined;
  const flat = (...xs: Value[]): Value[] => {
    const [leaves, t] = treeFlatten(f(...xs));
    outTree = t;
    return leaves as Value[];
  };
  const closed = traceToJaxpr(flat, avals);
  return { callJaxpr: new ClosedJaxpr(convertConstvars(closed.jaxpr), []), consts: [...closed.consts], outTree: outTree! };
}

/** `{'a': f32[], 'b': (f32[3],)}`-style type tree for messages (JAX's ty_tree). */
function typeTree(tree: PyTreeDef, types: readonly string[]): string {
  let i = 0;
  return treeDefStr(tree).replace(/^PyTreeDef\((.*)\)$/, "$1").replace(/\*/g, () => types[i++]);
}

/** Checks that a rule's primal output has the function's output tree and types (JAX's messages). */
export function checkPrimalOut(
  kind: "JVP" | "VJP fwd", ruleName: string, primalName: string, what: string,
  tree: PyTreeDef, leaves: readonly Value[], wantTree: PyTreeDef, wantAvals: readonly ShapedArray[],
): void {
  const avalsOk = leaves.length === wantAvals.length && leaves.every((l, i) => {
    const a = getAval(l);
    return a.dtype === wantAvals[i].dtype && a.ndim === wantAvals[i].ndim && a.shape.every((d, k) => d === wantAvals[i].shape[k]);
  });
  const structOk = treeDefEqual(tree, wantTree);
  if (structOk && avalsOk) return;
  const got = typeTree(tree, leaves.map((l) => getAval(l).strShort()));
  const want = typeTree(wantTree, wantAvals.map((a) => a.strShort()));
  const head = `Custom ${kind} rule ${ruleName} for function ${primalName} must produce a pair (list or tuple of length two) ${what}`;
  if (!structOk) {
    throw new TypeError(`${head}, but instead the ${kind === "JVP" ? "JVP rule" : "fwd rule"} output's first element had container/pytree structure:\n    ${got}\nwhile the custom_${kind === "JVP" ? "jvp" : "vjp"}-decorated function ${primalName} had output container/pytree structure:\n    ${want}.`);
  }
  throw new TypeError(`${head}, but instead the ${kind === "JVP" ? "JVP rule" : "fwd rule"} output's first element had shapes/dtypes of:\n    ${got}\nwhile the custom_${kind === "JVP" ? "jvp" : "vjp"}-decorated function ${primalName} had output shapes/dtypes of:\n    ${want}`);
}

/**
 * Registers JAX's printing of a custom call equation: `name=` (the function's), then the params
 * in sorted order with rules shown by name and `num_consts` dropped when zero.
 */
export function registerCustomCallPrinter(prim: string, name: (params: Record<string, unknown>) => string, shown: (params: Record<string, unknown>) => Record<string, unknown>): void {
  registerPpEqnRule(prim, (eqn: JaxprEqn, ctx: PpContext): Doc => {
    const lhs = ppVars(eqn.outBinders, ctx, { shapes: true });
    const params: Record<string, unknown> = shown(eqn.params as Record<string, unknown>);
    if (!params.num_consts) delete params.num_consts;
    const keys = ["name", ...Object.keys(params).sort()];
    params.name = name(eqn.params as Record<string, unknown>);
    const rhs = concat(text(eqn.primitive), ppParams(params, ctx, keys), text(" "), ppVars(eqn.inputs, ctx));
    return concat(lhs, text(" = "), rhs);
  });
}
