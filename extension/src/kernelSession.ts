/**
 * @file One kernel process per notebook: started with the editor's own Node
 * (`process.execPath`, ELECTRON_RUN_AS_NODE=1), the backend and CPU device count in its
 * environment; crash detection through the client's `died` event; clean shutdown.
 */

import * as path from "node:path";
import * as vscode from "vscode";
import { KernelClient, type KernelDiedError } from "../../kernel/server/client.js";
import type { DeviceInfo, KernelInfo } from "../../kernel/server/protocol.js";

export type BackendChoice = "webgpu" | "cpu";

export class KernelSession implements vscode.Disposable {
  readonly client: KernelClient;
  readonly ready: Promise<KernelInfo>;
  devices: DeviceInfo[] = [];
  info: KernelInfo | undefined;
  private disposed = false;

  constructor(
    readonly extensionPath: string,
    readonly backend: BackendChoice,
    readonly cpuDevices: number,
    cwd: string | undefined,
    onDied: (e: KernelDiedError) => void,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: "1", XLA_FLAGS: `--xla_force_host_platform_device_count=${cpuDevices}` };
    if (backend === "cpu") env.JAX_PLATFORMS = "cpu";
    else delete env.JAX_PLATFORMS;
    this.client = KernelClient.start({
      kernelMain: path.join(extensionPath, "out", "kernel", "main.js"),
      nodePath: process.execPath,
      cwd,
      env,
    });
    this.client.on("died", (e) => {
      if (!this.disposed) onDied(e);
    });
    this.ready = this.client.ready.then(async (info) => {
      this.info = info;
      this.devices = await this.client.request("devices", {});
      return info;
    });
  }

  /** Asks the kernel again: a notebook can change its devices (XLA_FLAGS set before JAX starts). */
  async refreshDevices(): Promise<void> {
    if (!this.isDead) this.devices = await this.client.request("devices", {});
  }

  get isDead(): boolean {
    return this.client.isDead;
  }

  /** `JAX: WebGPU (llvmpipe) · 4 CPU`, for the status bar. */
  describe(): string {
    const gpu = this.devices.find((d) => d.platform === "webgpu");
    const cpus = this.devices.filter((d) => d.platform === "cpu").length;
    const head = this.backend === "webgpu" && gpu ? `WebGPU (${shortKind(gpu.deviceKind)})` : "CPU";
    return `JAX: ${head} · ${cpus} CPU`;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.client.shutdown(1500);
  }
}

const shortKind = (kind: string): string => kind.split(/[\s(]/)[0] || kind;
