/**
 * @file The bridge between the Python package (`jax/…py`, running in Pyodide) and the TypeScript
 * runtime, registered in Pyodide as the JS module `_jaxnb_bridge`. Python holds runtime values
 * (arrays, tracers) as opaque handles and calls these functions; every number is computed by the
 * runtime. Pytrees are flattened in Python; transformations are called through their flat forms.
 *
 * Memory: an array handed to Python is released when its Python object dies (`release`), unless
 * the runtime may still hold it — it took part in tracing (it can be a constant of a jaxpr), or
 * it came out of a transformation (it can be a cached constant) — then the garbage collector
 * (the Array's FinalizationRegistry) frees it once nothing references it.
 */

import "../index.js";
import { type Value, JaxValue, Tracer, TypedScalar, currentTraceLevel, getAval } from "../ir/core.js";
import { defaultFloat, finfo, parseDType, resultType } from "../ir/dtype.js";
import { ShapedArray } from "../ir/shape.js";
import { traceToJaxpr } from "../ir/jaxpr.js";
import { printJaxpr } from "../ir/print.js";
import { toBool, toIndex, concreteOrError } from "../ir/errors.js";
import { Array } from "../backend/array.js";
import { jitFlat } from "../jit/index.js";
import { vmapFlat } from "../batching/index.js";
import { jvpFlat } from "../ad/jvp.js";
import { linearizeFlat, vjpFlat } from "../ad/linearize.js";
import { Float0Array, type TangentIn } from "../ad/tangents.js";
import { customJvp } from "../ad/custom_jvp.js";
import { customVjp } from "../ad/custom_vjp.js";
import { type CheckpointPolicy, checkpoint, checkpointPolicies } from "../ad/checkpoint.js";
import { Zero } from "../ir/rules.js";
import { numpyFunction, numpySignatures } from "./numpy.js";
import * as laxNs from "../lax/index.js";
import * as randomNs from "../random/index.js";
import { type Device, devices as runtimeDevices } from "../backend/device.js";
import { blockUntilReady, devicePut } from "../backend/transfer.js";
import { type IndexSpec, IndexUpdateRef, getitem } from "../numpy/index.js";
import { config as configApi, devices } from "./config.js";
import { describeDerivative } from "../ad/describe.js";
import {
  Mesh, NamedSharding, PartitionSpec, ShardedArray, allGather, psumScatter, axisIndex, devicePut as shardedDevicePut, makeMesh, pmax, pmean, pmin, ppermute, psum,
  shardMap, withShardingConstraint,
} from "../sharding/index.js";
import type { AxisType, DeviceGrid } from "../sharding/mesh.js";
import { shardingData, shardingText } from "../sharding/visualize.js";
import { onShardingLog } from "../sharding/log.js";
import { placeArg } from "../sharding/jit.js";
import { debugCallback } from "../lax/debug.js";

/** A Python callable as JS sees it (a PyProxy): called with handles, returns a Python list. */
interface PyCallable {
  (...args: unknown[]): PyList;
}
interface PyList {
  toJs(opts: { depth: number }): unknown[];
  destroy(): void;
}

/** Python callbacks held by staged `debug_callback` equations: released when the equation's function dies. */
const callbackProxies = new FinalizationRegistry<{ destroy(): void }>((p) => p.destroy());

/** A concrete operand of a debug callback as a new Python-owned array (the program may free its own). */
function callbackArg(x: Value): unknown {
  if (x instanceof Array) return give(x.withAval(x.aval), true);
  if (x instanceof TypedScalar) return give(x, true);
  const a = getAval(x);
  return give(Array.scalar(x as number | boolean, a.dtype, a.weakType), true);
}

// ---- ownership (see the file comment) ------------------------------------------------------

const handedOut = new WeakSet<JaxValue>();
const owned = new WeakSet<Array>();
const escaped = new WeakSet<Array>();

/**
 * Marks arguments that the runtime may keep: anything used while a trace is active (it can
 * become a jaxpr constant), and — with `kept` — the primals of vjp/linearize, which their
 * pullbacks hold as residuals.
 */
function noteArgs(args: readonly unknown[], kept = false): void {
  if (!kept && currentTraceLevel() === 0) return;
  const mark = (a: unknown): void => {
    if (a instanceof Array) escaped.add(a);
    else if (globalThis.Array.isArray(a)) a.forEach(mark);
  };
  args.forEach(mark);
}

/**
 * A result on its way to Python. A fresh eager result is Python's to release; one Python already
 * holds (e.g. `asarray(x)` returning `x`) is given as a new view, so each Python object owns one
 * reference. Results of transformations are never owned.
 */
function give(x: unknown, own: boolean): unknown {
  if (globalThis.Array.isArray(x)) return x.map((e) => give(e, own));
  if (!(x instanceof JaxValue)) return x;
  let v: JaxValue = x instanceof TypedScalar ? Array.scalar(x.value, x.dtype, x.weakType) : x;
  if (v instanceof Array && handedOut.has(v)) v = v.withAval(v.aval);
  handedOut.add(v);
  if (own && v instanceof Array) owned.add(v);
  return v;
}

/** Calls a Python function from the runtime: handles in, a flat list of handles out. */
function callPy(f: PyCallable, args: readonly unknown[]): Value[] {
  const res = f(...args);
  try {
    return res.toJs({ depth: 1 }) as Value[];
  } finally {
    res.destroy();
  }
}

/** Like callPy, for rules that return a pair of lists. */
function callPy2(f: PyCallable, args: readonly unknown[]): unknown[] {
  const res = f(...args);
  try {
    return res.toJs({ depth: 2 });
  } finally {
    res.destroy();
  }
}

/** Gives a wrapper the Python function's name (JAX prints it in jaxprs and errors). */
function named<F extends Function>(f: F, name: string): F {
  Object.defineProperty(f, "name", { value: name });
  return f;
}

/** A JS array for a Python list of handles (Pyodide passes Python lists as proxies). */
function jsList(x: unknown): unknown[] {
  return globalThis.Array.isArray(x) ? x : (x as PyList).toJs({ depth: 1 });
}

/**
 * Python's None arrives as `undefined`; the index spec spells "newaxis" and "default slice bound"
 * as `null`.
 */
function indexSpec(spec: unknown): IndexSpec {
  const norm = (e: unknown): unknown => {
    if (e === undefined || e === null) return null;
    if (globalThis.Array.isArray(e)) return e.map(norm);
    if (typeof e === "object" && !(e instanceof JaxValue) && "slice" in (e as object)) {
      return { slice: ((e as { slice: unknown[] }).slice).map((v) => v ?? null) };
    }
    return e;
  };
  return norm(spec) as IndexSpec;
}

/** A runtime device from Python's `platform|id`. */
function deviceOf(spec: string): Device {
  const [platform, id] = spec.split("|");
  const d = runtimeDevices(platform).find((x) => x.id === Number(id));
  if (!d) throw new TypeError(`no device ${spec}`);
  return d;
}

/** Mesh axis types from Python (names of jax.sharding.AxisType members), or undefined. */
function axisTypes(types: unknown): AxisType[] | undefined {
  return types === undefined || types === null ? undefined : (jsList(types) as AxisType[]);
}

/** Keyword options from Python (already a JS object, or absent). */
const options = (opts: unknown): Record<string, unknown> | undefined => (opts === undefined || opts === null ? undefined : (opts as Record<string, unknown>));

/** `shape` as Python wants it: "3,4" (empty for scalars). */
const shapeText = (s: readonly number[]): string => s.join(",");

export const bridge = {
  // ---- values ---------------------------------------------------------------------------------

  /**
   * What Python needs to wrap a value, as text: `a|dtype|weak|shape` for arrays, `t|…` for
   * tracers, `0|float0|0|shape` for float0 tangents, `l|n` for lists, `` for anything else.
   */
  info(x: unknown): string {
    if (x instanceof JaxValue) {
      const a = x.aval;
      return `${x instanceof Tracer ? "t" : "a"}|${a.dtype}|${a.weakType ? 1 : 0}|${shapeText(a.shape)}`;
    }
    if (x instanceof Float0Array) return `0|float0|0|${shapeText(x.shape)}`;
    if (globalThis.Array.isArray(x)) return `l|${x.length}`;
    return "";
  },
  /** A Python float with an integral value: a weakly typed float scalar (a JS number would read as an int). */
  weakFloat(v: number): TypedScalar {
    return new TypedScalar(v, defaultFloat(), true);
  },
  /** An array from flat host data (Python has flattened a nested list and found its dtype). */
  fromHost(data: unknown, shape: unknown, dtype: string, weak: boolean): unknown {
    const flat = jsList(data) as number[];
    return give(Array.fromHost(flat, jsList(shape) as number[], parseDType(dtype), { weak }), true);
  },
  /**
   * The elements, row-major, as their typed array (Python reads it as a memoryview), or as
   * numbers for the 16-bit float types, whose bits need decoding.
   */
  hostData(x: JaxValue): unknown {
    const a = concreteOrError(x, "The problem arose with the `tolist` method.") as Array;
    return a.dtype === "float16" || a.dtype === "bfloat16" ? a.toNumbers() : a.data();
  },
  item(x: JaxValue): number | boolean {
    const c = concreteOrError(x, "The problem arose with the `item` method.");
    return typeof c === "object" ? c.item() : c;
  },
  toBool(x: Value): boolean {
    return toBool(x);
  },
  toIndex(x: Value): number {
    return toIndex(x);
  },
  /** `float(x)`/`int(x)`: the value of a size-1 array; tracers without a value raise ConcretizationTypeError. */
  toScalar(x: Value, fn: string): number | boolean {
    const c = concreteOrError(x, `The problem arose with the \`${fn}\` function. If trying to convert the data type of a value, try using \`x.astype(${fn})\` or \`jnp.array(x, ${fn})\` instead.`);
    if (typeof c !== "object") return c;
    if (c.size !== 1) throw new TypeError(`only length-1 arrays can be converted to Python scalars`);
    return c.item();
  },
  repr(x: JaxValue): string {
    return x.toString();
  },
  str(x: JaxValue): string {
    return x instanceof Tracer ? x.toString() : x.str();
  },
  /** Drops Python's reference (see the file comment for when the buffer is freed now). */
  release(x: unknown): void {
    if (x instanceof Array && owned.has(x) && !escaped.has(x)) {
      owned.delete(x);
      x.dispose();
    }
  },
  /** The device of a concrete array as `platform|id|kind`. */
  deviceOf(x: unknown): string {
    const d = (x as Array).device;
    return `${d.platform}|${d.id}|${d.deviceKind}`;
  },
  /** `device_put`: onto a device by platform and id (the default device when undefined). */
  devicePut(x: Value, platform: string | undefined, id: number | undefined): unknown {
    noteArgs([x]);
    let device: Device | undefined;
    if (platform !== undefined) {
      device = runtimeDevices(platform).find((d) => d.id === id);
      if (!device) {
        const e = new Error(`${platform === "cpu" ? "CpuDevice" : "WebGpuDevice"}(id=${id}) has no runtime in this build (CPU devices beyond the first come with the sharding runtime)`);
        e.name = "NotImplementedError";
        throw e;
      }
    }
    return give(devicePut(x, device), true);
  },
  /** Waits for the work producing `x` (on WebGPU, the queued kernels). */
  blockUntilReady(x: unknown): void {
    blockUntilReady(x);
  },
  isDeleted(x: unknown): boolean {
    return x instanceof Array && x.isDeleted;
  },

  // ---- jax.numpy and Array methods ------------------------------------------------------------

  /** A jnp function by its NumPy name: positional arguments and NumPy-named options. */
  numpy(name: string, args: unknown, opts: unknown): unknown {
    const a = jsList(args);
    noteArgs(a);
    const fn = numpyFunction(name);
    const o = options(opts);
    return give(o === undefined ? fn(...a) : fn(...a, o), true);
  },
  /** An Array method (`x.sum(...)`, `x.reshape(...)`), the runtime's own. */
  method(name: string, self: JaxValue, args: unknown): unknown {
    const a = jsList(args);
    noteArgs([self, ...a]);
    const fn = (self as unknown as Record<string, (...xs: unknown[]) => unknown>)[name];
    if (typeof fn !== "function") throw new TypeError(`Array has no method ${name}`);
    return give(fn.apply(self, a), true);
  },

  /** A jax.lax function by its TypeScript name, with positional arguments (and an options object). */
  lax(name: string, args: unknown, opts: unknown): unknown {
    const a = jsList(args);
    noteArgs(a);
    const fn = (laxNs as Record<string, unknown>)[name];
    if (typeof fn !== "function") {
      const e = new Error(`module 'jax.lax' has no attribute '${name}'`);
      e.name = "AttributeError";
      throw e;
    }
    const o = options(opts);
    return give(o === undefined ? (fn as (...xs: unknown[]) => unknown)(...a) : (fn as (...xs: unknown[]) => unknown)(...a, o), true);
  },
  /** Control flow (cond, switch, foriLoop, whileLoop, scan, associativeScan) over functions made by `pyFn`. */
  laxControl(name: string, args: unknown): unknown {
    const a = jsList(args).map((x) => (x === undefined ? null : x));
    noteArgs(a);
    const fn = (laxNs as Record<string, unknown>)[name] as (...xs: unknown[]) => unknown;
    return give(fn(...a), false);
  },
  /**
   * A Python function as control flow calls it: "list" returns a list of leaves; "pair" a pair
   * of lists (scan bodies); "scalar" one value (while_loop conditions).
   */
  pyFn(f: PyCallable, kind: "list" | "pair" | "scalar"): unknown {
    if (kind === "pair") return (...xs: unknown[]) => callPy2(f, xs);
    if (kind === "scalar") return (...xs: unknown[]) => callPy(f, xs)[0];
    return (...xs: unknown[]) => callPy(f, xs);
  },

  /** A jax.random function by its TypeScript name: required arguments, then options. */
  random(name: string, args: unknown, opts: unknown): unknown {
    const a = jsList(args).map((x) => (x === undefined ? null : x));
    noteArgs(a);
    const fn = (randomNs as Record<string, unknown>)[name];
    if (typeof fn !== "function") {
      const e = new Error(`jax.random.${name} is not available in this build of jaxnb`);
      e.name = "NotImplementedError";
      throw e;
    }
    const o = options(opts);
    return give(o === undefined ? (fn as (...xs: unknown[]) => unknown)(...a) : (fn as (...xs: unknown[]) => unknown)(...a, o), true);
  },

  /**
   * `jax.debug.callback`: binds `debug_callback` on `args` with a Python function of flat
   * handles (`name` is what jaxprs print for it). Eagerly it is called at once; under a
   * transformation whenever the staged program reaches it.
   */
  debugCallback(f: PyCallable & { destroy(): void }, name: string, ordered: boolean, partitioned: boolean, args: unknown): void {
    const a = jsList(args) as Value[];
    noteArgs(a);
    const cb = named((...xs: Value[]): void => {
      (f as unknown as (...ys: unknown[]) => unknown)(...xs.map(callbackArg));
    }, name);
    callbackProxies.register(cb, f);
    debugCallback(cb, a, { ordered, partitioned });
  },

  // ---- sharding -------------------------------------------------------------------------------

  /** `jax.make_mesh` over the first devices of the default backend (or the listed `platform|id` ones). */
  makeMesh(shape: unknown, names: unknown, devs: unknown, types?: unknown): Mesh {
    const devices = devs === undefined || devs === null ? undefined : (jsList(devs) as string[]).map(deviceOf);
    return makeMesh(jsList(shape) as number[], jsList(names) as string[], { devices, axisTypes: axisTypes(types) });
  },
  /** `Mesh(devices, axis_names)` from a nested list of `platform|id` strings. */
  mesh(grid: unknown, names: unknown, types?: unknown): Mesh {
    const toGrid = (g: unknown): DeviceGrid => (typeof g === "string" ? deviceOf(g) : jsList(g).map(toGrid));
    return new Mesh(toGrid(grid), jsList(names) as string[], { axisTypes: axisTypes(types) });
  },
  /** Forwards the sharding debug log (kernel/sharding/log.ts) to a Python function of one message. */
  onShardingLog(fn: (msg: string) => void): void {
    onShardingLog((msg) => fn(msg));
  },
  /** The mesh's axis types (`Auto`, `Explicit`, `Manual`). */
  meshAxisTypes(m: Mesh): string[] {
    return [...m.axisTypes];
  },
  /**
   * visualize_array_sharding: JAX's box table as text (cells sized as JAX sizes them) and the
   * grid data of the sharding MIME type, as JSON.
   */
  shardingText(x: JaxValue, scale: number, minWidth: number, maxWidth: number): string {
    return shardingText(concreteOrError(x, "The problem arose with visualize_array_sharding.") as Array, { scale, minWidth, maxWidth });
  },
  shardingData(x: JaxValue): string {
    return JSON.stringify(shardingData(concreteOrError(x, "The problem arose with visualize_array_sharding.") as Array));
  },
  /** The shape of a sharded array's type as JAX prints it (`8@x,4`: only Explicit mesh axes show), or undefined. */
  shardedShape(x: unknown): string | undefined {
    return x instanceof ShardedArray ? x.typeString().replace(/^[^[]*\[|\]$/g, "") : undefined;
  },
  /** A mesh's shape, axis names and devices, for Python: `[shape, names, ["platform|id|kind", …]]`. */
  meshInfo(m: Mesh): unknown {
    return [[...m.shape], [...m.axisNames], m.devices.map((d) => `${d.platform}|${d.id}|${d.deviceKind}`)];
  },
  /** `NamedSharding(mesh, P(*entries))`: entries are names, lists of names, or None. */
  namedSharding(m: Mesh, entries: unknown): NamedSharding {
    const es = jsList(entries).map((e) => (e === undefined || e === null ? null : typeof e === "string" ? e : (jsList(e) as string[])));
    return new NamedSharding(m, new PartitionSpec(...es));
  },
  /**
   * `device_put(x, named_sharding)`: the array split into blocks over the mesh; with `path`, a
   * jit argument placed by in_shardings (JAX's errors name it: "pjit arguments with pytree key path x").
   */
  shardedPut(x: Value, s: NamedSharding, path?: string): unknown {
    noteArgs([x]);
    return give(path === undefined ? shardedDevicePut(x, s) : placeArg(s, x, path), true);
  },
  /** The NamedSharding of a sharded array (undefined for one on a single device). */
  shardingOf(x: unknown): NamedSharding | undefined {
    return x instanceof ShardedArray ? x.sharding : undefined;
  },
  /**
   * `x.addressable_shards`: `[platform, id, [[start, stop], …], block]` per device. Each block is
   * a new reference to the shard's buffer, so it outlives the array it came from.
   */
  shards(x: JaxValue): unknown {
    if (x instanceof ShardedArray) return x.addressableShards.map((s) => [s.device.platform, s.device.id, s.index, give(s.data.withAval(s.data.aval), true)]);
    const a = concreteOrError(x, "The problem arose with addressable_shards.") as Array;
    return [[a.device.platform, a.device.id, a.shape.map((n) => [0, n]), give(a, false)]];
  },
  /** `lax.with_sharding_constraint` of one array; with `path`, a jit output constrained by out_shardings (named in JAX's errors). */
  shardingConstraint(x: Value, s: NamedSharding, path?: string): unknown {
    noteArgs([x]);
    if (path !== undefined) s.checkShape(getAval(x).shape, `pjit outputs with pytree key path ${path}`);
    return give(withShardingConstraint(x, s), true);
  },
  /**
   * `shard_map` of a Python function of flat leaves, applied at once to `args`. Specs are lists
   * of PartitionSpec entries: one per argument leaf; for outputs one spec for all, or one per
   * output leaf (`outSpecs` a list of entry lists when `perOutput`).
   */
  shardMapCall(f: PyCallable, name: string, m: Mesh, inSpecs: unknown, outSpecs: unknown, perOutput: boolean, checkVma: boolean, args: unknown): unknown {
    const a = jsList(args) as Value[];
    noteArgs(a);
    const spec = (entries: unknown): PartitionSpec => new PartitionSpec(...jsList(entries).map((e) => (e === undefined || e === null ? null : typeof e === "string" ? e : (jsList(e) as string[]))));
    const ins = jsList(inSpecs).map(spec);
    const outs = perOutput ? jsList(outSpecs).map(spec) : spec(outSpecs);
    const mapped = shardMap(named((...xs: Value[]) => callPy(f, xs), name), { mesh: m, in_specs: ins, out_specs: outs, check_vma: checkVma });
    return give(mapped(...a), false);
  },
  /** A collective (psum, pmean, pmax, pmin, all_gather, ppermute) or axis_index, inside shard_map. */
  collective(name: string, x: Value | undefined, axisName: unknown, extra: unknown): unknown {
    const axes = typeof axisName === "string" ? axisName : (jsList(axisName) as string[]);
    switch (name) {
      case "psum": return give(psum(x!, axes), false);
      case "pmean": return give(pmean(x!, axes), false);
      case "pmax": return give(pmax(x!, axes), false);
      case "pmin": return give(pmin(x!, axes), false);
      case "all_gather": return give(allGather(x!, axes, (options(extra) ?? {}) as { axis?: number; tiled?: boolean }), false);
      case "psum_scatter": return give(psumScatter(x!, axes, (options(extra) ?? {}) as { scatter_dimension?: number; tiled?: boolean }), false);
      case "ppermute": return give(ppermute(x!, axes, (jsList(extra) as unknown[]).map((p) => jsList(p) as [number, number])), false);
      case "axis_index": return give(axisIndex(axes), false);
    }
    throw new TypeError(`unknown collective ${name}`);
  },
  /** The entries of a sharding's PartitionSpec (lists of names for tuples, null for None). */
  specEntries(s: NamedSharding): unknown {
    return s.spec.entries.map((e) => (typeof e === "symbol" ? null : e));
  },
  /** JAX's text for a runtime object (Mesh, NamedSharding, …). */
  text(x: { toString(): string }): string {
    return x.toString();
  },

  // ---- indexing -----------------------------------------------------------------------------------

  /** `x[spec]` (the structured index of kernel/numpy/indexing.ts). */
  getitem(x: JaxValue, spec: unknown, opts: unknown): unknown {
    noteArgs([x]);
    return give(getitem(x, indexSpec(spec), (options(opts) ?? {}) as Parameters<typeof getitem>[2]), true);
  },
  /** `x.at[spec].<op>(values)`. */
  updateAt(x: JaxValue, spec: unknown, op: string, values: unknown, opts: unknown): unknown {
    noteArgs([x, values]);
    const ref = new IndexUpdateRef(x, indexSpec(spec)) as unknown as Record<string, (v: unknown, o: unknown) => unknown>;
    if (typeof ref[op] !== "function") throw new TypeError(`unknown .at[] update ${op}`);
    return give(ref[op](values, options(opts) ?? {}), true);
  },

  // ---- transformations (flat forms; Python flattens pytrees) -------------------------------

  /** `jit` of a Python function of flat handles; the result is called with a list of values. */
  jit(f: PyCallable, name: string, donate: unknown): unknown {
    const jitted = jitFlat((...xs: Value[]) => callPy(f, xs), { name, donate: jsList(donate ?? []) as boolean[] });
    return {
      call: (args: unknown): unknown => {
        const a = jsList(args) as Value[];
        noteArgs(a);
        return give(jitted(a), currentTraceLevel() === 0);
      },
      lower: (args: unknown) => jitted.lower(jsList(args) as Value[]),
    };
  },
  /**
   * `vmap` of a Python function, applied at once to `args`. `outDims` is called with the number
   * of outputs once the function has run (Python matches out_axes against the output tree).
   */
  vmapCall(f: PyCallable, inDims: unknown, outDims: (n: number) => unknown, axisSize: number | undefined, axisName: string | undefined, args: unknown): unknown {
    const dims = (jsList(inDims) as (number | null | undefined)[]).map((d) => d ?? null);
    const outSpec = (n: number): (number | null)[] => (jsList(outDims(n)) as (number | null | undefined)[]).map((d) => d ?? null);
    const a = jsList(args) as Value[];
    noteArgs(a);
    const batched = vmapFlat((...xs: Value[]) => callPy(f, xs), dims, outSpec, axisSize ?? null, { axisName: axisName ?? null });
    return give(batched(...a), false);
  },
  /** `[outs, tangentsOut]` (tangents of integer values are float0). */
  jvp(f: PyCallable, primals: unknown, tangents: unknown): unknown {
    const p = jsList(primals) as Value[];
    noteArgs(p);
    const [outs, touts] = jvpFlat((...xs: Value[]) => callPy(f, xs), p, jsList(tangents) as Value[]);
    return [give(outs, false), give(touts, false)];
  },
  /** `[outs, pullback]`: the pullback takes a list of cotangents. */
  vjp(f: PyCallable, primals: unknown): unknown {
    const p = jsList(primals) as Value[];
    noteArgs(p, true);
    const [outs, pullback] = vjpFlat((...xs: Value[]) => callPy(f, xs), p);
    // Python passes None for outputs it does not differentiate (aux outputs): symbolic zeros.
    const cotangents = (cts: unknown): TangentIn[] => jsList(cts).map((c, i) => (c === undefined || c === null ? new Zero(getAval(outs[i])) : (c as TangentIn)));
    return [give(outs, false), (cts: unknown) => give(pullback(cotangents(cts)), false)];
  },
  linearize(f: PyCallable, primals: unknown): unknown {
    const p = jsList(primals) as Value[];
    noteArgs(p, true);
    const [outs, lin] = linearizeFlat((...xs: Value[]) => callPy(f, xs), p);
    return [give(outs, false), (ts: unknown) => give(lin(jsList(ts) as Value[]), false)];
  },
  /** `custom_jvp` of a Python function of flat leaves with its (flat) rule; call it with leaves. */
  customJvp(f: PyCallable, name: string, rule: PyCallable, ruleName: string): unknown {
    const cj = customJvp(named((...xs: unknown[]) => callPy(f, xs), name));
    cj.defjvp(named((primals: unknown, tangents: unknown) => callPy2(rule, [primals, tangents]), ruleName));
    return (...leaves: unknown[]) => give(cj(...leaves), false);
  },
  customVjp(f: PyCallable, name: string, fwd: PyCallable, fwdName: string, bwd: PyCallable, bwdName: string): unknown {
    const cv = customVjp(named((...xs: unknown[]) => callPy(f, xs), name));
    cv.defvjp(named((...xs: unknown[]) => callPy2(fwd, xs), fwdName), named((res: unknown, ct: unknown) => callPy(bwd, [res, ct]), bwdName));
    return (...leaves: unknown[]) => give(cv(...leaves), false);
  },
  /** `jax.checkpoint` of a Python function of flat leaves, applied at once to `args`. */
  checkpointCall(f: PyCallable, name: string, preventCse: boolean, policy: string | undefined, args: unknown): unknown {
    const a = jsList(args) as Value[];
    noteArgs(a);
    const policies = checkpointPolicies as Record<string, CheckpointPolicy>;
    if (policy !== undefined && !(policy in policies)) throw new TypeError(`unknown checkpoint policy ${policy}`);
    const fn = checkpoint(named((...xs: unknown[]) => callPy(f, xs), name), { preventCse, policy: policy === undefined ? null : policies[policy] });
    return give(fn(...a), false);
  },
  float0(shape: unknown): Float0Array {
    return new Float0Array(jsList(shape) as number[]);
  },
  /** The jaxpr of a Python function at abstract values, as JAX prints it. */
  makeJaxpr(f: PyCallable, avals: unknown): string {
    const as = (jsList(avals) as unknown[]).map((a) => {
      const [dtype, weak, shape] = jsList(a) as [string, boolean, unknown];
      return new ShapedArray(jsList(shape) as number[], parseDType(dtype), weak);
    });
    return printJaxpr(traceToJaxpr((...xs: Value[]) => callPy(f, xs), as));
  },
  /** Output avals of a Python function at abstract values (jax.eval_shape), as info strings. */
  evalShape(f: PyCallable, avals: unknown): string[] {
    const as = (jsList(avals) as unknown[]).map((a) => {
      const [dtype, weak, shape] = jsList(a) as [string, boolean, unknown];
      return new ShapedArray(jsList(shape) as number[], parseDType(dtype), weak);
    });
    const cj = traceToJaxpr((...xs: Value[]) => callPy(f, xs), as);
    return cj.outAvals.map((a) => `a|${a.dtype}|${a.weakType ? 1 : 0}|${shapeText(a.shape)}`);
  },

  /** What the editor's hover shows for a Python function (kernel/ad/describe.ts), as JSON. */
  describeDerivative(f: PyCallable, name: string, argNames: string): string {
    const fn = (...xs: Value[]): Value => callPy(f, xs)[0];
    return JSON.stringify(describeDerivative(fn as never, name, JSON.parse(argNames) as string[]));
  },

  // ---- configuration and devices ----------------------------------------------------------------

  /** `jnp.finfo` of a floating dtype: `eps|max|min|tiny`. */
  finfo(dtype: string): string {
    const f = finfo(parseDType(dtype));
    return `${f.eps}|${f.max}|${f.min}|${f.tiny}`;
  },
  /** `jnp.result_type` of operands given as `dtype|weak` strings: the dtype name and its weak flag. */
  resultType(kinds: unknown): string {
    const ks = (jsList(kinds) as string[]).map((k) => {
      const [dtype, weak] = k.split("|");
      return { dtype: parseDType(dtype), weak: weak === "1" };
    });
    const r = resultType(...ks);
    return `${r.dtype}|${r.weak ? 1 : 0}`;
  },
  /** The jax.numpy signature table as JSON (see kernel/python/numpy.ts). */
  numpySignatures(): string {
    return JSON.stringify(numpySignatures());
  },

  ...configApi,
  ...devices,
};
