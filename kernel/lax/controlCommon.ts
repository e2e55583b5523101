/**
 * @file What the control-flow primitives share: tracing a Python-like function once into a
 * closed jaxpr whose captured constants become explicit leading inputs (JAX's
 * `_initial_style_jaxpr` + `separate_consts`), list helpers, input-to-output forwarding, JAX's
 * carry/branch type checks and their messages, and the slicing/stacking the eager impls use.
 */

import { type Value, ConcreteArray, TypedScalar, bind1, getAval } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, Var, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { type PyTreeDef, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { ShapedArray } from "../ir/shape.js";
import { resultType } from "../ir/dtype.js";
import { convertElementType, reshape } from "./structural.js";
import { concatenate, dynamicSlice } from "./slicing.js";

// ---- lists --------------------------------------------------------------------------------------

/** Splits `xs` into consecutive pieces of the given sizes plus the rest (JAX's split_list). */
export function splitList<T>(xs: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let k = 0;
  for (const n of sizes) {
    out.push(xs.slice(k, k + n));
    k += n;
  }
  out.push(xs.slice(k));
  return out;
}

/** Splits `xs` by a mask: [where false, where true] (JAX's partition_list). */
export function partitionList<T>(mask: readonly boolean[], xs: readonly T[]): [T[], T[]] {
  return [xs.filter((_, i) => !mask[i]), xs.filter((_, i) => mask[i])];
}

/** Interleaves two lists back by a mask (JAX's merge_lists). */
export function mergeLists<T>(mask: readonly boolean[], whereFalse: readonly T[], whereTrue: readonly T[]): T[] {
  let i = 0;
  let j = 0;
  return mask.map((m) => (m ? whereTrue[j++] : whereFalse[i++]));
}

// ---- tracing functions into jaxprs ---------------------------------------------------------------

/** A traced function: a closed jaxpr without constvars whose first `consts.length` inputs are its captured values. */
export interface TracedFun {
  readonly jaxpr: ClosedJaxpr;
  readonly consts: Value[];
  readonly outTree: PyTreeDef;
}

/** A closed jaxpr's constvars as leading invars; their values returned separately (JAX's separate_consts). */
export function separateConsts(closed: ClosedJaxpr): [ClosedJaxpr, Value[]] {
  const j = closed.jaxpr;
  if (!j.constvars.length) return [closed, []];
  return [new ClosedJaxpr(new Jaxpr([], [...j.constvars, ...j.invars], j.eqns, j.outs), []), [...closed.consts]];
}

/**
 * Traces `f` (a function of pytrees) at the avals of the flattened `argTrees` leaves. Values `f`
 * closes over (arrays, tracers of enclosing transformations) become leading inputs, so that every
 * transformation sees them as operands of the primitive.
 */
export function traceFun(f: (...args: never[]) => unknown, argTrees: readonly unknown[], avals: readonly ShapedArray[]): TracedFun {
  const [, inTree] = treeFlatten(argTrees);
  let outTree: PyTreeDef | undefined;
  const flat = (...xs: Value[]): Value[] => {
    const out = (f as (...a: unknown[]) => unknown)(...(treeUnflatten(inTree, xs) as unknown[]));
    const [leaves, t] = treeFlatten(out);
    outTree = t;
    return leaves.map(checkLeaf);
  };
  const [jaxpr, consts] = separateConsts(traceToJaxpr(flat, avals));
  return { jaxpr, consts, outTree: outTree! };
}

function checkLeaf(x: unknown): Value {
  if (typeof x === "number" || typeof x === "boolean" || (typeof x === "object" && x !== null && "aval" in x)) return x as Value;
  throw new TypeError(`Value ${String(x)} of type ${typeof x} is not a valid JAX type`);
}

/** The values of a pytree's leaves (JS numbers and booleans are weakly typed scalars). */
export function flattenValues(tree: unknown): [Value[], PyTreeDef] {
  const [leaves, def] = treeFlatten(tree);
  return [leaves.map(checkLeaf), def];
}

/** The host value of a concrete scalar (an eager impl's index or predicate). */
export function hostScalar(x: Value): number | boolean {
  if (x instanceof ConcreteArray) return x.item();
  if (typeof x === "number" || typeof x === "boolean") return x;
  throw new TypeError(`Expected a concrete scalar, got ${String(x)}`);
}

/** Evaluates a closed jaxpr on the current traces. */
export const callJaxpr = (j: ClosedJaxpr, args: readonly Value[]): Value[] => evalJaxpr(j.jaxpr, j.consts, args);

/**
 * The outputs of an eager impl as arrays: a jaxpr output that is a literal (a branch returning a
 * constant) comes back as a host scalar, which eager callers must not see.
 */
export function concreteOutputs(outs: readonly Value[], avals: readonly ShapedArray[]): Value[] {
  return outs.map((o, i) => (o instanceof TypedScalar || typeof o === "number" || typeof o === "boolean"
    ? convertElementType(o, avals[i].dtype, avals[i].weakType)
    : o));
}

/** For each output: the index of the input it merely forwards, or null (JAX's _jaxpr_forwarding). */
export function jaxprForwarding(j: Jaxpr): (number | null)[] {
  return j.outs.map((o) => (o instanceof Var ? j.invars.indexOf(o) : -1)).map((i) => (i < 0 ? null : i));
}

/** A closed jaxpr keeping only the outputs where `keep` is true. */
export function pruneOutputs(closed: ClosedJaxpr, keep: readonly boolean[]): ClosedJaxpr {
  if (keep.every((k) => k)) return closed;
  const j = closed.jaxpr;
  return new ClosedJaxpr(new Jaxpr(j.constvars, j.invars, j.eqns, j.outs.filter((_, i) => keep[i])), closed.consts);
}

/** A closed jaxpr with the invars where `front` is true moved to the front (JAX's move_binders_to_front). */
export function moveBindersToFront(closed: ClosedJaxpr, front: readonly boolean[]): ClosedJaxpr {
  const j = closed.jaxpr;
  const [rest, moved] = partitionList(front, j.invars);
  return new ClosedJaxpr(new Jaxpr(j.constvars, [...moved, ...rest], j.eqns, j.outs), closed.consts);
}

/** A closed jaxpr with the invars where `back` is true moved to the back. */
export function moveBindersToBack(closed: ClosedJaxpr, back: readonly boolean[]): ClosedJaxpr {
  const j = closed.jaxpr;
  const [rest, moved] = partitionList(back, j.invars);
  return new ClosedJaxpr(new Jaxpr(j.constvars, [...rest, ...moved], j.eqns, j.outs), closed.consts);
}

// ---- types and JAX's messages ----------------------------------------------------------------------

/** JAX's typematch: equal shapes and dtypes, weak types ignored. */
export const typematch = (a: ShapedArray, b: ShapedArray): boolean =>
  a.dtype === b.dtype && a.ndim === b.ndim && a.shape.every((d, i) => d === b.shape[i]);

/** `f32[3]`, as JAX's str_short. */
export const avalStr = (a: ShapedArray): string => a.strShort();

/** JAX's aval_mismatch_extra: what differs between two avals. */
export function mismatchExtra(a: ShapedArray, b: ShapedArray): string {
  const m: string[] = [];
  if (a.dtype !== b.dtype) m.push("the dtypes do not match");
  if (!(a.ndim === b.ndim && a.shape.every((d, i) => d === b.shape[i]))) m.push("the shapes do not match");
  if (!m.length) return "";
  return m.length === 1 ? `, so ${m[0]}` : `, so ${m.slice(0, -1).join(", ")}, and ${m[m.length - 1]}`;
}

/** The keystr path of each leaf of a tree (`[0]`, `['a']`), for messages. */
export function leafPaths(def: PyTreeDef): string[] {
  const out: string[] = [];
  const go = (d: PyTreeDef, p: string): void => {
    switch (d.kind) {
      case "leaf": out.push(p); break;
      case "none": break;
      case "list": d.children.forEach((c, i) => go(c, `${p}[${i}]`)); break;
      case "dict": d.children.forEach((c, i) => go(c, `${p}['${d.keys[i]}']`)); break;
      case "custom": d.children.forEach((c, i) => go(c, `${p}[<flat index ${i}>]`)); break;
    }
  };
  go(def, "");
  return out;
}

const capitalize = (s: string): string => s[0].toUpperCase() + s.slice(1);

/** A bulleted or single-sentence list of differences, as JAX formats them. */
export function listDiffs(diffs: readonly string[]): string {
  if (diffs.length === 1) return `${capitalize(diffs[0])}.\n`;
  return diffs.slice(0, -1).map((d) => `  * ${d};\n`).join("") + `  * ${diffs[diffs.length - 1]}.\n`;
}

/** JAX's _check_carry_type: the carry output must have the input's tree structure and types. */
export function checkCarryType(name: string, inTree: PyTreeDef, inAvals: readonly ShapedArray[], outTree: PyTreeDef, outAvals: readonly ShapedArray[]): void {
  const component = (p: string) => (p ? `the input carry at path ${p}` : "the input carry");
  if (JSON.stringify(stripDef(inTree)) !== JSON.stringify(stripDef(outTree))) {
    throw new TypeError(
      `${name} function carry input and carry output must have the same pytree structure, but they differ:\n\n` +
        `the input tree structure is:\n${treeStr(inTree)}\nthe output tree structure is:\n${treeStr(outTree)}\n\n` +
        "Revise the function so that the carry output has the same pytree structure as the carry input.",
    );
  }
  const paths = leafPaths(inTree);
  const diffs = inAvals.flatMap((a, i) => (typematch(a, outAvals[i]) ? [] : [
    `${component(paths[i])} has type ${avalStr(a)} but the corresponding output carry component has type ${avalStr(outAvals[i])}${mismatchExtra(a, outAvals[i])}`,
  ]));
  if (diffs.length) {
    throw new TypeError(
      `${name} function carry input and carry output must have equal types, but they differ:\n\n${listDiffs(diffs)}\n` +
        "Revise the function so that all output types match the corresponding input types.",
    );
  }
}

const stripDef = (d: PyTreeDef): unknown => (d.kind === "custom" ? { ...d, node: d.node.name } : d.kind === "leaf" || d.kind === "none" ? d.kind : { ...d, children: d.children.map(stripDef) });

/** JAX's PyTreeDef repr. */
export function treeStr(def: PyTreeDef): string {
  const go = (d: PyTreeDef): string => {
    switch (d.kind) {
      case "leaf": return "*";
      case "none": return "None";
      case "list": return d.children.length === 1 ? `(${go(d.children[0])},)` : `(${d.children.map(go).join(", ")})`;
      case "dict": return `{${d.keys.map((k, i) => `'${k}': ${go(d.children[i])}`).join(", ")}}`;
      case "custom": return `CustomNode(${d.node.name}, [${d.children.map(go).join(", ")}])`;
    }
  };
  return `PyTreeDef(${go(def)})`;
}

/**
 * JAX's _promote_weak_typed_input: a weakly typed initial carry whose type differs from the
 * body's output is converted to the joined type (so `scan(f, 0, xs)` works with float bodies).
 */
export function promoteWeakInput(x: Value, inAval: ShapedArray, outAval: ShapedArray): [Value, boolean] {
  if (!inAval.weakType || typematch(inAval, outAval)) return [x, false];
  const t = resultType({ dtype: inAval.dtype, weak: true }, { dtype: outAval.dtype, weak: outAval.weakType });
  return [convertElementType(x, t.dtype), true];
}

// ---- slicing and stacking, for the eager impls -------------------------------------------------------

/** `x[i]` along the leading axis, for a host integer `i`. */
export function indexLeading(x: Value, i: number): Value {
  const s = getAval(x).shape;
  const sl = dynamicSlice(x, [i, ...s.slice(1).map(() => 0)], [1, ...s.slice(1)]);
  return reshape(sl, s.slice(1));
}

/** `xs` stacked along a new leading axis (of length `n`, for empty lists). */
export function stackLeading(xs: readonly Value[], aval: ShapedArray, n = xs.length): Value {
  if (!xs.length) return bind1("broadcast_in_dim", [convertElementType(0, aval.dtype)], { shape: [n, ...aval.shape], broadcast_dimensions: [], sharding: null });
  return concatenate(xs.map((x) => reshape(x, [1, ...aval.shape])), 0);
}
