/**
 * @file `jax.config` and the device list as the Python package sees them. The number of CPU
 * devices comes from `XLA_FLAGS=--xla_force_host_platform_device_count=N` (Python's
 * `os.environ`) or the `jax_num_cpu_devices` option, at every device query (arrays stay valid).
 */

import { config as dtypeConfig } from "../ir/dtype.js";
import { type Device, defaultBackend, devices as runtimeDevices, setPlatforms } from "../backend/device.js";
import { cpuDeviceCount, setCpuDeviceCount } from "../backend/cpu-threads.js";

const options: Record<string, unknown> = {
  jax_enable_x64: false,
  jax_num_cpu_devices: -1,
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
    // -1 (JAX's default) follows XLA_FLAGS again.
    if (name === "jax_num_cpu_devices") setCpuDeviceCount(value === -1 ? null : (value as number));
    if (name === "jax_enable_x64") dtypeConfig.enableX64 = Boolean(value);
    if (name === "jax_threefry_partitionable") dtypeConfig.threefryPartitionable = Boolean(value);
    if (name === "jax_platforms") setPlatforms(value === undefined || value === null || value === "" ? null : String(value));
    options[name] = value;
  },
  configRead(name: string): unknown {
    if (!(name in options)) throw attributeError(`Unrecognized config option: ${name}`);
    if (name === "jax_enable_x64") return dtypeConfig.enableX64;
    if (name === "jax_threefry_partitionable") return dtypeConfig.threefryPartitionable;
    if (name === "jax_num_cpu_devices") return options[name] === -1 ? -1 : cpuDeviceCount();
    return options[name];
  },
};

const describe = (d: Device): string => `${d.platform}|${d.id}|${d.deviceKind}`;

export const devices = {
  /**
   * Python's `os.environ["XLA_FLAGS"]`, read at every device query: the runtime counts CPU
   * devices from it (`--xla_force_host_platform_device_count=N`), as the post sets it mid-session.
   */
  setXlaFlags(flags: string): void {
    if (flags) process.env.XLA_FLAGS = flags;
    else delete process.env.XLA_FLAGS;
  },
  /** The default backend's platform: WebGPU when an adapter exists (and is allowed), else "cpu". */
  defaultBackend(): string {
    return defaultBackend();
  },
  /** The devices of a platform (the default backend's when undefined) as `platform|id|kind`. */
  deviceList(platform: string | undefined): string[] {
    return runtimeDevices(platform).map(describe);
  },
};
