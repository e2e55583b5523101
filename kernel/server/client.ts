/**
 * @file The client side of the kernel protocol: starts a kernel process, sends requests,
 * routes output notifications to the cell that asked, and turns the process ending into a
 * "kernel died" error for every pending request and a `died` event — never a hang. Used by the
 * CLI and the VS Code extension.
 */

import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { createInterface } from "node:readline";
import {
  RPC_ERROR, type ExecuteParams, type ExecuteReply, type KernelInfo, type Notifications, type NotificationMethod,
  type Requests, type RequestMethod, type RpcMessage, type RpcResponse,
} from "./protocol.js";

export interface KernelOptions {
  /** The kernel process's script (out/kernel/main.js). */
  kernelMain: string;
  /** The Node executable (the editor's own in VS Code, with ELECTRON_RUN_AS_NODE=1). */
  nodePath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Use Node's IPC channel instead of stdio lines. */
  ipc?: boolean;
}

/** Raised for requests pending when the kernel process ends. */
export class KernelDiedError extends Error {
  readonly code = RPC_ERROR.kernelDied;
  constructor(readonly exitCode: number | null, readonly signal: string | null, readonly stderrTail: string) {
    super(`Kernel died (${signal ? `signal ${signal}` : `exit code ${exitCode}`})${stderrTail ? `: ${stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""}`);
    this.name = "KernelDiedError";
  }
}

export class KernelRequestError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "KernelRequestError";
  }
}

/** Handlers for the outputs of one execution. */
export type OutputHandlers = { [M in Exclude<NotificationMethod, "ready" | "log">]?: (params: Notifications[M]) => void };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/**
 * Events: `notification` (method, params) for every notification; `died` (KernelDiedError) once,
 * when the process ends; `stderr` (text) for the process's diagnostics.
 */
export class KernelClient extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Output handlers by cell id; executions of one cell run in order, so the first is current. */
  private readonly cells = new Map<string, OutputHandlers[]>();
  private stderrTail = "";
  private deathError: KernelDiedError | null = null;
  readonly ready: Promise<KernelInfo>;
  readonly exited: Promise<KernelDiedError>;

  private constructor(private readonly proc: ChildProcess, ipc: boolean) {
    super();
    this.ready = new Promise<KernelInfo>((resolve, reject) => {
      const onReady = (m: string, p: unknown): void => {
        if (m === "ready") {
          this.off("notification", onReady);
          resolve(p as KernelInfo);
        }
      };
      this.on("notification", onReady);
      this.once("died", reject);
    });
    // A client that never awaited `ready` must not crash on its rejection.
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => this.once("died", resolve));
    if (ipc) proc.on("message", (m) => this.onMessage(m as RpcMessage));
    else {
      createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on("line", (line) => {
        if (!line.trim()) return;
        try {
          this.onMessage(JSON.parse(line) as RpcMessage);
        } catch {
          this.emit("stderr", `unparseable kernel output: ${line}\n`);
        }
      });
    }
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-4000);
      this.emit("stderr", s);
    });
    proc.on("exit", (code, signal) => this.onExit(code, signal));
    proc.on("error", (e) => {
      this.stderrTail += `\n${e.message}`;
      this.onExit(null, null);
    });
  }

  /** Starts a kernel process; await `ready` before relying on it (requests queue meanwhile). */
  static start(opts: KernelOptions): KernelClient {
    const ipc = opts.ipc ?? false;
    const proc = spawn(opts.nodePath ?? process.execPath, [opts.kernelMain], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ipc ? ["pipe", "pipe", "pipe", "ipc"] : ["pipe", "pipe", "pipe"],
    });
    return new KernelClient(proc, ipc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }
  get isDead(): boolean {
    return this.deathError !== null;
  }

  private onMessage(msg: RpcMessage): void {
    if ("id" in msg && msg.id !== undefined && !("method" in msg)) {
      const res = msg as RpcResponse;
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.error) p.reject(new KernelRequestError(res.error.code, res.error.message));
      else p.resolve(res.result);
      return;
    }
    if ("method" in msg) {
      const method = msg.method as NotificationMethod;
      const params = msg.params as Notifications[NotificationMethod];
      const cellId = (params as { cellId?: string }).cellId;
      const handler = cellId !== undefined ? (this.cells.get(cellId)?.[0] as Record<string, ((p: unknown) => void) | undefined> | undefined)?.[method] : undefined;
      handler?.(params);
      this.emit("notification", method, params);
    }
  }

  private onExit(code: number | null, signal: string | null): void {
    if (this.deathError) return;
    this.deathError = new KernelDiedError(code, signal, this.stderrTail);
    for (const p of this.pending.values()) p.reject(this.deathError);
    this.pending.clear();
    this.cells.clear();
    this.emit("died", this.deathError);
  }

  private write(msg: RpcMessage): void {
    if (this.proc.send) this.proc.send(msg);
    else this.proc.stdin!.write(`${JSON.stringify(msg)}\n`);
  }

  request<M extends RequestMethod>(method: M, params: Requests[M][0]): Promise<Requests[M][1]> {
    if (this.deathError) return Promise.reject(this.deathError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  /** Runs code; `handlers` receive this execution's outputs as they arrive. */
  async execute(params: ExecuteParams, handlers: OutputHandlers = {}): Promise<ExecuteReply> {
    const queue = this.cells.get(params.cellId) ?? [];
    queue.push(handlers);
    this.cells.set(params.cellId, queue);
    try {
      return await this.request("execute", params);
    } finally {
      queue.splice(queue.indexOf(handlers), 1);
      if (queue.length === 0 && this.cells.get(params.cellId) === queue) this.cells.delete(params.cellId);
    }
  }

  interrupt(): Promise<Record<string, never>> {
    return this.request("interrupt", {});
  }

  /** Asks the kernel to exit; kills it if it has not within `graceMs`. */
  async shutdown(graceMs = 2000): Promise<void> {
    if (this.deathError) return;
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      await this.request("shutdown", {});
    } catch {
      // Already gone.
    }
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.deathError) this.proc.kill("SIGKILL");
  }
}
