/** @file The narrow interface every device backend implements (CPU, WebGPU), and buffers. */

import type { DType } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import type { Kernel } from "../codegen/exp.js";

/** A block of device memory, owned by one backend. */
export interface Buffer {
  readonly bytes: number;
}

/** A compiled kernel, ready to dispatch. */
export interface Executable {
  readonly kernel: Kernel;
}

export interface Backend {
  readonly platform: "cpu" | "webgpu";
  alloc(bytes: number): Buffer;
  free(buf: Buffer): void;
  /** Copies host bytes into the buffer. */
  write(buf: Buffer, data: Uint8Array): void;
  /** Reads the buffer (waits for queued work); returns a fresh copy. */
  read(buf: Buffer, dtype: DType, size: number): HostData;
  compile(kernel: Kernel): Executable;
  /** Waits until queued work has run (asynchronous backends; block_until_ready). */
  sync?(): void;
  /** Queues a kernel over input and output buffers. */
  dispatch(exe: Executable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void;
  /** Counts of compiled kernels, for the compile-cache tests and `lower().as_text()`. */
  readonly stats: { compiles: number; dispatches: number };
}

export const TYPED_ARRAY: Record<DType, new (b: ArrayBufferLike, off?: number, len?: number) => HostData> = {
  bool: Uint8Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  float32: Float32Array,
  float64: Float64Array,
};
