/** @file Devices: a platform, an id and the backend that runs its kernels. */

import type { Backend } from "./backend.js";
import { CpuBackend } from "./cpu.js";

export class Device {
  constructor(
    readonly platform: "cpu" | "webgpu",
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

let defaultDev: Device = cpu0;

export const cpuDevice = (): Device => cpu0;
export const defaultDevice = (): Device => defaultDev;
export function setDefaultDevice(d: Device): void {
  defaultDev = d;
}
