/** @file The CPU backend: buffers are (Shared)ArrayBuffers, kernels are JavaScript functions. */

import { type DType, ITEMSIZE } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import type { Kernel } from "../codegen/exp.js";
import { renderKernelJs } from "../codegen/js.js";
import { H } from "../codegen/jsmath.js";
import { type Backend, type Buffer, type Executable, TYPED_ARRAY } from "./backend.js";

export class CpuBuffer implements Buffer {
  constructor(readonly data: ArrayBuffer | SharedArrayBuffer) {}
  get bytes(): number {
    return this.data.byteLength;
  }
  view(dtype: DType, size?: number): HostData {
    return new TYPED_ARRAY[dtype](this.data, 0, size ?? Math.floor(this.data.byteLength / ITEMSIZE[dtype]));
  }
}

type KernelFn = (ins: HostData[], outs: HostData[], start: number, end: number, h: typeof H) => void;

export class CpuExecutable implements Executable {
  constructor(readonly kernel: Kernel, readonly source: string, readonly fn: KernelFn, readonly outer: number) {}
}

export class CpuBackend implements Backend {
  readonly platform = "cpu" as const;
  readonly stats = { compiles: 0, dispatches: 0 };
  private cache = new Map<string, CpuExecutable>();

  alloc(bytes: number): CpuBuffer {
    return new CpuBuffer(new SharedArrayBuffer(Math.max(bytes, 0)));
  }
  free(): void {
    // Garbage collection reclaims the memory.
  }
  write(buf: Buffer, data: Uint8Array): void {
    new Uint8Array((buf as CpuBuffer).data).set(data);
  }
  read(buf: Buffer, dtype: DType, size: number): HostData {
    const src = (buf as CpuBuffer).view(dtype, size);
    return src.slice() as HostData;
  }
  compile(kernel: Kernel): CpuExecutable {
    const { source, outer } = renderKernelJs(kernel);
    const key = `${kernel.inputs.map((i) => i.dtype).join(",")}|${kernel.outputs.map((o) => o.dtype).join(",")}|${source.slice(source.indexOf("\n"))}`;
    let exe = this.cache.get(key);
    if (!exe) {
      this.stats.compiles++;
      exe = new CpuExecutable(kernel, source, new Function("ins", "outs", "start", "end", "H", source) as KernelFn, outer);
      this.cache.set(key, exe);
    }
    return exe;
  }
  dispatch(exe: Executable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    const e = exe as CpuExecutable;
    this.stats.dispatches++;
    const ins = inputs.map((b, i) => (b as CpuBuffer).view(e.kernel.inputs[i].dtype));
    const outs = outputs.map((b, i) => (b as CpuBuffer).view(e.kernel.outputs[i].dtype));
    e.fn(ins, outs, 0, e.outer, H);
  }
}
