/** @file Messages between the kernel process's main thread and its Python thread. */

import type { MessagePort } from "node:worker_threads";
import type { KernelInfo } from "./protocol.js";

export interface WorkerData {
  /** Pyodide's interrupt buffer (1 byte): 2 (SIGINT) raises KeyboardInterrupt in Python. */
  interrupt: SharedArrayBuffer;
  /** Int32 slots EXEC (see there): which execute runs, and which one an interrupt is for. */
  execState: SharedArrayBuffer;
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

/**
 * The slots of `execState`. An interrupt is for one execute request: the running one, else the
 * next to run (it may still wait in the Python thread's queue behind other requests). The main
 * thread writes its key (request id + 1) to FOR, then raises the flag if that request RUNS; the
 * Python thread writes RUNS when it starts an execute, then raises the flag if FOR names it and
 * clears it otherwise (an interrupt for an earlier cell). Whichever comes second sees the other's
 * write, so an interrupt is neither lost nor applied to the wrong cell.
 */
export const EXEC = { RUNS: 0, FOR: 1 } as const;

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
