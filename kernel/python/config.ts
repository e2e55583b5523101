/**
 * @file `jax.config` and the device list as the Python package sees them. The number of CPU
 * devices comes from `XLA_FLAGS=--xla_force_host_platform_device_count=N` or the
 * `jax_num_cpu_devices` option and applies at the next device query (arrays stay valid).
 */

import { config as dtypeConfig } from "../ir/dtype.js";
import { defaultDevice } from "../backend/device.js";

const options: Record<string, unknown> = {
  jax_enable_x64: false,
  jax_num_cpu_devices: 1,
  jax_platforms: null,
  jax_threefry_partitionable: true,
  jax_default_matmul_precision: null,
  jax_traceback_filtering: "auto",
  jax_debug_nans: false,
  jax_disable_jit: false,
};

export const config = {
  /** `jax.config.update(name, value)`; unknown names are an AttributeError as in JAX. */
  configUpdate(name: string, value: unknown): void {
    if (!(name in options)) {
      const e = new Error(`Unrecognized config option: ${name}`);
      e.name = "AttributeError";
      throw e;
    }
    if (name === "jax_enable_x64") dtypeConfig.enableX64 = Boolean(value);
    if (name === "jax_num_cpu_devices" && (!Number.isInteger(value) || (value as number) < 1)) {
      throw new TypeError(`jax_num_cpu_devices must be a positive integer, got ${String(value)}`);
    }
    options[name] = value;
  },
  configRead(name: string): unknown {
    if (!(name in options)) {
      const e = new Error(`Unrecognized config option: ${name}`);
      e.name = "AttributeError";
      throw e;
    }
    return name === "jax_enable_x64" ? dtypeConfig.enableX64 : options[name];
  },
};

export const devices = {
  /** The default backend's platform: "cpu" unless a WebGPU device is the default. */
  defaultBackend(): string {
    return options.jax_platforms === "cpu" ? "cpu" : defaultDevice().platform;
  },
  /** The devices of a platform as `platform|id|kind` strings. */
  deviceList(platform: string): string[] {
    if (platform === "cpu") {
      const n = options.jax_num_cpu_devices as number;
      return [...globalThis.Array(n).keys()].map((i) => `cpu|${i}|cpu`);
    }
    const d = defaultDevice();
    if (d.platform !== platform) {
      const e = new Error(`Unknown backend ${platform}`);
      e.name = "RuntimeError";
      throw e;
    }
    return [`${d.platform}|${d.id}|${d.deviceKind}`];
  },
};
