/**
 * @file The CPU backend: buffers are SharedArrayBuffers; kernels are WebAssembly SIMD modules
 * where the kernel fits that subset (float32 elementwise), JavaScript functions otherwise.
 */

import { type DType, ITEMSIZE } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import { type Kernel, walkExp } from "../codegen/exp.js";
import { renderKernelJs } from "../codegen/js.js";
import { type WasmKernel, compileWasm, wasmDriver } from "../codegen/wasm.js";
import { type MatmulPlan, planMatmul, runMatmul } from "../codegen/matmul.js";
import { H } from "../codegen/jsmath.js";
import { type Backend, type Buffer, type Executable, TYPED_ARRAY } from "./backend.js";
import { HEAP_MIN_BYTES, cpuHeap, heapScratch } from "./heap.js";

export class CpuBuffer implements Buffer {
  private cached: HostData | null = null;
  private cachedDtype: DType | null = null;
  /**
   * `heapAddr`: the buffer's byte offset in the CPU heap (heap.ts), where `data` is the heap's
   * memory and `byteOffset` equals it; -1 for a buffer of its own.
   */
  constructor(
    readonly data: ArrayBuffer | SharedArrayBuffer,
    readonly byteOffset = 0,
    readonly byteLength = data.byteLength - byteOffset,
    readonly heapAddr = -1,
  ) {}
  get bytes(): number {
    return this.byteLength;
  }
  view(dtype: DType, size?: number): HostData {
    return new TYPED_ARRAY[dtype](this.data, this.byteOffset, size ?? Math.floor(this.byteLength / ITEMSIZE[dtype]));
  }
  /** The whole buffer as a typed array of `dtype` (kept: kernels dispatch on it repeatedly). */
  typed(dtype: DType): HostData {
    if (this.cachedDtype !== dtype) {
      this.cached = this.view(dtype);
      this.cachedDtype = dtype;
    }
    return this.cached!;
  }
  /** The buffer's bytes, for writing. */
  bytesView(): Uint8Array {
    return new Uint8Array(this.data, this.byteOffset, this.byteLength);
  }
}

/**
 * The heap buffers of one backend that were not freed yet: a buffer dropped without `free` (a
 * TypeScript caller's temporaries) holds its range until the garbage collector finds it, and a
 * FinalizationRegistry then gives the range back (`release`: at once, or once a device thread
 * has finished with it). Its callbacks run between tasks, so the ranges of buffers dropped
 * during one long synchronous run come back only after it; meanwhile new buffers take fresh
 * heap memory, and beyond the heap's limit SharedArrayBuffers of their own (as all buffers did
 * before the heap).
 */
export class HeapBuffers {
  private readonly registry: FinalizationRegistry<number>;
  constructor(release: (addr: number) => void) {
    this.registry = new FinalizationRegistry<number>(release);
  }
  /** A buffer of `bytes` bytes: in the heap when it is large and fits, else a SharedArrayBuffer of its own. */
  alloc(bytes: number): CpuBuffer {
    if (bytes >= HEAP_MIN_BYTES) {
      const heap = cpuHeap();
      const addr = heap.alloc(bytes);
      if (addr !== null) {
        const b = new CpuBuffer(heap.buffer, addr, bytes, addr);
        this.registry.register(b, addr, b);
        return b;
      }
    }
    return new CpuBuffer(new SharedArrayBuffer(bytes));
  }
  /** Forgets a heap buffer freed explicitly (its owner releases the range). */
  forget(b: CpuBuffer): void {
    this.registry.unregister(b);
  }
}

/** Freed buffers kept per size (small ones are reused too: allocating a SharedArrayBuffer costs µs). */
const POOL_PER_SIZE = 256;

/** Kernels with less work than this (elements × reduction length) stay JavaScript. */
const WASM_MIN_SIZE = 64;

function kernelWork(k: Kernel): number {
  let r = 1;
  walkExp(k.outputs.map((o) => o.exp), (e) => {
    if (e.kind === "reduce" && e.ridx.kind === "ridx") r = Math.max(r, e.ridx.size);
  });
  return k.size * r;
}

/** `addrs` (WebAssembly kernels): the CPU-heap address of each input then output, -1 if outside it. */
type KernelFn = (ins: HostData[], outs: HostData[], start: number, end: number, h: typeof H, addrs?: readonly number[]) => void;

export class CpuExecutable implements Executable {
  constructor(
    readonly kernel: Kernel,
    /** JavaScript source (for a WebAssembly kernel: the equivalent JavaScript, for reading). */
    readonly source: string,
    readonly fn: KernelFn,
    /** The range of `start`/`end`: the outer loop's trip count (JS) or the element count (wasm). */
    readonly outer: number,
    readonly kind: "js" | "wasm" | "matmul",
  ) {}
}

export class CpuBackend implements Backend {
  readonly platform = "cpu" as const;
  readonly stats = { compiles: 0, dispatches: 0 };
  private cache = new Map<string, CpuExecutable>();
  /** Compile eligible kernels to WebAssembly SIMD (JAXNB_CPU_WASM=0 turns it off). */
  useWasm = process.env.JAXNB_CPU_WASM !== "0";

  /**
   * Freed small buffers by size, reused by later allocations: touching fresh memory costs page
   * faults (on some virtual machines ~50 µs per 4 KiB page), reused memory does not. Large
   * buffers live in the CPU heap, which reuses its freed ranges itself.
   */
  private pool = new Map<number, CpuBuffer[]>();
  private pooledBytes = 0;
  /** Freed memory kept for reuse at most (beyond it, garbage collection reclaims it). */
  poolLimit = 256 << 20;
  private readonly heapBuffers = new HeapBuffers((addr) => cpuHeap().release(addr));

  /** A buffer of `bytes` bytes; its contents are unspecified (a reused buffer keeps old data). */
  alloc(bytes: number): CpuBuffer {
    const n = Math.max(bytes, 0);
    // The pool holds buffers outside the heap: small ones, and large ones made when the heap was full.
    const reuse = this.pool.get(n)?.pop();
    if (reuse) {
      this.pooledBytes -= n;
      return reuse;
    }
    return this.heapBuffers.alloc(n);
  }
  free(buf: Buffer): void {
    const b = buf as CpuBuffer;
    if (b.heapAddr >= 0) {
      this.heapBuffers.forget(b);
      cpuHeap().release(b.heapAddr);
      return;
    }
    if (this.pooledBytes + b.bytes > this.poolLimit) return;
    let list = this.pool.get(b.bytes);
    if (!list) this.pool.set(b.bytes, (list = []));
    if (list.length >= POOL_PER_SIZE) return;
    list.push(b);
    this.pooledBytes += b.bytes;
  }
  write(buf: Buffer, data: Uint8Array): void {
    (buf as CpuBuffer).bytesView().set(data);
  }
  read(buf: Buffer, dtype: DType, size: number): HostData {
    const src = (buf as CpuBuffer).view(dtype, size);
    return src.slice() as HostData;
  }
  compile(kernel: Kernel): CpuExecutable {
    const { source, outer } = renderKernelJs(kernel);
    const key = `${this.useWasm}|${kernel.inputs.map((i) => `${i.dtype}:${i.size}`).join(",")}|${kernel.outputs.map((o) => o.dtype).join(",")}|${source.slice(source.indexOf("\n"))}`;
    let exe = this.cache.get(key);
    if (!exe) {
      this.stats.compiles++;
      const plan = this.useWasm ? planMatmul(kernel) : null;
      // Tiny kernels run faster as JavaScript than through a WebAssembly call's block copies.
      const wasm = this.useWasm && !plan && kernelWork(kernel) >= WASM_MIN_SIZE ? compileWasm(kernel) : null;
      exe = plan
        ? new CpuExecutable(kernel, `// WebAssembly SIMD matmul, then the epilogue; computing:\n${source}`, this.matmulFn(plan), 1, "matmul")
        : wasm
        ? new CpuExecutable(kernel, `// WebAssembly SIMD (${wasm.bytes.length} bytes), computing:\n${source}`, this.wasmFn(wasm), wasm.rows, "wasm")
        : new CpuExecutable(kernel, source, new Function("ins", "outs", "start", "end", "H", source) as KernelFn, outer, "js");
      this.cache.set(key, exe);
    }
    return exe;
  }
  /** A WebAssembly kernel, with its epilogue kernel when it is a row reduction. */
  private wasmFn(w: WasmKernel): KernelFn {
    const epi = w.reduction ? this.compile(w.reduction.epilogue) : null;
    const run = wasmDriver(w, epi && ((ins, outs) => epi.fn(ins, outs, 0, epi.outer, H)), { memory: cpuHeap().memory, scratch: heapScratch });
    return run as unknown as KernelFn;
  }
  /** A contraction kernel: the matmul into a scratch result, then the epilogue kernel reading it. */
  private matmulFn(plan: MatmulPlan): KernelFn {
    const epi = plan.epilogue ? this.compile(plan.epilogue) : null;
    let scratch: Float32Array | null = null;
    return (ins, outs, _start, _end, h) => {
      if (!epi) return runMatmul(plan, ins as Float32Array[], outs[0] as Float32Array);
      scratch ??= new Float32Array(epi.kernel.size);
      runMatmul(plan, ins as Float32Array[], scratch);
      epi.fn([...ins, scratch], outs, 0, epi.outer, h);
    };
  }
  dispatch(exe: Executable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    const e = exe as CpuExecutable;
    this.stats.dispatches++;
    const ins = inputs.map((b, i) => (b as CpuBuffer).typed(e.kernel.inputs[i].dtype));
    const outs = outputs.map((b, i) => (b as CpuBuffer).typed(e.kernel.outputs[i].dtype));
    const addrs = e.kind === "wasm" ? [...inputs, ...outputs].map((b) => (b as CpuBuffer).heapAddr) : undefined;
    e.fn(ins, outs, 0, e.outer, H, addrs);
  }
}
