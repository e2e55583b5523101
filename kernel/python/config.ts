/**
 * @file `jax.config` and the device list as the Python package sees them. The number of CPU
 * devices comes from `XLA_FLAGS=--xla_force_host_platform_device_count=N` or the
 * `jax_num_cpu_devices` option and applies at the next device query (arrays stay valid).
 */

import { config as dtypeConfig } from "../ir/dtype.js";
import { type Device, defaultBackend, devices as runtimeDevices, setPlatforms } from "../backend/device.js";

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

function attributeError(message: string): Error {
  const e = new Error(message);
  e.name = "AttributeError";
  return e;
}

export const config = {
  /** `jax.config.update(name, value)`; unknown names are an AttributeError as in JAX. */
  configUpdate(name: string, value: unknown): void {
    if (!(name in options)) throw attributeError(`Unrecognized config option: ${name}`);
    if (name === "jax_num_cpu_devices" && (!Number.isInteger(value) || (value as number) < 1)) {
      throw new TypeError(`jax_num_cpu_devices must be a positive integer, got ${String(value)}`);
    }
    if (name === "jax_enable_x64") dtypeConfig.enableX64 = Boolean(value);
    if (name === "jax_threefry_partitionable") dtypeConfig.threefryPartitionable = Boolean(value);
    if (name === "jax_platforms") setPlatforms(value === undefined || value === null || value === "" ? null : String(value));
    options[name] = value;
  },
  configRead(name: string): unknown {
    if (!(name in options)) throw attributeError(`Unrecognized config option: ${name}`);
    if (name === "jax_enable_x64") return dtypeConfig.enableX64;
    if (name === "jax_threefry_partitionable") return dtypeConfig.threefryPartitionable;
    return options[name];
  },
};

const describe = (d: Device): string => `${d.platform}|${d.id}|${d.deviceKind}`;

export const devices = {
  /** The default backend's platform: WebGPU when an adapter exists (and is allowed), else "cpu". */
  defaultBackend(): string {
    return defaultBackend();
  },
  /** The devices of a platform (the default backend's when undefined) as `platform|id|kind`. */
  deviceList(platform: string | undefined): string[] {
    const ds = runtimeDevices(platform);
    if (ds.length && ds[0].platform === "cpu") {
      // CPU devices beyond the first are the sharding runtime's; their number is the option's.
      const n = options.jax_num_cpu_devices as number;
      return [...globalThis.Array(n).keys()].map((i) => `cpu|${i}|cpu`);
    }
    return ds.map(describe);
  },
};
