/**
 * @file CPU devices 1…N-1: each runs compiled CPU kernels in its own worker thread (device 0
 * stays on the calling thread, for latency). Buffers are SharedArrayBuffers, so handing work to a
 * device copies nothing: a dispatch posts the kernel's id and its buffers' ids and returns at
 * once; reads wait (Atomics) until the device has run everything queued before them. The number
 * of CPU devices is read at every device query (XLA_FLAGS or jax_num_cpu_devices).
 *
 * With more devices than cores it still works — the threads take turns on the cores, so sharded
 * work runs no faster than with one device per core (and each extra thread costs a little).
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { DType } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import type { Kernel } from "../codegen/exp.js";
import { type Backend, type Buffer, type Executable } from "./backend.js";
import { CpuBuffer, HeapBuffers } from "./cpu.js";
import { type HeapRange, SCRATCH_BYTES, cpuHeap } from "./heap.js";
import { bootstrap, tsxLoader } from "./threads.js";

// ---- how many CPU devices ----------------------------------------------------------------------

let explicitCount: number | null = null;
const FLAG = /--xla_force_host_platform_device_count=(\d+)/;

/** `jax_num_cpu_devices` (null: follow XLA_FLAGS again). */
export function setCpuDeviceCount(n: number | null): void {
  if (n !== null && (!Number.isInteger(n) || n < 1)) throw new TypeError(`jax_num_cpu_devices must be a positive integer, got ${String(n)}`);
  explicitCount = n;
}

/** The number of CPU devices now: jax_num_cpu_devices if set, else XLA_FLAGS's count, else 1. */
export function cpuDeviceCount(): number {
  if (explicitCount !== null) return explicitCount;
  const m = FLAG.exec(process.env.XLA_FLAGS ?? "");
  return m ? Math.max(1, Number(m[1])) : 1;
}

// ---- the protocol ----------------------------------------------------------------------------------

/** Commands to a device thread, run in order. */
export type ThreadCommand =
  | { readonly op: "buf"; readonly id: number; readonly data: SharedArrayBuffer; readonly byteOffset: number; readonly byteLength: number; readonly heapAddr: number }
  | { readonly op: "drop"; readonly id: number }
  | { readonly op: "compile"; readonly id: number; readonly kernel: Kernel }
  | { readonly op: "run"; readonly exe: number; readonly ins: readonly number[]; readonly outs: readonly number[] };

/** Slots of the control words shared with a device thread. */
export const CTL = { POSTED: 0, DONE: 1, FAILED: 2 } as const;

export interface ThreadData {
  readonly url: string;
  readonly tsx: string | undefined;
  readonly ctl: SharedArrayBuffer;
  readonly port: MessagePort;
  /** The CPU heap's memory (heap.ts): the thread's kernels work on its buffers in place. */
  readonly heap: WebAssembly.Memory;
  /** The thread's scratch range in the heap (null: the heap had no room). */
  readonly scratch: HeapRange | null;
}

function workerUrl(): string {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./cpu-worker.ts", here).href;
  // Bundled: the worker is emitted as out/kernel/cpu-worker.js, next to the kernel's bundles
  // (or one level down from a bundle at out/).
  for (const rel of ["./cpu-worker.js", "./kernel/cpu-worker.js"]) {
    const u = new URL(rel, here);
    if (existsSync(fileURLToPath(u))) return u.href;
  }
  return new URL("./cpu-worker.js", here).href;
}

/** The thread's start-up stub: a module that cannot load is reported as the device's failure. */
const BOOTSTRAP = bootstrap(`(e) => {
  workerData.port.postMessage({ error: "CPU device thread failed to start: " + ((e && e.message) || e) });
  const c = new Int32Array(workerData.ctl);
  Atomics.store(c, ${CTL.FAILED}, 1);
  Atomics.notify(c, ${CTL.DONE});
}`);

/** A scratch range in the heap for a new device thread (kept while the process lives, as the thread is). */
function threadScratch(): HeapRange | null {
  const addr = cpuHeap().alloc(SCRATCH_BYTES);
  return addr === null ? null : { addr, bytes: SCRATCH_BYTES };
}

// ---- the backend -----------------------------------------------------------------------------------

class ThreadExecutable implements Executable {
  constructor(readonly kernel: Kernel, readonly id: number) {}
}

/** How long a read waits for a device thread before declaring it stuck. */
const TIMEOUT_MS = 600_000;

/** The backend of one CPU device that runs on its own thread. */
export class CpuThreadBackend implements Backend {
  readonly platform = "cpu" as const;
  readonly stats = { compiles: 0, dispatches: 0 };
  private thread: { readonly worker: Worker; readonly port: MessagePort; readonly ctl: Int32Array } | null = null;
  private queue: ThreadCommand[] = [];
  /** Commands queued so far (sent or not): the thread's DONE counter catches up with it. */
  private queued = 0;
  private nextExe = 1;
  private nextBuf = 1;
  private readonly ids = new WeakMap<CpuBuffer, number>();
  /** Freed buffers, reusable once the thread has run every command queued before the free. */
  private freed: { buf: CpuBuffer; after: number }[] = [];
  /** Heap ranges of buffers collected without `free`, released once the thread is past `after`. */
  private collectedRanges: { addr: number; after: number }[] = [];
  /** The thread's id of each heap buffer it was sent (so a collected one can be dropped there). */
  private readonly heapIds = new Map<number, number>();
  private readonly heapBuffers = new HeapBuffers((addr) => {
    const id = this.heapIds.get(addr);
    if (id === undefined) {
      cpuHeap().release(addr);
      return;
    }
    this.heapIds.delete(addr);
    this.enqueue({ op: "drop", id });
    this.collectedRanges.push({ addr, after: this.queued });
    this.recycle();
  });
  private pool = new Map<number, CpuBuffer[]>();
  private pooledBytes = 0;
  poolLimit = 256 << 20;

  constructor(readonly deviceId: number) {}

  // ---- memory ----

  alloc(bytes: number): CpuBuffer {
    const n = Math.max(bytes, 0);
    this.recycle();
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
    if (!this.ids.has(b)) {
      this.keep(b);
      return;
    }
    this.freed.push({ buf: b, after: this.queued });
  }
  /** Moves freed buffers the thread is done with into the pool or the heap (or lets them go). */
  private recycle(): void {
    if ((!this.freed.length && !this.collectedRanges.length) || !this.thread) return;
    const done = Atomics.load(this.thread.ctl, CTL.DONE);
    const still: { buf: CpuBuffer; after: number }[] = [];
    for (const f of this.freed) {
      if (done >= f.after) this.keep(f.buf);
      else still.push(f);
    }
    this.freed = still;
    const later: { addr: number; after: number }[] = [];
    for (const c of this.collectedRanges) {
      if (done >= c.after) cpuHeap().release(c.addr);
      else later.push(c);
    }
    this.collectedRanges = later;
  }
  private keep(b: CpuBuffer): void {
    const id = this.ids.get(b);
    const drop = (): void => {
      if (id === undefined) return;
      this.ids.delete(b);
      this.enqueue({ op: "drop", id });
    };
    if (b.heapAddr >= 0) {
      // The thread forgets the buffer before the range can be handed out again.
      drop();
      this.heapIds.delete(b.heapAddr);
      this.heapBuffers.forget(b);
      cpuHeap().release(b.heapAddr);
      return;
    }
    if (b.bytes < 4096 || this.pooledBytes + b.bytes > this.poolLimit) {
      drop();
      return;
    }
    let list = this.pool.get(b.bytes);
    if (!list) this.pool.set(b.bytes, (list = []));
    list.push(b);
    this.pooledBytes += b.bytes;
  }
  /** Writes into a buffer no queued command uses (fresh or recycled), so no wait is needed. */
  write(buf: Buffer, data: Uint8Array): void {
    (buf as CpuBuffer).bytesView().set(data);
  }
  read(buf: Buffer, dtype: DType, size: number): HostData {
    this.sync();
    return (buf as CpuBuffer).view(dtype, size).slice() as HostData;
  }

  // ---- kernels ----

  compile(kernel: Kernel): ThreadExecutable {
    this.stats.compiles++;
    const exe = new ThreadExecutable(kernel, this.nextExe++);
    this.enqueue({ op: "compile", id: exe.id, kernel });
    return exe;
  }
  dispatch(exe: Executable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    this.stats.dispatches++;
    const ins = inputs.map((b) => this.idOf(b as CpuBuffer));
    const outs = outputs.map((b) => this.idOf(b as CpuBuffer));
    this.enqueue({ op: "run", exe: (exe as ThreadExecutable).id, ins, outs });
    if (this.queue.length >= 64) this.flush();
  }
  private idOf(b: CpuBuffer): number {
    let id = this.ids.get(b);
    if (id === undefined) {
      id = this.nextBuf++;
      this.ids.set(b, id);
      this.enqueue({ op: "buf", id, data: b.data as SharedArrayBuffer, byteOffset: b.byteOffset, byteLength: b.byteLength, heapAddr: b.heapAddr });
      if (b.heapAddr >= 0) this.heapIds.set(b.heapAddr, id);
    }
    return id;
  }
  private enqueue(c: ThreadCommand): void {
    this.queue.push(c);
    this.queued++;
  }

  // ---- the thread ----

  private start() {
    if (this.thread) return this.thread;
    const ctl = new Int32Array(new SharedArrayBuffer(4 * 3));
    const { port1, port2 } = new MessageChannel();
    const data: ThreadData = { url: workerUrl(), tsx: tsxLoader(), ctl: ctl.buffer as SharedArrayBuffer, port: port2, heap: cpuHeap().memory, scratch: threadScratch() };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList: [port2], name: `jaxnb CPU ${this.deviceId}` });
    worker.unref();
    port1.unref();
    return (this.thread = { worker, port: port1, ctl });
  }

  /** Sends queued commands to the thread, which starts on them at once. */
  flush(): void {
    if (!this.queue.length) return;
    const t = this.start();
    t.port.postMessage(this.queue);
    this.queue = [];
    Atomics.add(t.ctl, CTL.POSTED, 1);
    Atomics.notify(t.ctl, CTL.POSTED);
  }

  /** Waits until the thread has run everything queued (block_until_ready); raises its errors. */
  sync(): void {
    this.flush();
    const t = this.thread;
    if (!t) return;
    const start = Date.now();
    for (;;) {
      if (Atomics.load(t.ctl, CTL.FAILED)) this.raise();
      const done = Atomics.load(t.ctl, CTL.DONE);
      if (done >= this.queued) break;
      if (Date.now() - start > TIMEOUT_MS) throw new Error(`CPU device ${this.deviceId} did not finish its work within ${TIMEOUT_MS / 1000} s`);
      Atomics.wait(t.ctl, CTL.DONE, done, 1000);
    }
    this.recycle();
  }
  private raise(): never {
    const t = this.thread!;
    const msg = receiveMessageOnPort(t.port)?.message as { error?: string } | undefined;
    Atomics.store(t.ctl, CTL.FAILED, 0);
    throw new Error(msg?.error ?? `CPU device ${this.deviceId} failed`);
  }
}
