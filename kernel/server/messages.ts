/** @file Messages between the kernel process's main thread and its Python thread. */

import type { MessagePort } from "node:worker_threads";
import type { KernelInfo } from "./protocol.js";

export interface WorkerData {
  /** Pyodide's interrupt buffer (1 byte): the main thread writes 2 (SIGINT). */
  interrupt: SharedArrayBuffer;
  /** Int32 flag the Python thread sleeps on during a blocking call to the main thread. */
  syncFlag: SharedArrayBuffer;
  /** The port blocking calls are sent and answered on. */
  syncPort: MessagePort;
  /** Environment Python sees (`os.environ`): the JAX_* and XLA_* variables of the process. */
  env: Record<string, string>;
  /** The working directory, made visible to Python at the same path. */
  cwd: string | undefined;
  version: string;
}

/** A protocol request forwarded to the Python thread. */
export interface ToWorker {
  id: number;
  method: string;
  params: unknown;
}

export type FromWorker =
  | { type: "ready"; info: KernelInfo }
  | { type: "notify"; method: string; params: unknown }
  | { type: "response"; id: number; result?: unknown; error?: { message: string } }
  | { type: "fatal"; message: string };
