/**
 * @file `jit(f, {in_shardings, out_shardings})`: arguments are placed with their shardings before
 * the call (JAX's error when a dimension does not divide), and results are constrained to theirs
 * inside the traced body, so the partitioner produces them in those layouts. Shardings are given
 * per positional argument / per output (a pytree prefix; null leaves a value as it is).
 */

import { type Value, getAval } from "../ir/core.js";
import { ValueError } from "../lax/errors.js";
import { treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { type JitOptions, type Jitted, jit as baseJit } from "../jit/jit.js";
import { ShardedArray } from "./array.js";
import { withShardingConstraint } from "./device_put.js";
import { NamedSharding, type Sharding } from "./named_sharding.js";
import { blocksOf } from "./placement.js";

/** A sharding for every leaf of a pytree (or one for all), null for "any". */
export type ShardingTree = Sharding | null | readonly ShardingTree[] | { readonly [k: string]: ShardingTree };

export interface ShardedJitOptions extends JitOptions {
  readonly in_shardings?: ShardingTree;
  readonly out_shardings?: ShardingTree;
  /** The parameter names, for error messages' key paths (JAX's debug_info.arg_names); default `args[i]`. */
  readonly argNames?: readonly string[];
}

const isLeafSharding = (s: unknown): s is Sharding | null => s === null || (typeof s === "object" && !Array.isArray(s) && Object.getPrototypeOf(s) !== Object.prototype);

type Path = (i: number) => string;

/**
 * Applies `fn` to each leaf of `tree` with the sharding of the prefix tree `spec` covering it and
 * the leaf's key path (JAX's keystr: `x`, `params['w']`, `result[0]`), `name(i)` naming the
 * top-level entries.
 */
function mapPrefix(spec: ShardingTree, tree: unknown, fn: (s: Sharding | null, leaf: Value, path: string) => Value, path: string, name?: Path): unknown {
  if (isLeafSharding(spec)) {
    const [leaves, def] = treeFlatten(tree);
    return treeUnflatten(def, leaves.map((l, i) => fn(spec, l as Value, leaves.length === 1 ? path : `${path}[${i}]`)));
  }
  if (Array.isArray(spec)) {
    if (!Array.isArray(tree) || tree.length !== spec.length) throw new ValueError(`shardings must be a tree prefix of the values: got ${spec.length} shardings for ${Array.isArray(tree) ? tree.length : "a non-sequence"} values`);
    return tree.map((t, i) => mapPrefix(spec[i] as ShardingTree, t, fn, name ? name(i) : `${path}[${i}]`));
  }
  const obj = spec as Record<string, ShardingTree>;
  return Object.fromEntries(Object.entries(tree as Record<string, unknown>).map(([k, v]) => [k, k in obj ? mapPrefix(obj[k], v, fn, `${path}['${k}']`) : v]));
}

/**
 * The argument placed with its sharding (the same array when it already has it); `path` names it
 * in JAX's error for an indivisible dimension ("pjit arguments with pytree key path x").
 */
export function placeArg(s: Sharding | null, x: Value, path: string): Value {
  if (!(s instanceof NamedSharding)) return x;
  const aval = getAval(x);
  s.checkShape(aval.shape, `pjit arguments with pytree key path ${path}`);
  const c = s.canonical();
  if (x instanceof ShardedArray && x.sharding.equals(c)) return x;
  return new ShardedArray(aval, c, blocksOf(x, c.mesh, c.dims(aval.ndim)));
}

export function jit<F extends (...args: never[]) => unknown>(f: F, opts: ShardedJitOptions = {}): Jitted<F> {
  const { in_shardings: ins, out_shardings: outs, argNames, ...rest } = opts;
  const constrain = (s: Sharding | null, y: Value, path: string): Value => {
    if (!(s instanceof NamedSharding)) return y;
    s.checkShape(getAval(y).shape, `pjit outputs with pytree key path ${path}`);
    return withShardingConstraint(y, s);
  };
  const body = outs === undefined ? f : (((...a: unknown[]) => mapPrefix(outs, (f as unknown as (...x: unknown[]) => unknown)(...a), constrain, "result")) as unknown as F);
  const inner = baseJit(body, { ...rest, name: rest.name ?? (f.name || "<lambda>") });
  if (ins === undefined) return inner;
  const call = (...args: unknown[]): unknown => {
    const spec = isLeafSharding(ins) ? args.map(() => ins) : ins;
    return (inner as unknown as (...a: unknown[]) => unknown)(...(mapPrefix(spec, args, placeArg, "args", (i) => argNames?.[i] ?? `args[${i}]`) as unknown[]));
  };
  return Object.assign(call, { lower: inner.lower, get cacheSize() { return inner.cacheSize; } }) as unknown as Jitted<F>;
}
