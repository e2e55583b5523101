/**
 * @file A compiled program: a fused jaxpr whose kernels are compiled for one device, run as a
 * sequence of kernel dispatches and primitive steps (host code, control-flow impls) over slots.
 * Intermediate arrays are released right after their last use. Loops run a program many times
 * over raw buffers (`runBuffers`, with a `BufferPool` counting references), which spares the
 * per-iteration cost of array objects.
 */

import { type Params, type Value, bind, TypedScalar } from "../ir/core.js";
import { ITEMSIZE } from "../ir/dtype.js";
import { Lit } from "../ir/jaxpr.js";
import type { ShapedArray } from "../ir/shape.js";
import type { Buffer, Executable } from "../backend/backend.js";
import { Array, RcBuffer, toTyped } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { toArray } from "../backend/eager.js";
import type { FusedJaxpr, Step } from "./fuse.js";

type CompiledStep =
  | { readonly kind: "kernel"; readonly exe: Executable; readonly inputs: readonly number[]; readonly outputs: readonly number[]; readonly empty: boolean }
  | Extract<Step, { kind: "prim" }>;

/** Programs built (fused and compiled) so far: tests check that loop bodies compile once. */
export const programStats = { compiled: 0 };

/**
 * A primitive that runs on pooled buffers inside `runBuffers` (control flow: a loop or cond in a
 * loop body), sparing array objects. Its inputs are borrowed; each output carries one reference.
 * `used` tells which outputs the program reads (an unused one may hold anything: a loop may skip
 * computing it, as JAX's dead-code elimination of loop carries does).
 */
export type BufferStep = (pool: BufferPool, ins: readonly Buffer[], inAvals: readonly ShapedArray[], params: Params, used: readonly boolean[]) => Buffer[];
const bufferSteps = new Map<string, BufferStep>();

export function registerBufferStep(primitive: string, run: BufferStep): void {
  bufferSteps.set(primitive, run);
}

/**
 * Device buffers passed between runs of programs, with reference counts: a run's output may be
 * one of its inputs, or the same value twice. A buffer that arrived in an array (the caller's,
 * or a primitive step's result) is released through that array, others are freed directly.
 */
export class BufferPool {
  private readonly refs = new Map<Buffer, number>();
  private readonly holders = new Map<Buffer, Array>();
  constructor(readonly device: Device) {}

  /** A reference to an array's buffer (the array itself stays the caller's). */
  adopt(a: Array): Buffer {
    const buf = a.buffer;
    if (this.refs.has(buf)) this.retain(buf);
    else this.take(buf, a.withAval(a.aval));
    return buf;
  }
  /** Takes the one reference to a new buffer (held by `holder` when an array owns it). */
  take(buf: Buffer, holder?: Array): Buffer {
    this.refs.set(buf, 1);
    if (holder) this.holders.set(buf, holder);
    return buf;
  }
  has(buf: Buffer): boolean {
    return this.refs.has(buf);
  }
  retain(buf: Buffer): Buffer {
    this.refs.set(buf, this.refs.get(buf)! + 1);
    return buf;
  }
  release(buf: Buffer): void {
    const n = this.refs.get(buf)! - 1;
    if (n > 0) {
      this.refs.set(buf, n);
      return;
    }
    this.refs.delete(buf);
    const h = this.holders.get(buf);
    if (h) {
      this.holders.delete(buf);
      h.dispose();
    } else this.device.backend.free(buf);
  }
  /** A new array referencing the buffer (the pool keeps its own reference). */
  array(buf: Buffer, aval: ShapedArray): Array {
    let h = this.holders.get(buf);
    if (!h) this.holders.set(buf, (h = new Array(aval, new RcBuffer(this.device, buf))));
    return h.withAval(aval);
  }
  /** One reference moved out of the pool into an array. */
  toArray(buf: Buffer, aval: ShapedArray): Array {
    const a = this.array(buf, aval);
    this.release(buf);
    return a;
  }
  /** Releases every reference (after an error stopped a loop). */
  drain(): void {
    for (const buf of [...this.refs.keys()]) {
      this.refs.set(buf, 1);
      this.release(buf);
    }
  }
}

export class Program {
  private readonly steps: CompiledStep[];
  /** For each step, the slots whose last use it is (released after it runs). */
  private readonly frees: number[][];
  /** For each step, which of its outputs a later step or the program's results read. */
  private readonly used: boolean[][];
  private readonly keep: Set<number>;
  /** Slots whose buffers a run does not own: inputs and constants. */
  private readonly borrowed: Set<number>;

  constructor(readonly fused: FusedJaxpr, readonly device: Device) {
    programStats.compiled++;
    this.steps = fused.steps.map((s) =>
      s.kind === "kernel" ? { kind: "kernel", exe: device.backend.compile(s.kernel), inputs: s.inputs, outputs: s.outputs, empty: s.kernel.size === 0 } : s,
    );
    this.borrowed = new Set<number>([...fused.inputSlots, ...fused.constSlots]);
    this.keep = new Set<number>([...fused.inputSlots, ...fused.constSlots, ...fused.outputs.filter((o): o is number => typeof o === "number")]);
    const last = new Map<number, number>();
    this.steps.forEach((s, i) => {
      for (const x of s.inputs) if (typeof x === "number") last.set(x, i);
      for (const x of s.outputs) if (!last.has(x)) last.set(x, i);
    });
    const read = new Set<number>(fused.outputs.filter((o): o is number => typeof o === "number"));
    for (const st of this.steps) for (const x of st.inputs) if (typeof x === "number") read.add(x);
    this.used = this.steps.map((st) => st.outputs.map((o) => read.has(o)));
    this.frees = this.steps.map(() => []);
    for (const [slot, i] of last) if (!this.keep.has(slot)) this.frees[i].push(slot);
  }

  /** Each step as text: a kernel's compiled source (as the backend reports it), or the primitive a step applies. */
  stepTexts(): string[] {
    return this.steps.map((s) => {
      if (s.kind !== "kernel") return `// step: ${s.primitive}`;
      const src = (s.exe as { source?: unknown }).source;
      return typeof src === "string" ? src : `// kernel ${s.exe.kernel.name} (the backend shows no source)`;
    });
  }

  get numKernels(): number {
    return this.fused.steps.filter((s) => s.kind === "kernel").length;
  }

  private constArrays?: Array[];

  /**
   * Runs the program on buffers of `pool` (borrowed: the caller keeps its references) and
   * returns buffers each carrying one reference for the caller, which may be inputs again.
   */
  runBuffers(args: readonly Buffer[], pool: BufferPool): Buffer[] {
    const { fused, device } = this;
    const be = device.backend;
    const consts = (this.constArrays ??= fused.consts.map((c) => toArray(c, device)));
    const env: (Buffer | undefined)[] = new globalThis.Array(fused.slotAvals.length);
    fused.inputSlots.forEach((s, i) => (env[s] = args[i]));
    fused.constSlots.forEach((s, i) => (env[s] = consts[i].buffer));
    /** A reference for a buffer that is not the pool's yet (a constant's) or one more of a pooled one. */
    const claim = (buf: Buffer, slot: number): Buffer => {
      if (pool.has(buf)) return pool.retain(buf);
      const c = consts[fused.constSlots.indexOf(slot)];
      return pool.take(buf, c.withAval(c.aval));
    };
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.steps[i];
      if (s.kind === "kernel") {
        const outs: Buffer[] = [];
        for (const o of s.outputs) {
          const a = fused.slotAvals[o];
          outs.push((env[o] = pool.take(be.alloc(a.size * ITEMSIZE[a.dtype]))));
        }
        if (!s.empty) be.dispatch(s.exe, s.inputs.map((x) => env[x]!), outs);
      } else if (bufferSteps.has(s.primitive)) {
        const ins = s.inputs.map((x) => (x instanceof Lit ? pool.take(literalBuffer(x, device)) : claim(env[x]!, x)));
        const outs = bufferSteps.get(s.primitive)!(pool, ins, s.inputs.map((x) => (x instanceof Lit ? x.aval : fused.slotAvals[x])), s.params, this.used[i]);
        s.outputs.forEach((o, j) => (env[o] = outs[j]));
        ins.forEach((b) => pool.release(b));
      } else {
        // Primitive steps take arrays: references of their own to pooled (or constant) buffers.
        const wrappers: Array[] = [];
        const ins: Value[] = s.inputs.map((x) => {
          if (x instanceof Lit) return new TypedScalar(x.val, x.aval.dtype, x.aval.weakType);
          const buf = env[x]!;
          const c = pool.has(buf) ? null : consts[fused.constSlots.indexOf(x)];
          const w = c ? c.withAval(c.aval) : pool.array(buf, fused.slotAvals[x]);
          wrappers.push(w);
          return w;
        });
        const outs = bind(s.primitive, ins, s.params);
        const held = new Set<Array>();
        s.outputs.forEach((o, j) => {
          const a = toArray(outs[j], device);
          if (pool.has(a.buffer)) {
            env[o] = pool.retain(a.buffer);
            if (!wrappers.includes(a) && !held.has(a)) a.dispose();
          } else {
            // A new array becomes the buffer's holder; one of our wrappers (a constant's) is copied as a reference.
            const h = wrappers.includes(a) ? a.withAval(a.aval) : a;
            held.add(h);
            env[o] = pool.take(a.buffer, h);
          }
        });
        wrappers.forEach((w) => w.dispose());
      }
      for (const x of this.frees[i]) {
        pool.release(env[x]!);
        env[x] = undefined;
      }
    }
    const given = new Set<number>();
    return fused.outputs.map((o) => {
      if (o instanceof Lit) return pool.take(literalBuffer(o, device));
      // An intermediate's own reference goes to its first output position.
      const intermediate = !this.borrowed.has(o);
      if (intermediate && !given.has(o)) {
        given.add(o);
        return env[o]!;
      }
      return claim(env[o]!, o);
    });
  }

  /** A buffer-level step inside `run`: the arrays' buffers lent through a pool of its own. */
  private runBufferStep(s: Extract<Step, { kind: "prim" }>, i: number, env: (Array | undefined)[]): void {
    const { fused, device } = this;
    const pool = new BufferPool(device);
    try {
      const ins = s.inputs.map((x) => (x instanceof Lit ? pool.take(literalBuffer(x, device)) : pool.adopt(env[x]!)));
      const outs = bufferSteps.get(s.primitive)!(pool, ins, s.inputs.map((x) => (x instanceof Lit ? x.aval : fused.slotAvals[x])), s.params, this.used[i]);
      ins.forEach((b) => pool.release(b));
      s.outputs.forEach((o, j) => (env[o] = pool.toArray(outs[j], fused.slotAvals[o])));
    } catch (e) {
      pool.drain();
      throw e;
    }
  }

  /** Runs the program on arrays already on this program's device. */
  run(args: readonly Array[]): Array[] {
    const { fused, device } = this;
    const env: (Array | undefined)[] = new globalThis.Array(fused.slotAvals.length);
    fused.inputSlots.forEach((s, i) => (env[s] = args[i]));
    fused.constSlots.forEach((s, i) => (env[s] = toArray(fused.consts[i], device)));
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.steps[i];
      if (s.kind === "kernel") {
        const outs: Buffer[] = [];
        for (const o of s.outputs) {
          const a = Array.empty(fused.slotAvals[o], device);
          env[o] = a;
          outs.push(a.buffer);
        }
        if (!s.empty) device.backend.dispatch(s.exe, s.inputs.map((x) => env[x]!.buffer), outs);
      } else if (bufferSteps.has(s.primitive)) {
        this.runBufferStep(s, i, env);
      } else {
        const ins: Value[] = s.inputs.map((x) => (x instanceof Lit ? new TypedScalar(x.val, x.aval.dtype, x.aval.weakType) : env[x]!));
        const outs = bind(s.primitive, ins, s.params);
        s.outputs.forEach((o, j) => {
          const a = coerce(toArray(outs[j], device), fused.slotAvals[o]);
          // A primitive returning an operand: the slot gets its own reference (slots are released one by one).
          env[o] = env.includes(a) ? a.withAval(a.aval) : a;
        });
      }
      for (const x of this.frees[i]) {
        env[x]?.dispose();
        env[x] = undefined;
      }
    }
    return fused.outputs.map((o) => (o instanceof Lit ? Array.scalar(o.val, o.aval.dtype, o.aval.weakType, device) : env[o]!));
  }
}

/** A new buffer holding a literal. */
function literalBuffer(x: Lit, device: Device): Buffer {
  const typed = toTyped([typeof x.val === "boolean" ? Number(x.val) : x.val], x.aval.dtype, 1);
  const buf = device.backend.alloc(ITEMSIZE[x.aval.dtype]);
  device.backend.write(buf, new Uint8Array(typed.buffer, typed.byteOffset, ITEMSIZE[x.aval.dtype]));
  return buf;
}

/** The array with the slot's aval (a primitive step may return a weak/strong variant). */
function coerce(a: Array, aval: ShapedArray): Array {
  return a.aval.equals(aval) ? a : a.withAval(aval);
}
