/**
 * @file Eager evaluation: a primitive applied to concrete arrays runs as one small kernel (the
 * same lowering the JIT fuses), compiled once per (primitive, params, input types) and cached.
 */

import { type Params, type Value, installEvaluator, rulesOf, JaxValue, TypedScalar, getAval } from "../ir/core.js";
import type { ShapedArray } from "../ir/shape.js";
import type { HostArray } from "../ir/rules.js";
import { type Kernel, inputView, kernelOf } from "../codegen/exp.js";
import type { Executable } from "./backend.js";
import { Array } from "./array.js";
import { type Device, defaultDevice } from "./device.js";

/**
 * Concrete arrays on `device` from values: host scalars become weakly typed 0-d arrays, and an
 * array on another device moves there (only uncommitted ones reach here, see pickDevice; arrays
 * spanning several devices are the sharding runtime's).
 */
export function toArray(x: Value, device?: Device): Array {
  if (x instanceof Array) {
    if (!device || x.device === device || x.devices().length > 1) return x;
    return x.copyTo(device);
  }
  if (x instanceof TypedScalar) return Array.scalar(x.value, x.dtype, x.weakType, device);
  if (x instanceof JaxValue) throw new TypeError(`Expected a concrete array, got ${String(x)}`);
  const aval = getAval(x);
  return Array.scalar(x, aval.dtype, aval.weakType, device);
}

/**
 * The device a computation on `args` runs on, as JAX decides it: committed arrays decide (they
 * must agree: JAX's ValueError naming both, `fun` naming the computation); else the device of the
 * (non-scalar) uncommitted arrays when they agree, the default device when they do not; 0-d
 * arrays only decide when nothing else does. Uncommitted arrays elsewhere then move (toArray).
 */
export function pickDevice(args: readonly Value[], fun = "jit"): Device {
  let committed: number | undefined;
  let dev: Device | undefined, mixed = false;
  let scalarDev: Device | undefined;
  args.forEach((a, i) => {
    if (!(a instanceof Array)) return;
    if (a.committed) {
      if (committed === undefined) committed = i;
      else if ((args[committed] as Array).device !== a.device) throw incompatible(fun, [committed, args[committed] as Array], [i, a]);
    } else if (a.ndim === 0) scalarDev ??= a.device;
    else if (dev && a.device !== dev) mixed = true;
    else dev = a.device;
  });
  if (committed !== undefined) return (args[committed] as Array).device;
  return mixed ? defaultDevice() : dev ?? scalarDev ?? defaultDevice();
}

/** Whether a computation on `args` gives committed results (JAX: when any argument is committed). */
export const anyCommitted = (args: readonly Value[]): boolean => args.some((a) => a instanceof Array && a.committed);

/** JAX's ValueError for arguments committed to different devices. */
function incompatible(fun: string, ...args: [number, Array][]): Error {
  const desc = ([i, a]: [number, Array]): string =>
    `argument args[${i}] of ${fun} with shape ${a.dtype}[${a.shape.join(",")}] and device ids [${a.device.id}] on platform ${a.device.platform.toUpperCase()}`;
  const e = new Error(`Received incompatible devices for jitted computation. Got ${args.map(desc).join(" and ")}`);
  e.name = "ValueError";
  return e;
}

const kernelCache = new Map<string, { groups: { exe: Executable; outs: number[] }[] }>();

// Cache keys are built on every eager op: params of numbers, strings, booleans, null and flat
// arrays of those (nearly all of them) are keyed by hand; anything else through JSON.
function paramsKey(params: Params): string {
  let k = "";
  for (const name in params) {
    const v = params[name];
    if (v === null || typeof v === "number" || typeof v === "boolean") k += `${name}=${String(v)};`;
    else if (globalThis.Array.isArray(v) && v.every((x: unknown) => x === null || typeof x === "number")) k += `${name}=[${v.map(String).join(",")}];`;
    else k += `${name}=${JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))};`;
  }
  return k;
}
const avalKeys = new WeakMap<ShapedArray, string>();
function avalKey(a: ShapedArray): string {
  let k = avalKeys.get(a);
  if (k === undefined) avalKeys.set(a, (k = a.key()));
  return k;
}

function fusibleKernels(prim: string, params: Params, inAvals: ShapedArray[], outAvals: ShapedArray[], device: Device) {
  let key = `${device.platform}:${device.id}|${prim}|${paramsKey(params)}`;
  for (const a of inAvals) key += `|${avalKey(a)}`;
  let entry = kernelCache.get(key);
  if (!entry) {
    const lower = rulesOf(prim).lower;
    if (lower.kind !== "fusible") throw new Error("not fusible");
    const ins = inAvals.map((a, i) => inputView(i, a.shape, a.dtype));
    const views = lower.rule(ins, params, outAvals);
    // Outputs of different sizes go into separate kernels.
    const bySize = new Map<number, number[]>();
    outAvals.forEach((a, i) => bySize.set(a.size, [...(bySize.get(a.size) ?? []), i]));
    const groups = [...bySize.values()].map((outs) => {
      const k: Kernel = kernelOf(prim, inAvals.map((a) => ({ dtype: a.dtype, size: a.size })), outs.map((i) => views[i]));
      return { exe: device.backend.compile(k), outs };
    });
    entry = { groups };
    kernelCache.set(key, entry);
  }
  return entry;
}

export function evalPrimitive(prim: string, values: Value[], params: Params): Value[] {
  const rules = rulesOf(prim);
  if (rules.lower.kind === "impl") return rules.lower.impl(values, params);
  const device = pickDevice(values, prim);
  const arrays = values.map((v) => toArray(v, device));
  const committed = anyCommitted(values);
  const inAvals = arrays.map((a) => a.aval);
  const outAvals = rules.abstractEval(inAvals, params);
  if (rules.lower.kind === "host") {
    const hostIns: HostArray[] = arrays.map((a) => ({ data: a.data(), shape: a.shape, dtype: a.dtype }));
    const outs = rules.lower.run(hostIns, params, outAvals);
    return outs.map((o, i) => Array.fromHost(o.data, outAvals[i].shape, outAvals[i].dtype, { device, weak: outAvals[i].weakType, committed }));
  }
  const outs = outAvals.map((a) => Array.empty(a, device));
  for (const o of outs) o.committed = committed;
  const { groups } = fusibleKernels(prim, params, inAvals, outAvals, device);
  for (const g of groups) {
    if (g.exe.kernel.size === 0) continue;
    device.backend.dispatch(g.exe, arrays.map((a) => a.buffer), g.outs.map((i) => outs[i].buffer));
  }
  return outs;
}

installEvaluator(evalPrimitive);
