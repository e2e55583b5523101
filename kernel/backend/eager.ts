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
 * Concrete arrays on `device` from values: host scalars become weakly typed 0-d arrays, and a
 * 0-d array on another device moves (JAX's uncommitted scalars follow the other operands).
 */
export function toArray(x: Value, device?: Device): Array {
  if (x instanceof Array) {
    if (!device || x.device === device || x.ndim !== 0) return x;
    return Array.fromHost(x.data(), [], x.dtype, { device, weak: x.weakType });
  }
  if (x instanceof TypedScalar) return Array.scalar(x.value, x.dtype, x.weakType, device);
  if (x instanceof JaxValue) throw new TypeError(`Expected a concrete array, got ${String(x)}`);
  const aval = getAval(x);
  return Array.scalar(x, aval.dtype, aval.weakType, device);
}

/**
 * The device a computation on `args` runs on: that of its (non-scalar) arrays, which must agree;
 * 0-d arrays only decide when nothing else does.
 */
export function pickDevice(args: readonly Value[], what = "the arguments"): Device {
  let dev: Device | undefined;
  let scalarDev: Device | undefined;
  for (const a of args) {
    if (!(a instanceof Array)) continue;
    if (a.ndim === 0) {
      scalarDev ??= a.device;
      continue;
    }
    if (dev && a.device !== dev) {
      throw new Error(`Received incompatible devices for ${what}: ${dev.toString()} and ${a.device.toString()}. Move them with device_put.`);
    }
    dev = a.device;
  }
  return dev ?? scalarDev ?? defaultDevice();
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
  const device = pickDevice(values);
  const arrays = values.map((v) => toArray(v, device));
  const inAvals = arrays.map((a) => a.aval);
  const outAvals = rules.abstractEval(inAvals, params);
  if (rules.lower.kind === "host") {
    const hostIns: HostArray[] = arrays.map((a) => ({ data: a.data(), shape: a.shape, dtype: a.dtype }));
    const outs = rules.lower.run(hostIns, params, outAvals);
    return outs.map((o, i) => Array.fromHost(o.data, outAvals[i].shape, outAvals[i].dtype, { device, weak: outAvals[i].weakType }));
  }
  const outs = outAvals.map((a) => Array.empty(a, device));
  const { groups } = fusibleKernels(prim, params, inAvals, outAvals, device);
  for (const g of groups) {
    if (g.exe.kernel.size === 0) continue;
    device.backend.dispatch(g.exe, arrays.map((a) => a.buffer), g.outs.map((i) => outs[i].buffer));
  }
  return outs;
}

installEvaluator(evalPrimitive);
