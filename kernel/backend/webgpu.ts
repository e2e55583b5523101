/**
 * @file The WebGPU backend as the rest of the kernel sees it: a proxy in the calling thread
 * for the GPU thread (webgpu-worker.ts) that owns the Dawn device.
 *
 * Why a thread: Dawn completes `mapAsync` only while its thread's event loop turns, and our
 * callers are synchronous (mocha tests, the TS API, Python in its worker thread). DESIGN.md puts
 * the device on the kernel process's main thread; a dedicated GPU thread keeps the kernel usable
 * as a library and leaves the main thread free for RPC — our documented departure.
 *
 * alloc/free/write/dispatch are queued and sent in batches (no round trip per eager op);
 * compile, read and sync post the batch and block on `Atomics.wait` until the GPU thread answers.
 * Asynchronous GPU errors are thrown at the next of those sync points, naming the kernel.
 */

import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { type DType, ITEMSIZE } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import { type Kernel, constant } from "../codegen/exp.js";
import { type WgslKernel, bindingRanges, renderWgsl, checkWgslDType } from "../codegen/wgsl.js";
import { type MatmulPlan, planMatmul } from "../codegen/matmul.js";
import { renderWgslMatmul } from "../codegen/wgslmatmul.js";
import { type Backend, type Buffer, type Executable, TYPED_ARRAY } from "./backend.js";
import type { AdapterInfo, Command, PoolStats, Reply, WorkerOptions } from "./webgpu-protocol.js";
import { bootstrap, tsxLoader } from "./threads.js";

/** An error the GPU reported (validation, out of memory, device lost, a kernel that does not compile). */
export class WebGpuError extends Error {
  override name = "WebGpuError";
}

export class WebGpuBuffer implements Buffer {
  constructor(readonly id: number, readonly bytes: number) {}
}

export class WebGpuExecutable implements Executable {
  constructor(
    readonly kernel: Kernel,
    readonly wgsl: WgslKernel,
    readonly pid: number,
    /** The 2-D grid of workgroups. */
    readonly grid: readonly [number, number],
    /** A hand-written kernel: each buffer is bound whole, as one binding. */
    readonly raw: boolean,
    /** A contraction: this executable is the matmul (into the output, or a scratch buffer), then the epilogue. */
    readonly contraction: { readonly plan: MatmulPlan; readonly epilogue: WebGpuExecutable | null } | null = null,
  ) {}
  get source(): string {
    return this.contraction?.epilogue ? `${this.wgsl.source}\n${this.contraction.epilogue.source}` : this.wgsl.source;
  }
}

export interface WebGpuOptions {
  /** Use `shader-f16` when the adapter has it (default true). */
  readonly f16?: boolean;
  /** Bytes of freed device buffers kept for reuse (default 1 GiB). */
  readonly poolBytes?: number;
  /** Commands queued before a batch is sent even without a sync point (default 64). */
  readonly batchCommands?: number;
  /** The most bytes one binding covers (default: the device's maxStorageBufferBindingSize). */
  readonly maxBindingBytes?: number;
}

/** How long a sync point waits for the GPU thread before declaring it dead. */
const TIMEOUT_MS = 120_000;
const BATCH_BYTES = 1 << 22;

function workerUrl(): string {
  // Under tsx the sources are .ts; built, the worker is emitted next to this module as .js.
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./webgpu-worker${ext}`, import.meta.url).href;
}

/**
 * The GPU thread starts from this plain-JS stub, so that a worker module that cannot load (no
 * TypeScript loader, Dawn's addon missing) is reported as an answer instead of a silent hang.
 */
const BOOTSTRAP = bootstrap(`(e) => {
  workerData.reply.postMessage({ seq: 1, errors: [], error: "the WebGPU thread failed to start: " + ((e && e.message) || e) });
  const s = new Int32Array(workerData.signal);
  Atomics.add(s, 0, 1);
  Atomics.notify(s, 0);
}`);

export class WebGpuBackend implements Backend {
  readonly platform = "webgpu" as const;
  readonly stats = { compiles: 0, dispatches: 0 };
  private pending: Command[] = [];
  private transfers: ArrayBuffer[] = [];
  private pendingBytes = 0;
  private flushScheduled = false;
  private nextBuffer = 1;
  private nextPipeline = 1;
  private answered = 0;
  private readonly cache = new Map<string, { pid: number; wgsl: WgslKernel }>();
  private readonly batchCommands: number;
  /** Arrays beyond this many bytes are bound as several ranges (a multiple of 256 bytes). */
  readonly maxBindingBytes: number;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly signal: Int32Array,
    readonly info: AdapterInfo,
    opts: WebGpuOptions,
  ) {
    this.batchCommands = opts.batchCommands ?? 64;
    this.maxBindingBytes = Math.floor(Math.min(opts.maxBindingBytes ?? Infinity, info.maxStorageBufferBindingSize) / 256) * 256;
  }

  /**
   * Starts a GPU thread and its device; waits (synchronously) for the adapter. Returns null when
   * there is no adapter (no GPU and no lavapipe), with the reason.
   */
  static create(opts: WebGpuOptions = {}): { backend: WebGpuBackend } | { error: string } {
    // [answers posted, thread exited]
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const data: WorkerOptions = { url: workerUrl(), tsx: tsxLoader(), signal: signal.buffer as SharedArrayBuffer, reply: port2, f16: opts.f16 ?? true, poolBytes: opts.poolBytes ?? 1 << 30 };
    // (Dawn's "maxDynamic…artificially reduced" warnings are written by native code straight to
    // file descriptor 2: only a parent process reading our stderr can filter them.)
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, transferList: [port2] });
    worker.unref();
    port1.unref();
    const reply = waitReply(signal, port1, 1);
    if (!reply.info) {
      void worker.terminate();
      return { error: reply.error ?? "no WebGPU adapter" };
    }
    const b = new WebGpuBackend(worker, port1, signal, reply.info, opts);
    b.answered = 1;
    return { backend: b };
  }

  private closed = false;

  /** Ends the GPU thread (its device and buffers go with it); later sync points throw. */
  close(): void {
    this.closed = true;
    void this.worker.terminate();
  }

  /** The adapter's name, e.g. "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  get kind(): string {
    return this.info.description;
  }

  // ---- the command queue ---------------------------------------------------------------------

  private post(c: Command, transfer?: ArrayBuffer): void {
    this.pending.push(c);
    if (transfer) {
      this.transfers.push(transfer);
      this.pendingBytes += transfer.byteLength;
    }
    if (this.pending.length >= this.batchCommands || this.pendingBytes >= BATCH_BYTES) this.flush();
    else if (!this.flushScheduled) {
      // Send what accumulated once the caller's synchronous work yields.
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Sends the queued commands to the GPU thread. */
  flush(): void {
    if (!this.pending.length || this.closed) return;
    this.worker.postMessage(this.pending, this.transfers);
    this.pending = [];
    this.transfers = [];
    this.pendingBytes = 0;
  }

  /** Sends `c` with everything queued before it and waits for its answer. */
  private call(c: Command): Reply {
    if (this.closed) throw new WebGpuError("This WebGPU backend has been closed.");
    this.pending.push(c);
    this.flush();
    const r = waitReply(this.signal, this.port, ++this.answered);
    if (r.errors.length) throw new WebGpuError(r.errors.join("\n"));
    return r;
  }

  // ---- Backend -------------------------------------------------------------------------------

  alloc(bytes: number): WebGpuBuffer {
    if (bytes > this.info.maxBufferSize) {
      throw new WebGpuError(`Cannot allocate ${bytes} bytes on WebGPU: more than the device's maxBufferSize (${this.info.maxBufferSize} bytes).`);
    }
    const b = new WebGpuBuffer(this.nextBuffer++, bytes);
    this.post(["alloc", b.id, bytes]);
    return b;
  }

  free(buf: Buffer): void {
    this.post(["free", (buf as WebGpuBuffer).id]);
  }

  write(buf: Buffer, data: Uint8Array): void {
    // Copy now (the caller may reuse its array), padded to WebGPU's 4-byte copy granularity.
    const n = Math.min(data.byteLength, buf.bytes);
    const copy = new Uint8Array(Math.ceil(n / 4) * 4);
    copy.set(data.subarray(0, n));
    if (copy.byteLength) this.post(["write", (buf as WebGpuBuffer).id, copy.buffer], copy.buffer);
  }

  read(buf: Buffer, dtype: DType, size: number): HostData {
    const bytes = size * ITEMSIZE[dtype];
    const C = TYPED_ARRAY[dtype];
    if (bytes === 0) return new C(new ArrayBuffer(0));
    const r = this.call(["read", (buf as WebGpuBuffer).id, bytes]);
    if (r.error || !r.data) throw new WebGpuError(r.error ?? "WebGPU readback returned no data");
    return new C(r.data, 0, size);
  }

  /** Waits until all queued work has run (block_until_ready); throws the errors it produced. */
  sync(): void {
    const r = this.call(["sync"]);
    if (r.error) throw new WebGpuError(r.error);
  }

  /** The buffer pool's counters (waits for queued work). */
  poolStats(): PoolStats {
    const r = this.call(["stats"]);
    if (!r.stats) throw new WebGpuError(r.error ?? "WebGPU stats unavailable");
    return r.stats;
  }

  /** Copies `bytes` from one device buffer to another (device-side, queued). */
  copy(src: Buffer, dst: Buffer, bytes: number): void {
    if (bytes > 0) this.post(["copy", (src as WebGpuBuffer).id, (dst as WebGpuBuffer).id, bytes]);
  }

  compile(kernel: Kernel): WebGpuExecutable {
    const plan = planMatmul(kernel);
    if (plan && this.fitsOneBinding(kernel, plan)) {
      const mm = this.pipeline(kernel, renderWgslMatmul(plan, `${kernel.name}_matmul`), 2, 1, false);
      const epilogue = plan.epilogue ? this.compile(plan.epilogue) : null;
      return new WebGpuExecutable(kernel, mm.wgsl, mm.pid, mm.grid, false, { plan, epilogue });
    }
    const ranges = (bytes: number) => bindingRanges(bytes, this.maxBindingBytes).length;
    const inputs = kernel.inputs.reduce((n, a) => n + ranges(a.size * ITEMSIZE[a.dtype]), 0);
    const outputs = kernel.outputs.reduce((n, o) => n + ranges(kernel.size * ITEMSIZE[o.dtype]), 0);
    return this.pipeline(kernel, renderWgsl(kernel, { f16: this.info.f16, maxBindingBytes: this.maxBindingBytes }), inputs, outputs, false);
  }

  /** The contraction's operands and result each fit one binding (else the generic kernel runs). */
  private fitsOneBinding(k: Kernel, plan: MatmulPlan): boolean {
    const bytes = [k.inputs[plan.a.input].size * 4, k.inputs[plan.b.input].size * 4, k.size * 4];
    return bytes.every((b) => b <= this.maxBindingBytes);
  }

  /**
   * A hand-written WGSL kernel: bindings 0.. are the inputs (read-only storage) then the outputs,
   * entry point `main`, launched over `workgroups` workgroups (folded into a 2-D grid).
   */
  compileWgsl(name: string, source: string, inputs: readonly DType[], outputs: readonly DType[], workgroups: number): WebGpuExecutable {
    const kernel: Kernel = {
      name,
      inputs: inputs.map((dtype) => ({ dtype, size: 0 })),
      outputs: outputs.map((dtype) => ({ dtype, exp: constant(0, dtype) })),
      size: 0,
      shape: [0],
    };
    return this.pipeline(kernel, { name, source, workgroups, mode: "thread" }, inputs.length, outputs.length, true);
  }

  /** Compiles (once per source) a kernel with `inputs` read-only and `outputs` writable bindings. */
  private pipeline(kernel: Kernel, wgsl: WgslKernel, inputs: number, outputs: number, raw: boolean): WebGpuExecutable {
    if (inputs + outputs > this.info.maxStorageBuffersPerShaderStage) {
      throw new WebGpuError(`Kernel ${kernel.name} needs ${inputs + outputs} storage buffer bindings; this WebGPU device allows ${this.info.maxStorageBuffersPerShaderStage} (maxStorageBuffersPerShaderStage). Arrays beyond ${this.maxBindingBytes} bytes take one binding per ${this.maxBindingBytes} bytes.`);
    }
    let entry = this.cache.get(wgsl.source);
    if (!entry) {
      const pid = this.nextPipeline++;
      const r = this.call(["compile", pid, kernel.name, wgsl.source, inputs, outputs]);
      if (r.error) throw new WebGpuError(r.error);
      this.stats.compiles++;
      entry = { pid, wgsl };
      this.cache.set(wgsl.source, entry);
    }
    const max = this.info.maxComputeWorkgroupsPerDimension;
    const x = Math.min(wgsl.workgroups, max);
    const y = Math.ceil(wgsl.workgroups / Math.max(x, 1));
    if (y > max) throw new WebGpuError(`Kernel ${kernel.name} is too large for one WebGPU dispatch (${wgsl.workgroups} workgroups).`);
    return new WebGpuExecutable(kernel, wgsl, entry.pid, [x, y], raw);
  }

  dispatch(exe: Executable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    const e = exe as WebGpuExecutable;
    if (e.wgsl.workgroups === 0 && !e.contraction) return;
    this.stats.dispatches++;
    this.enqueue(e, inputs, outputs);
  }

  private enqueue(e: WebGpuExecutable, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    if (e.contraction) return this.enqueueContraction(e, e.contraction, inputs, outputs);
    const k = e.kernel;
    const bindings: number[] = [];
    const bind = (b: Buffer, what: string, dtype: DType, size: number): void => {
      checkWgslDType(dtype, k.name);
      const bytes = e.raw ? b.bytes : size * ITEMSIZE[dtype];
      if (b.bytes < bytes) throw new WebGpuError(`Kernel ${k.name}: ${what} is a buffer of ${b.bytes} bytes; the kernel reads ${bytes}.`);
      if (e.raw && bytes > this.info.maxStorageBufferBindingSize) {
        throw new WebGpuError(`Kernel ${k.name}: ${what} is ${bytes} bytes, more than this WebGPU device can bind (maxStorageBufferBindingSize = ${this.info.maxStorageBufferBindingSize} bytes).`);
      }
      for (const r of bindingRanges(bytes, e.raw ? Infinity : this.maxBindingBytes)) bindings.push((b as WebGpuBuffer).id, r.offset, r.size);
    };
    inputs.forEach((b, i) => bind(b, `input ${i}`, k.inputs[i].dtype, k.inputs[i].size));
    outputs.forEach((b, i) => {
      if (inputs.includes(b)) throw new WebGpuError(`Kernel ${k.name}: output ${i} is also an input; WebGPU cannot bind one buffer for reading and writing.`);
      bind(b, `output ${i}`, k.outputs[i].dtype, k.size);
    });
    if (e.wgsl.workgroups > 0) this.post(["dispatch", e.pid, bindings, e.grid[0], e.grid[1]]);
  }

  /** Results of contractions that have an epilogue, by matmul pipeline (queue order makes sharing safe). */
  private readonly scratch = new Map<number, WebGpuBuffer>();

  /** The matmul into the output (or a scratch buffer), then the epilogue reading it. */
  private enqueueContraction(e: WebGpuExecutable, c: NonNullable<WebGpuExecutable["contraction"]>, inputs: readonly Buffer[], outputs: readonly Buffer[]): void {
    const k = e.kernel;
    if (k.size === 0) return;
    let result = outputs[0] as WebGpuBuffer;
    if (c.epilogue) {
      result = this.scratch.get(e.pid) ?? this.alloc(k.size * 4);
      this.scratch.set(e.pid, result);
    }
    const whole = (x: Buffer, bytes: number) => [(x as WebGpuBuffer).id, 0, bindingRanges(bytes)[0].size];
    const a = c.plan.a.input, b = c.plan.b.input;
    this.post(["dispatch", e.pid, [...whole(inputs[a], k.inputs[a].size * 4), ...whole(inputs[b], k.inputs[b].size * 4), ...whole(result, k.size * 4)], e.grid[0], e.grid[1]]);
    if (c.epilogue) this.enqueue(c.epilogue, [...inputs, result], outputs);
  }
}

/** Blocks until the GPU thread has answered `count` times, then takes its answer from the port. */
function waitReply(signal: Int32Array, port: MessagePort, count: number): Reply {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const seen = Atomics.load(signal, 0);
    if (seen >= count) break;
    if (Atomics.load(signal, 1)) {
      const last = receiveMessageOnPort(port)?.message as Reply | undefined;
      throw new WebGpuError(`The WebGPU thread has exited${last?.errors.length ? `: ${last.errors.join("; ")}` : ""}.`);
    }
    if (Date.now() > deadline) throw new WebGpuError(`The WebGPU thread did not answer within ${TIMEOUT_MS / 1000} s.`);
    Atomics.wait(signal, 0, seen, 200);
  }
  const msg = receiveMessageOnPort(port);
  if (!msg) throw new WebGpuError("The WebGPU thread signalled an answer but sent none.");
  return msg.message as Reply;
}
