/**
 * @file `vmap` (jax.vmap): in_axes / out_axes as ints, negative ints, None, or pytrees of them
 * (a tree prefix of the arguments / results, as JAX's flatten_axes), `axisSize`, `axisName`, and
 * JAX's errors for inconsistent sizes and bad specs. `vmapFlat` is the flat-list version that the
 * Python front end calls after flattening pytrees itself.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { type PyTreeDef, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import type { BDim } from "../ir/rules.js";
import { ValueError } from "../lax/errors.js";
import { type AxisData, SpecMatchError, batchSubtrace, matchAxis } from "./trace.js";

/** An axis spec: an int, None (null), or a container of specs (arrays stand for tuples). */
export type AxisSpec = number | null | readonly AxisSpec[] | { readonly [key: string]: AxisSpec };

export interface VmapOptions {
  inAxes?: AxisSpec;
  outAxes?: AxisSpec;
  /** Names the mapped axis so collectives inside can refer to it. */
  axisName?: string | null;
  /** The mapped size, required when no argument is mapped. */
  axisSize?: number | null;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/** Python's repr of a spec or path key, for messages. */
function pyRepr(x: unknown): string {
  if (x === null || x === undefined) return "None";
  if (typeof x === "string") return `'${x}'`;
  if (Array.isArray(x)) return x.length === 1 ? `(${pyRepr(x[0])},)` : `(${x.map(pyRepr).join(", ")})`;
  if (isPlainObject(x)) return `{${Object.keys(x).sort().map((k) => `'${k}': ${pyRepr(x[k])}`).join(", ")}}`;
  return String(x);
}

/** Python's str of a spec (a bare string prints without quotes). */
const pyStr = (x: unknown): string => (typeof x === "string" ? x : pyRepr(x));

const isSpecLeaf = (x: unknown): boolean => x === null || x === undefined || typeof x === "number";

function checkSpecLeaves(what: "in_axes" | "out_axes", spec: unknown): void {
  const [leaves] = treeFlatten(spec, isSpecLeaf);
  if (!leaves.every((l) => l === null || l === undefined || Number.isInteger(l))) {
    throw new TypeError(`vmap ${what} must be an int, None, or (nested) container with those types as leaves, but got ${pyStr(spec)}.`);
  }
}

/** The structural problems between a prefix tree and a full tree, in JAX's words. */
function prefixErrors(name: string, prefix: unknown, full: PyTreeDef, path: string): string[] {
  if (isSpecLeaf(prefix)) return [];
  const at = `    ${name}${path}`;
  const typeName = (x: unknown) => (Array.isArray(x) ? "tuple" : isPlainObject(x) ? "dict" : typeof x);
  const fullType = full.kind === "list" ? "tuple" : full.kind === "dict" ? "dict" : full.kind === "none" ? "NoneType" : full.kind === "leaf" ? "leaf" : full.node.name;
  if (typeName(prefix) !== fullType) {
    return [`pytree structure error: different types at key path\n${at}\nAt that key path, the prefix pytree ${name} has a subtree of type\n    ${typeName(prefix)}\nbut at the same key path the full pytree has a subtree of different type\n    ${fullType}.`];
  }
  if (Array.isArray(prefix) && full.kind === "list") {
    if (prefix.length !== full.children.length) {
      return [`pytree structure error: different lengths of tuple at key path\n${at}\nAt that key path, the prefix pytree ${name} has a subtree of type tuple of length ${prefix.length}, but the full pytree has a subtree of the same type but of length ${full.children.length}.`];
    }
    return prefix.flatMap((p, i) => prefixErrors(name, p, full.children[i], `${path}[${i}]`));
  }
  if (isPlainObject(prefix) && full.kind === "dict") {
    const keys = Object.keys(prefix).sort();
    if (keys.join("\0") !== full.keys.join("\0")) {
      const diff = [...keys.filter((k) => !full.keys.includes(k)), ...full.keys.filter((k) => !keys.includes(k))];
      return [`pytree structure error: different numbers of pytree children at key path\n${at}\nAt that key path, the prefix pytree ${name} has a subtree of type\n    dict\nwith ${keys.length} child keys\n    ${keys.join(" ")}\nbut at the same key path the full pytree has a subtree of the same type but with ${full.keys.length} child keys\n    ${full.keys.join(" ")}\nso the symmetric difference on key sets is\n    ${diff.join(" ")}`];
    }
    return keys.flatMap((k, i) => prefixErrors(name, prefix[k], full.children[i], `${path}['${k}']`));
  }
  return [];
}

/**
 * The axis of every leaf of `tree` given a spec that is a tree prefix of it (a leaf spec applies
 * to the whole subtree below it), as JAX's flatten_axes.
 */
export function flattenAxes(what: string, tree: PyTreeDef, spec: AxisSpec): BDim[] {
  const out: BDim[] = [];
  const leavesOf = (d: PyTreeDef): number => (d.kind === "leaf" ? 1 : d.kind === "none" ? 0 : d.children.reduce((a, c) => a + leavesOf(c), 0));
  const go = (s: unknown, d: PyTreeDef): boolean => {
    if (isSpecLeaf(s)) {
      for (let i = 0; i < leavesOf(d); i++) out.push((s ?? null) as BDim);
      return true;
    }
    if (Array.isArray(s) && d.kind === "list" && s.length === d.children.length) return s.every((c, i) => go(c, d.children[i]));
    if (isPlainObject(s) && d.kind === "dict") {
      const keys = Object.keys(s).sort();
      return keys.join("\0") === d.keys.join("\0") && keys.every((k, i) => go(s[k], d.children[i]));
    }
    return false;
  };
  if (!go(spec, tree)) {
    const errs = prefixErrors(what, spec, tree, "");
    const details = errs.length ? `\n  Mismatch details (${errs.length} found):\n  ${errs.join("\n  ")}` : "";
    throw new ValueError(`${what} specification must be a tree prefix of the corresponding value; ${details}`);
  }
  return out;
}

/** `args[0]['a']`-style names of the leaves of a tree (JAX's keystr of each leaf's path). */
function leafPaths(def: PyTreeDef, root: string): string[] {
  const paths: string[] = [];
  const go = (d: PyTreeDef, path: string): void => {
    switch (d.kind) {
      case "leaf": paths.push(path); break;
      case "none": break;
      case "list": d.children.forEach((c, i) => go(c, `${path}[${i}]`)); break;
      case "dict": d.children.forEach((c, i) => go(c, `${path}['${d.keys[i]}']`)); break;
      case "custom": d.children.forEach((c, i) => go(c, `${path}[<flat index ${i}>]`)); break;
    }
  };
  go(def, root);
  return paths;
}

function typeStr(x: Value): string {
  const a = getAval(x);
  return `${a.dtype}[${a.shape.join(",")}]`;
}

/** The mapped size from the arguments and `axisSize`; JAX's errors when they disagree. */
export function mappedAxisSize(vals: readonly Value[], dims: readonly BDim[], axisSize: number | null | undefined, names?: readonly string[]): number {
  const sizes: (number | null)[] = vals.map((x, i) => {
    const d = dims[i];
    if (d === null) return null;
    const shape = getAval(x).shape;
    if (d >= shape.length || d < -shape.length) {
      const minRank = d >= 0 ? d + 1 : -d;
      throw new ValueError(`vmap was requested to map its argument along axis ${d}, which implies that its rank should be at least ${minRank}, but is only ${shape.length} (its shape is ${pyRepr([...shape])})`);
    }
    return shape[d < 0 ? d + shape.length : d];
  });
  const distinct = new Set(sizes.filter((s): s is number => s !== null));
  if (axisSize !== null && axisSize !== undefined) distinct.add(axisSize);
  if (distinct.size === 1) return [...distinct][0];
  if (distinct.size === 0) {
    if (!vals.length) throw new ValueError("vmap wrapped function must be passed at least one argument containing an array or axis_size must be specified, got empty *args=() and **kwargs={}");
    throw new ValueError("vmap must have at least one non-None value in in_axes or axis_size must be specified");
  }
  // Most common size first (ties: first seen), with an example argument for each size.
  const counts = new Map<number, number>();
  for (const s of sizes) if (s !== null) counts.set(s, (counts.get(s) ?? 0) + 1);
  const ordered = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  const label = (i: number) => `${names?.[i] ?? `args[${i}]`} of type ${typeStr(vals[i])}`;
  const lines = ["vmap got inconsistent sizes for array axes to be mapped:"];
  if (axisSize !== null && axisSize !== undefined) lines.push(`  * the \`axis_size\` argument was ${axisSize};`);
  ordered.forEach(([sz, ct], k) => {
    const i = sizes.indexOf(sz);
    if (ct === 1) lines.push(`  * one axis had size ${sz}: axis ${dims[i]} of ${label(i)};`);
    else lines.push(`  * ${k === 0 ? "most axes" : "some axes"} (${ct} of them) had size ${sz}, e.g. axis ${dims[i]} of ${label(i)};`);
  });
  throw new ValueError(lines.join("\n").replace(/;$/, ""));
}

/** JAX's error for a vmapped function returning something that is not an array. */
function checkOutput(x: unknown): Value {
  if (x instanceof JaxValue || typeof x === "number" || typeof x === "boolean") return x;
  const repr = typeof x === "string" ? `'${x}'` : String(x);
  throw new TypeError(`Output from batched function ${repr} with type ${typeof x === "string" ? "<class 'str'>" : typeof x} is not a valid JAX type`);
}

function checkValue(x: unknown): Value {
  if (x instanceof JaxValue || typeof x === "number" || typeof x === "boolean") return x;
  throw new TypeError(`Argument '${String(x)}' of type ${typeof x} is not a valid JAX type`);
}

/** Applies `matchAxis` to each output, reporting JAX's error naming the output's path. */
function matchOutputs(axis: AxisData, outs: readonly Value[], srcs: readonly BDim[], dsts: readonly BDim[], outPaths: () => string[]): Value[] {
  return outs.map((o, i) => {
    try {
      return matchAxis(axis, srcs[i], dsts[i], o);
    } catch (e) {
      if (!(e instanceof SpecMatchError)) throw e;
      if (axis.name !== null) throw new ValueError(e.message);
      throw new ValueError(`at vmap out_axes${outPaths()[i]}, got axis spec None but output was batched on axis ${e.src}`);
    }
  });
}

/**
 * The flat version of vmap: `f` maps a flat list of values to a flat list; `inDims` gives each
 * input's mapped axis (null: unmapped), `outDims` each output's (or one for all, or a function of
 * the number of outputs, for callers that learn the output tree only after `f` ran).
 */
export function vmapFlat(
  f: (...args: Value[]) => Value[],
  inDims: readonly BDim[],
  outDims: BDim | readonly BDim[] | ((numOuts: number) => readonly BDim[]) = 0,
  axisSize?: number | null,
  opts: { axisName?: string | null; argNames?: readonly string[] } = {},
): (...args: Value[]) => Value[] {
  return (...args: Value[]): Value[] => {
    if (args.length !== inDims.length) throw new TypeError(`vmapFlat: expected ${inDims.length} arguments, got ${args.length}`);
    const vals = args.map(checkValue);
    const size = mappedAxisSize(vals, inDims, axisSize, opts.argNames);
    const axis: AxisData = { size, name: opts.axisName ?? null };
    const [outs, srcs] = batchSubtrace(f, axis, inDims, vals);
    const dsts = typeof outDims === "function" ? outDims(outs.length) : Array.isArray(outDims) ? outDims : outs.map(() => outDims as BDim);
    if (dsts.length !== outs.length) throw new ValueError(`vmapFlat: ${outs.length} outputs but ${dsts.length} out_axes`);
    return matchOutputs(axis, outs, srcs, dsts, () => outs.map((_, i) => `[${i}]`));
  };
}

function parseOptions(a?: AxisSpec | VmapOptions, b?: AxisSpec): Required<VmapOptions> {
  const o: VmapOptions = isPlainObject(a) && ("inAxes" in a || "outAxes" in a || "axisName" in a || "axisSize" in a) ? (a as VmapOptions) : { inAxes: a as AxisSpec, outAxes: b };
  return { inAxes: o.inAxes === undefined ? 0 : o.inAxes, outAxes: o.outAxes === undefined ? 0 : o.outAxes, axisName: o.axisName ?? null, axisSize: o.axisSize ?? null };
}

/**
 * `jax.vmap`: `vmap(f)`, `vmap(f, inAxes, outAxes)` or `vmap(f, { inAxes, outAxes, axisName,
 * axisSize })`. Arguments and results are pytrees (arrays are tuples, plain objects dicts).
 */
export function vmap<A extends unknown[], R>(f: (...args: A) => R, inAxesOrOptions?: AxisSpec | VmapOptions, outAxes?: AxisSpec): (...args: A) => R {
  const { inAxes, outAxes: outSpec, axisName, axisSize } = parseOptions(inAxesOrOptions, outAxes);
  if (!(inAxes === null || typeof inAxes === "number" || Array.isArray(inAxes))) {
    throw new TypeError(`vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got ${pyStr(inAxes)}.`);
  }
  checkSpecLeaves("in_axes", inAxes);
  checkSpecLeaves("out_axes", outSpec);
  if (typeof f !== "function") throw new TypeError(`Expected a callable value, got ${String(f)}`);

  return (...args: A): R => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length) {
      throw new ValueError(`vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got len(in_axes)=${inAxes.length}, len(args)=${args.length}.`);
    }
    const [leaves, inTree] = treeFlatten(args);
    const vals = leaves.map(checkValue);
    const inDims = flattenAxes("vmap in_axes", inTree, inAxes);
    const size = mappedAxisSize(vals, inDims, axisSize, leafPaths(inTree, "args"));
    const axis: AxisData = { size, name: axisName };
    let outTree: PyTreeDef | undefined;
    const flatF = (...xs: Value[]): Value[] => {
      const out = f(...(treeUnflatten(inTree, xs) as A));
      const [outLeaves, t] = treeFlatten(out);
      outTree = t;
      return outLeaves.map(checkOutput);
    };
    const [outs, srcs] = batchSubtrace(flatF, axis, inDims, vals);
    const dsts = flattenAxes("vmap out_axes", outTree!, outSpec);
    const outPaths = () => leafPaths(outTree!, "");
    return treeUnflatten(outTree!, matchOutputs(axis, outs, srcs, dsts, outPaths)) as R;
  };
}
