/**
 * @file The GPU thread: owns Dawn's device and runs the commands the WebGPU backend sends, in
 * order. It lives in its own worker thread because Dawn completes `mapAsync` only while the owning
 * thread's event loop turns, and our callers (tests, the TS API, the Python thread) are
 * synchronous. Dispatches are recorded into one command encoder and submitted at the end of each
 * batch (or before a readback); freed buffers return to a pool by size class once the work that
 * used them has been submitted. Asynchronous errors (validation, out of memory, device lost) are
 * collected and handed to the caller at its next sync point.
 */

import { parentPort, workerData } from "node:worker_threads";
import { create, globals } from "webgpu";
import { type AdapterInfo, type Command, type Reply, type WorkerOptions, sizeClass } from "./webgpu-protocol.js";

Object.assign(globalThis, globals);
// Dawn crashes if this object is garbage-collected while a device lives: keep it module-level.
const gpu = create([]);

const opts = workerData as WorkerOptions;
const signal = new Int32Array(opts.signal);
let seq = 0;
const errors: string[] = [];
/** Error-scope results not yet seen; a sync point waits for them so no error is reported late. */
let scopes: Promise<void>[] = [];

function answer(r: Omit<Reply, "seq" | "errors">, transfer: ArrayBuffer[] = []): void {
  const reply: Reply = { ...r, seq: ++seq, errors: errors.splice(0) };
  opts.reply.postMessage(reply, transfer);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// A caller waiting for an answer learns that none will come (the thread died or was terminated).
process.on("exit", () => {
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 0);
});
process.on("uncaughtException", (e) => {
  errors.push(`WebGPU thread error: ${message(e)}`);
  opts.reply.postMessage({ seq: -1, errors: errors.splice(0) });
  process.exit(1);
});

// ---- device --------------------------------------------------------------------------------------

let device!: GPUDevice;
let lost: string | null = null;

async function start(): Promise<AdapterInfo | null> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const L = adapter.limits;
  const f16 = opts.f16 && adapter.features.has("shader-f16");
  device = await adapter.requestDevice({
    requiredFeatures: f16 ? ["shader-f16"] : [],
    requiredLimits: {
      maxBufferSize: L.maxBufferSize,
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
    },
  });
  device.addEventListener("uncapturederror", (ev) => errors.push(`WebGPU error: ${(ev as GPUUncapturedErrorEvent).error.message}`));
  void device.lost.then((info) => {
    lost = `WebGPU device lost (${info.reason}): ${info.message}`;
  });
  const i = adapter.info;
  return {
    description: i.description || i.device || i.vendor || "WebGPU adapter",
    vendor: i.vendor,
    architecture: i.architecture,
    f16,
    maxBufferSize: device.limits.maxBufferSize,
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };
}

/** Runs `f` inside an error scope; a failure is recorded (prefixed with `what`) for the next sync point. */
function scoped<T>(filter: GPUErrorFilter, what: () => string, f: () => T): T {
  device.pushErrorScope(filter);
  const r = f();
  scopes.push(
    device.popErrorScope().then((err) => {
      if (err) errors.push(`${what()}: ${err.message}`);
    }),
  );
  return r;
}

// ---- buffers -------------------------------------------------------------------------------------

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

interface Live {
  readonly buf: GPUBuffer;
  /** The bytes the caller asked for (the buffer itself is a size class, maybe larger). */
  readonly bytes: number;
}
const live = new Map<number, Live>();
const pool = new Map<number, GPUBuffer[]>();
let pooledBytes = 0;
let created = 0;
let reused = 0;
/** Pool order, oldest first, for trimming. */
const poolOrder: GPUBuffer[] = [];

function allocBuffer(bytes: number): GPUBuffer {
  const cls = sizeClass(bytes);
  const size = cls <= device.limits.maxBufferSize ? cls : Math.ceil(bytes / 16) * 16;
  const free = pool.get(size);
  const got = free?.pop();
  if (got) {
    reused++;
    pooledBytes -= size;
    poolOrder.splice(poolOrder.indexOf(got), 1);
    return got;
  }
  created++;
  // One error scope covers the buffers a run of commands creates (a scope per buffer costs as
  // much as the buffer): it closes before the next answer, so a failure is still reported there.
  if (!allocated) device.pushErrorScope("out-of-memory");
  (allocated ??= []).push(bytes);
  return device.createBuffer({ size, usage: STORAGE });
}

/** Bytes of the buffers created under the open out-of-memory scope (null: no scope open). */
let allocated: number[] | null = null;

function closeAllocScope(): void {
  if (!allocated) return;
  const sizes = allocated;
  allocated = null;
  scopes.push(
    device.popErrorScope().then((err) => {
      if (err) errors.push(`WebGPU out of memory allocating ${sizes.length === 1 ? `${sizes[0]} bytes` : `${sizes.length} buffers (${sizes.join(", ")} bytes)`}: ${err.message}`);
    }),
  );
}

function release(buf: GPUBuffer): void {
  let list = pool.get(buf.size);
  if (!list) pool.set(buf.size, (list = []));
  list.push(buf);
  poolOrder.push(buf);
  pooledBytes += buf.size;
  while (pooledBytes > opts.poolBytes && poolOrder.length) {
    const old = poolOrder.shift()!;
    const l = pool.get(old.size)!;
    l.splice(l.indexOf(old), 1);
    pooledBytes -= old.size;
    old.destroy();
    // Bind groups keep their buffers alive: drop those that may name this one.
    bindGroups.clear();
  }
}

function get(id: number): Live {
  const b = live.get(id);
  if (!b) throw new Error(`WebGPU buffer ${id} does not exist (freed?)`);
  return b;
}

// ---- encoding ------------------------------------------------------------------------------------

let encoder: GPUCommandEncoder | null = null;
let pass: GPUComputePassEncoder | null = null;
/** Kernels recorded in the open encoder (named in validation errors). */
let encoded: string[] = [];
/** Buffers freed while the open encoder may still use them: pooled after it is submitted. */
let quarantine: GPUBuffer[] = [];
/** Buffers the open encoder uses: writing one of them first submits the encoder. */
const used = new Set<GPUBuffer>();

function openEncoder(): GPUCommandEncoder {
  encoder ??= device.createCommandEncoder();
  return encoder;
}

function endPass(): void {
  pass?.end();
  pass = null;
}

function submit(): void {
  endPass();
  if (encoder) {
    const enc = encoder;
    const names = encoded;
    encoder = null;
    encoded = [];
    scoped("validation", () => `WebGPU rejected the work of kernel${names.length === 1 ? "" : "s"} ${names.join(", ") || "(copies)"}`, () => device.queue.submit([enc.finish()]));
  }
  for (const b of quarantine) release(b);
  quarantine = [];
  used.clear();
}

interface Pipeline {
  readonly name: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}
const pipelines = new Map<number, Pipeline>();

async function compile(pid: number, name: string, source: string, inputs: number, outputs: number): Promise<string | undefined> {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (let i = 0; i < inputs + outputs; i++) {
    entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: i < inputs ? "read-only-storage" : "storage" } });
  }
  device.pushErrorScope("validation");
  const module = device.createShaderModule({ code: source, label: name });
  const layout = device.createBindGroupLayout({ entries });
  try {
    const pipeline = await device.createComputePipelineAsync({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: "main" },
      label: name,
    });
    await device.popErrorScope();
    pipelines.set(pid, { name, pipeline, layout });
    return undefined;
  } catch (e) {
    await device.popErrorScope();
    const info = await module.getCompilationInfo();
    const lines = info.messages.filter((m) => m.type === "error").map((m) => `  line ${m.lineNum}: ${m.message}`);
    return `WebGPU could not compile kernel ${name}: ${message(e)}${lines.length ? "\n" + lines.join("\n") : ""}`;
  }
}

/** Serial numbers of GPU buffers, for bind-group cache keys. */
const serial = new WeakMap<GPUBuffer, number>();
let nextSerial = 0;
/**
 * Bind groups by (pipeline, buffers, sizes). Creating one costs more than the dispatch itself on
 * lavapipe, and pooled buffers make the same combinations recur (an eager loop, a jitted call).
 */
const bindGroups = new Map<string, GPUBindGroup>();
const BIND_GROUP_CACHE = 4096;
let bindGroupsCreated = 0;

function dispatch(pid: number, bindings: readonly number[], x: number, y: number): void {
  const p = pipelines.get(pid);
  if (!p) throw new Error(`WebGPU pipeline ${pid} does not exist`);
  let key = `${pid}`;
  const entries: GPUBindGroupEntry[] = [];
  for (let i = 0; i < bindings.length; i += 3) {
    const b = get(bindings[i]);
    const offset = bindings[i + 1], size = bindings[i + 2];
    if (offset + size > b.buf.size) throw new Error(`binding ${i / 3} of kernel ${p.name} (${offset}+${size} bytes) exceeds its buffer (${b.buf.size} bytes)`);
    used.add(b.buf);
    let sn = serial.get(b.buf);
    if (sn === undefined) serial.set(b.buf, (sn = nextSerial++));
    key += `,${sn}:${offset}:${size}`;
    entries.push({ binding: i / 3, resource: { buffer: b.buf, offset, size } });
  }
  let bg = bindGroups.get(key);
  if (!bg) {
    if (bindGroups.size >= BIND_GROUP_CACHE) bindGroups.clear();
    bg = device.createBindGroup({ layout: p.layout, entries });
    bindGroups.set(key, bg);
    bindGroupsCreated++;
  }
  if (!pass) pass = openEncoder().beginComputePass();
  pass.setPipeline(p.pipeline);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(x, y);
  encoded.push(p.name);
}

/** Mappable buffers for readbacks, by size class (a fresh one per read costs a page-faulting allocation). */
const staging = new Map<number, GPUBuffer[]>();

async function read(id: number, bytes: number): Promise<ArrayBuffer> {
  const b = get(id);
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const cls = sizeClass(size);
  const buf = staging.get(cls)?.pop() ?? device.createBuffer({ size: cls, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  endPass();
  openEncoder().copyBufferToBuffer(b.buf, 0, buf, 0, size);
  submit();
  await settle();
  await buf.mapAsync(GPUMapMode.READ, 0, size);
  const data = buf.getMappedRange(0, size).slice(0, bytes);
  buf.unmap();
  // Keep one mappable buffer per size class (larger ones only while they are in use).
  let list = staging.get(cls);
  if (!list) staging.set(cls, (list = []));
  if (list.length === 0 && cls <= opts.poolBytes / 4) list.push(buf);
  else buf.destroy();
  return data;
}

/** Waits for pending error scopes, so that errors of earlier work are reported now. */
async function settle(): Promise<void> {
  while (scopes.length) {
    const s = scopes;
    scopes = [];
    await Promise.all(s);
  }
  if (lost) errors.push(lost);
}

// ---- the command loop ----------------------------------------------------------------------------

function run(c: Command): Promise<void> | void {
  switch (c[0]) {
    case "alloc": {
      live.set(c[1], { buf: allocBuffer(c[2]), bytes: c[2] });
      return;
    }
    case "free": {
      const b = get(c[1]);
      live.delete(c[1]);
      if (used.has(b.buf)) quarantine.push(b.buf);
      else release(b.buf);
      return;
    }
    case "write": {
      // writeBuffer runs before the open encoder's work: submit that first if it uses the
      // buffer. (A freed buffer the encoder used waits in quarantine, so fresh arrays never do.)
      const b = get(c[1]).buf;
      if (used.has(b)) submit();
      device.queue.writeBuffer(b, 0, c[2]);
      return;
    }
    case "copy": {
      endPass();
      const src = get(c[1]).buf, dst = get(c[2]).buf;
      used.add(src).add(dst);
      openEncoder().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(c[3] / 4) * 4);
      encoded.push("copy");
      return;
    }
    case "dispatch":
      dispatch(c[1], c[2], c[3], c[4]);
      return;
    case "compile":
      return compile(c[1], c[2], c[3], c[4], c[5]).then((error) => answer({ error }));
    case "read":
      return read(c[1], c[2]).then(
        (data) => answer({ data }, [data]),
        (e) => answer({ error: `WebGPU readback failed: ${message(e)}` }),
      );
    case "stats":
      answer({ stats: { created, reused, live: live.size, pooledBytes, bindGroups: bindGroupsCreated } });
      return;
    case "sync": {
      submit();
      return device.queue
        .onSubmittedWorkDone()
        .then(settle)
        .then(() => answer({}));
    }
  }
}

const batches: Command[][] = [];
let running = false;

async function pump(): Promise<void> {
  running = true;
  while (batches.length) {
    const batch = batches.shift()!;
    for (const c of batch) {
      try {
        if (c[0] === "compile" || c[0] === "read" || c[0] === "sync" || c[0] === "stats") closeAllocScope();
        const p = run(c);
        if (p) await p;
      } catch (e) {
        errors.push(`WebGPU ${c[0]} failed: ${message(e)}`);
        if (c[0] === "compile" || c[0] === "read" || c[0] === "sync" || c[0] === "stats") answer({ error: message(e) });
      }
    }
    closeAllocScope();
    if (!batches.length) submit();
  }
  running = false;
}

start().then(
  (info) => {
    answer(info ? { info } : { error: "no WebGPU adapter found" });
    if (!info) return;
    parentPort!.on("message", (batch: Command[]) => {
      batches.push(batch);
      if (!running) void pump();
    });
  },
  (e) => answer({ error: `WebGPU start-up failed: ${message(e)}` }),
);
