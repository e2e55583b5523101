/**
 * @file The messages between the WebGPU backend (a proxy in the calling thread) and the GPU
 * thread that owns the Dawn device. Commands travel in ordered batches and are fire-and-forget,
 * except `compile`, `read` and `sync`, whose answers come back on a MessagePort that the caller
 * drains synchronously (receiveMessageOnPort) after waiting on a shared counter with Atomics.wait.
 */

import type { MessagePort } from "node:worker_threads";

/** Buffer and pipeline handles are small integers chosen by the caller, so nothing waits for them. */
export type Command =
  | readonly ["alloc", id: number, bytes: number]
  | readonly ["free", id: number]
  /** `data` is padded to a multiple of 4 bytes (WebGPU's copy granularity). */
  | readonly ["write", id: number, data: ArrayBuffer]
  | readonly ["copy", src: number, dst: number, bytes: number]
  | readonly ["compile", pid: number, name: string, source: string, inputs: number, outputs: number]
  /** `bindings` holds (buffer id, byte offset, byte size) triples, flattened, in binding order. */
  | readonly ["dispatch", pid: number, bindings: readonly number[], x: number, y: number]
  | readonly ["read", id: number, bytes: number]
  | readonly ["sync"]
  | readonly ["stats"];

/** An answer to compile/read/sync (or to start-up); `errors` are the asynchronous errors seen so far. */
export interface Reply {
  readonly seq: number;
  readonly errors: readonly string[];
  /** The failure of this very command (a kernel that does not compile, a buffer that cannot be read). */
  readonly error?: string;
  readonly data?: ArrayBuffer;
  readonly info?: AdapterInfo;
  readonly stats?: PoolStats;
}

/** The buffer pool's counters (for tests and diagnostics). */
export interface PoolStats {
  /** Device buffers created (a freed buffer reused by a later allocation is not counted). */
  readonly created: number;
  readonly reused: number;
  readonly live: number;
  readonly pooledBytes: number;
  /** Bind groups created (a dispatch that finds one cached creates none). */
  readonly bindGroups: number;
}

/** What the GPU thread reports once its device exists. */
export interface AdapterInfo {
  readonly description: string;
  readonly vendor: string;
  readonly architecture: string;
  readonly f16: boolean;
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupsPerDimension: number;
}

/** Options the GPU thread starts with (workerData). */
export interface WorkerOptions {
  /** The GPU thread's module (webgpu-worker.ts or .js), loaded by a plain-JS bootstrap. */
  readonly url: string;
  /** tsx's loader API, registered if the thread cannot load .ts sources by itself. */
  readonly tsx?: string;
  readonly signal: SharedArrayBuffer;
  readonly reply: MessagePort;
  /** Use `shader-f16` when the adapter has it (false: store float16 packed in u32 words). */
  readonly f16: boolean;
  /** Bytes of freed buffers kept for reuse. */
  readonly poolBytes: number;
}

/** Buffer sizes are rounded up to size classes so that freed buffers are reused by later arrays. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, Math.ceil(bytes / 16) * 16);
  if (b <= 4096) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}
