/**
 * @file `jit(f, {static_argnums, static_argnames, donate_argnums})` and its flat form `jitFlat`
 * (what the Python front end calls): trace once per (input avals with weak types, static args,
 * device), cache, and later calls only bind the `jit` primitive on the cached jaxpr. Also
 * `lower(...)`, whose `asText()` shows the compiled kernels.
 */

import { type Params, type Value, JaxValue, bind, getAval } from "../ir/core.js";
import { type ClosedJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { ShapedArray } from "../ir/shape.js";
import { printJaxpr } from "../ir/print.js";
import { type PyTreeDef, treeDefStr, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { Array } from "../backend/array.js";
import { type Device, defaultDevice } from "../backend/device.js";
import { compiledProgram, hoistConsts, jitParams } from "./primitive.js";

export interface JitOptions {
  /** Positional arguments that are compile-time constants (hashed into the cache key). */
  readonly static_argnums?: number | readonly number[];
  /**
   * Names of keyword arguments that are static. TypeScript has no keywords: a trailing plain
   * object argument holds the keyword arguments when this option is given.
   */
  readonly static_argnames?: string | readonly string[];
  /** Arguments whose buffers the call may consume (they are deleted after the call). */
  readonly donate_argnums?: number | readonly number[];
  /** The name shown in jaxprs (default: the function's name). */
  readonly name?: string;
}

interface Traced {
  readonly jaxpr: ClosedJaxpr;
  readonly consts: readonly Value[];
  readonly outTree: PyTreeDef;
  /** The params of the `jit` equation, built once. */
  readonly params: Params;
}

/** Cache keys of avals, memoized: building the key string is most of a cached call's work. */
const avalKeys = new WeakMap<ShapedArray, string>();
function avalKey(a: ShapedArray): string {
  let k = avalKeys.get(a);
  if (k === undefined) avalKeys.set(a, (k = a.key()));
  return k;
}

const asList = <T>(x: T | readonly T[] | undefined): T[] => (x === undefined ? [] : globalThis.Array.isArray(x) ? [...(x as T[])] : [x as T]);

/** A cache key for a static argument: JAX hashes them; here primitives and JSON-able values by value, others by identity. */
const identities = new WeakMap<object, number>();
let nextIdentity = 1;
function staticKey(x: unknown): string {
  if (x === null || x === undefined || typeof x !== "object" && typeof x !== "function") return `${typeof x}:${String(x)}`;
  if (x instanceof JaxValue) throw new TypeError(`Non-hashable static arguments are not supported: an array (${x.aval.toString()}) was passed as a static argument`);
  const proto = Object.getPrototypeOf(x);
  if (globalThis.Array.isArray(x) || proto === Object.prototype) {
    try {
      return `json:${JSON.stringify(x)}`;
    } catch {
      // Not serializable: fall through to identity.
    }
  }
  let id = identities.get(x as object);
  if (id === undefined) identities.set(x as object, (id = nextIdentity++));
  return `id:${id}`;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

function avalOf(x: unknown): ShapedArray {
  if (x instanceof ShapedArray) return x;
  if (x instanceof JaxValue || typeof x === "number" || typeof x === "boolean") return getAval(x as Value);
  throw new TypeError(`Argument of type ${x === null ? "None" : typeof x} is not a valid JAX type (jit arguments must be arrays, scalars, or pytrees of them; mark others static).`);
}

function deviceOfLeaves(leaves: readonly unknown[]): Device {
  for (const l of leaves) if (l instanceof Array) return l.device;
  return defaultDevice();
}

/** The jitted function: call it like `f`; `lower(...)` exposes the jaxpr and the kernels. */
export interface Jitted<F extends (...args: never[]) => unknown> {
  (...args: Parameters<F>): ReturnType<F>;
  lower(...args: unknown[]): Lowered;
  /** Number of distinct traces in the cache (for tests and diagnostics). */
  readonly cacheSize: number;
}

export function jit<F extends (...args: never[]) => unknown>(f: F, opts: JitOptions = {}): Jitted<F> {
  const staticNums = asList(opts.static_argnums);
  const staticNames = asList(opts.static_argnames);
  const donateNums = asList(opts.donate_argnums);
  const name = opts.name ?? (f.name || "<lambda>");
  const cache = new Map<string, Traced>();

  /** Splits arguments into dynamic ones (traced) and a cache key for the static ones. */
  const split = (args: unknown[]) => {
    const n = args.length;
    const norm = (i: number): number => (i < 0 ? i + n : i);
    const statics = new Set(staticNums.map(norm));
    for (const i of statics) if (i >= n) throw new TypeError(`jitted function has static_argnums=${JSON.stringify(staticNums)}, but only accepts ${n} positional arguments`);
    let kwargs: Record<string, unknown> | undefined;
    let positional = args;
    if (staticNames.length && n > 0 && isPlainObject(args[n - 1])) {
      kwargs = args[n - 1] as Record<string, unknown>;
      positional = args.slice(0, n - 1);
    }
    const dynamic: unknown[] = [];
    const keyParts: string[] = [];
    positional.forEach((a, i) => (statics.has(i) ? keyParts.push(`${i}=${staticKey(a)}`) : dynamic.push(a)));
    const dynKw: Record<string, unknown> = {};
    if (kwargs) {
      for (const k of Object.keys(kwargs).sort()) {
        if (staticNames.includes(k)) keyParts.push(`${k}=${staticKey(kwargs[k])}`);
        else dynKw[k] = kwargs[k];
      }
    }
    const donatedPos = new Set(donateNums.map(norm));
    const rebuild = (dyn: unknown[], kw: Record<string, unknown>): unknown[] => {
      let j = 0;
      const out = positional.map((a, i) => (statics.has(i) ? a : dyn[j++]));
      if (kwargs) out.push({ ...Object.fromEntries(Object.entries(kwargs).filter(([k]) => staticNames.includes(k))), ...kw });
      return out;
    };
    const dynIsDonated = positional.map((_, i) => i).filter((i) => !statics.has(i)).map((i) => donatedPos.has(i));
    return { dynamic, dynKw, key: keyParts.join(";"), rebuild, dynIsDonated, hasKw: kwargs !== undefined };
  };

  const trace = (key: string, s: ReturnType<typeof split>, inTree: PyTreeDef, avals: ShapedArray[]): Traced => {
    let outTree: PyTreeDef | undefined;
    const flat = (...xs: Value[]): Value[] => {
      const [dyn, kw] = treeUnflatten(inTree, xs) as [unknown[], Record<string, unknown>];
      const out = (f as unknown as (...a: unknown[]) => unknown)(...s.rebuild(dyn, kw));
      const [outLeaves, t] = treeFlatten(out);
      outTree = t;
      outLeaves.forEach(avalOf);
      return outLeaves as Value[];
    };
    const [jaxpr, consts] = hoistConsts(traceToJaxpr(flat, avals));
    // Donation is per leaf: every leaf of a donated argument is donated.
    const donatedLeaves = s.dynamic.flatMap((a, i) => treeFlatten(a)[0].map(() => s.dynIsDonated[i]));
    const kwLeaves = treeFlatten(s.dynKw)[0].map(() => false);
    const entry = { jaxpr, consts, outTree: outTree!, params: jitParams(jaxpr, name, [...consts.map(() => false), ...donatedLeaves, ...kwLeaves]) };
    cache.set(key, entry);
    return entry;
  };

  const prepare = (args: unknown[]) => {
    const s = split(args);
    const [leaves, inTree] = treeFlatten([s.dynamic, s.dynKw]);
    const avals = leaves.map(avalOf);
    const device = deviceOfLeaves(leaves);
    const key = `${treeDefStr(inTree)}|${avals.map(avalKey).join(",")}|${s.key}|${device.platform}${device.id}`;
    const entry = cache.get(key) ?? trace(key, s, inTree, avals);
    return { entry, leaves: leaves as Value[], device };
  };

  /** Arguments that are all arrays (no pytrees, statics or keywords) take a shorter path, with its own keys. */
  const fast = new Map<string, Traced>();
  const simple = !staticNums.length && !staticNames.length;
  const call = (...args: unknown[]): unknown => {
    if (simple && args.every((a) => a instanceof Array)) {
      const arrays = args as Array[];
      const device = arrays.length ? arrays[0].device : defaultDevice();
      let key = `#${arrays.length}|${device.platform}${device.id}`;
      for (const a of arrays) key += `|${avalKey(a.aval)}`;
      const entry = fast.get(key);
      if (entry) {
        const outs = bind("jit", entry.consts.length ? [...entry.consts, ...arrays] : arrays, entry.params);
        return treeUnflatten(entry.outTree, outs);
      }
      const { entry: e, leaves } = prepare(args);
      fast.set(key, e);
      return treeUnflatten(e.outTree, bind("jit", [...e.consts, ...leaves], e.params));
    }
    const { entry, leaves } = prepare(args);
    return treeUnflatten(entry.outTree, bind("jit", [...entry.consts, ...leaves], entry.params));
  };
  const jitted = call as unknown as Jitted<F>;
  Object.defineProperty(jitted, "name", { value: name });
  Object.defineProperty(jitted, "cacheSize", { get: () => cache.size });
  jitted.lower = (...args: unknown[]): Lowered => {
    const { entry, device } = prepare(args.map((a) => a));
    return new Lowered(entry.jaxpr, device);
  };
  return jitted;
}

/**
 * The flat form for front ends that flatten their own pytrees and handle static arguments
 * themselves (one `jitFlat` per static-argument combination): a list of values in, a list out.
 */
export function jitFlat(f: (...args: Value[]) => Value[], opts: { name?: string; donate?: readonly boolean[] } = {}): ((args: readonly Value[]) => Value[]) & { lower(args: readonly Value[]): Lowered } {
  const jitted = jit((...xs: Value[]) => f(...xs), {
    name: opts.name ?? (f.name || "<lambda>"),
    donate_argnums: (opts.donate ?? []).flatMap((d, i) => (d ? [i] : [])),
  });
  const call = (args: readonly Value[]): Value[] => jitted(...args) as Value[];
  return Object.assign(call, { lower: (args: readonly Value[]) => jitted.lower(...args) });
}

/** A traced and lowered computation: its jaxpr and the kernels compiled for a device. */
export class Lowered {
  constructor(readonly jaxpr: ClosedJaxpr, readonly device: Device) {}
  /** The compiled kernels' source for the device (JavaScript, or WGSL), one block per step. */
  asText(): string {
    return compiledProgram(this.jaxpr, this.device).stepTexts().join("\n\n");
  }
  as_text(): string {
    return this.asText();
  }
  /** The number of kernels the program dispatches. */
  get numKernels(): number {
    return compiledProgram(this.jaxpr, this.device).numKernels;
  }
  toString(): string {
    return printJaxpr(this.jaxpr);
  }
}
