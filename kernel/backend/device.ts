/**
 * @file Devices: a platform, an id and the backend that runs its kernels; device discovery
 * (`devices(platform?)`) and the default backend: WebGPU when an adapter exists, else the CPU;
 * `JAX_PLATFORMS` (or `setPlatforms`, jax_platforms) restricts the platforms, as in JAX.
 */

import type { Backend } from "./backend.js";
import { CpuBackend } from "./cpu.js";
import { CpuThreadBackend, cpuDeviceCount } from "./cpu-threads.js";
import { WebGpuBackend } from "./webgpu.js";

export type Platform = "cpu" | "webgpu";

export class Device {
  constructor(
    readonly platform: Platform,
    readonly id: number,
    readonly backend: Backend,
    readonly deviceKind: string,
  ) {}
  toString(): string {
    return this.platform === "cpu" ? `CpuDevice(id=${this.id})` : `WebGpuDevice(id=${this.id}, kind=${JSON.stringify(this.deviceKind)})`;
  }
}

const cpuBackend = new CpuBackend();
const cpu0 = new Device("cpu", 0, cpuBackend, "cpu");

export const cpuDevice = (): Device => cpu0;

const cpuList: Device[] = [cpu0];

/**
 * The CPU devices: device 0 runs kernels on the calling thread, devices 1… each on its own thread
 * (cpu-threads.ts). Their number is read at every query (XLA_FLAGS, jax_num_cpu_devices); devices
 * beyond a later, smaller count stay valid for the arrays they hold.
 */
export function cpuDevices(): Device[] {
  const n = cpuDeviceCount();
  while (cpuList.length < n) cpuList.push(new Device("cpu", cpuList.length, new CpuThreadBackend(cpuList.length), "cpu"));
  return cpuList.slice(0, n);
}

// ---- WebGPU discovery ---------------------------------------------------------------------------

let webgpu: { readonly devices: Device[]; readonly error: string | null } | null = null;

/**
 * The WebGPU devices (the adapter Dawn finds: a GPU, or Mesa's lavapipe), discovered on first
 * use — this starts the GPU thread. Empty when there is no adapter (see `webgpuUnavailable`).
 */
export function webgpuDevices(): Device[] {
  if (!webgpu) {
    const r = WebGpuBackend.create();
    webgpu = "backend" in r ? { devices: [new Device("webgpu", 0, r.backend, r.backend.kind)], error: null } : { devices: [], error: r.error };
  }
  return webgpu.devices;
}

/** Why there is no WebGPU device (null when there is one). */
export function webgpuUnavailable(): string | null {
  webgpuDevices();
  return webgpu!.error;
}

// ---- platforms and the default device -------------------------------------------------------------

let platformsOverride: string | null = null;

/** jax_platforms: a comma-separated priority list ("cpu", "webgpu"; "gpu" means webgpu); null: JAX_PLATFORMS. */
export function setPlatforms(spec: string | null): void {
  platformsOverride = spec;
  resolved = null;
}

function runtimeError(message: string): Error {
  const e = new Error(message);
  e.name = "RuntimeError";
  return e;
}

function canonicalPlatform(name: string): Platform | null {
  const n = name.trim().toLowerCase();
  if (n === "cpu") return "cpu";
  if (n === "webgpu" || n === "gpu") return "webgpu";
  return null;
}

/** The platforms allowed, in priority order (all of them when unrestricted). */
function allowedPlatforms(): Platform[] {
  const spec = platformsOverride ?? process.env.JAX_PLATFORMS ?? "";
  if (!spec.trim()) return ["webgpu", "cpu"];
  return spec.split(",").map((p) => {
    const c = canonicalPlatform(p);
    if (!c) throw runtimeError(`Unknown platform ${JSON.stringify(p.trim())} in JAX_PLATFORMS; known platforms are cpu and webgpu.`);
    return c;
  });
}

const available = (p: Platform): Device[] => (p === "cpu" ? cpuDevices() : webgpuDevices());

let resolved: { readonly key: string; readonly device: Device } | null = null;
let explicitDefault: Device | null = null;

/** The default backend: the first allowed platform with a device (WebGPU, then the CPU). */
export function defaultBackend(): Platform {
  return defaultDevice().platform;
}

/** Where arrays and computations go unless told otherwise. */
export function defaultDevice(): Device {
  if (explicitDefault) return explicitDefault;
  const key = platformsOverride ?? process.env.JAX_PLATFORMS ?? "";
  if (resolved?.key === key) return resolved.device;
  const allowed = allowedPlatforms();
  for (const p of allowed) {
    const ds = available(p);
    if (ds.length) {
      resolved = { key, device: ds[0] };
      return ds[0];
    }
  }
  throw runtimeError(`Unable to initialize backend ${allowed.join(",")}: ${webgpu?.error ?? "no devices"}`);
}

/** Makes `d` the default device (jax.config.update("jax_default_device", d)); null restores the rule. */
export function setDefaultDevice(d: Device | null): void {
  explicitDefault = d;
}

/** `jax.devices(backend)`: the devices of a platform ("cpu", "webgpu" or "gpu"), or of the default backend. */
export function devices(backend?: string): Device[] {
  if (backend === undefined) return available(defaultBackend());
  const p = canonicalPlatform(backend);
  const present = allowedPlatforms().filter((q) => available(q).length);
  if (!p || !present.includes(p)) {
    throw runtimeError(`Unknown backend: '${backend}' requested, but no platforms that are instances of ${backend} are present. Platforms present are: ${present.join(",")}`);
  }
  return available(p);
}
