/**
 * @file A compiled program: a fused jaxpr whose kernels are compiled for one device, run as a
 * sequence of kernel dispatches and primitive steps (host code, control-flow impls) over slots.
 * Intermediate arrays are released right after their last use.
 */

import { type Value, bind, TypedScalar } from "../ir/core.js";
import { Lit } from "../ir/jaxpr.js";
import type { ShapedArray } from "../ir/shape.js";
import type { Buffer, Executable } from "../backend/backend.js";
import { Array } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { toArray } from "../backend/eager.js";
import type { FusedJaxpr, Step } from "./fuse.js";

type CompiledStep =
  | { readonly kind: "kernel"; readonly exe: Executable; readonly inputs: readonly number[]; readonly outputs: readonly number[]; readonly empty: boolean }
  | Extract<Step, { kind: "prim" }>;

/** Programs built (fused and compiled) so far: tests check that loop bodies compile once. */
export const programStats = { compiled: 0 };

export class Program {
  private readonly steps: CompiledStep[];
  /** For each step, the slots whose last use it is (released after it runs). */
  private readonly frees: number[][];
  private readonly keep: Set<number>;

  constructor(readonly fused: FusedJaxpr, readonly device: Device) {
    programStats.compiled++;
    this.steps = fused.steps.map((s) =>
      s.kind === "kernel" ? { kind: "kernel", exe: device.backend.compile(s.kernel), inputs: s.inputs, outputs: s.outputs, empty: s.kernel.size === 0 } : s,
    );
    this.keep = new Set<number>([...fused.inputSlots, ...fused.constSlots, ...fused.outputs.filter((o): o is number => typeof o === "number")]);
    const last = new Map<number, number>();
    this.steps.forEach((s, i) => {
      for (const x of s.inputs) if (typeof x === "number") last.set(x, i);
      for (const x of s.outputs) if (!last.has(x)) last.set(x, i);
    });
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
      } else {
        const ins: Value[] = s.inputs.map((x) => (x instanceof Lit ? new TypedScalar(x.val, x.aval.dtype, x.aval.weakType) : env[x]!));
        const outs = bind(s.primitive, ins, s.params);
        s.outputs.forEach((o, j) => (env[o] = coerce(toArray(outs[j], device), fused.slotAvals[o])));
      }
      for (const x of this.frees[i]) {
        env[x]?.dispose();
        env[x] = undefined;
      }
    }
    return fused.outputs.map((o) => (o instanceof Lit ? Array.scalar(o.val, o.aval.dtype, o.aval.weakType, device) : env[o]!));
  }
}

/** The array with the slot's aval (a primitive step may return a weak/strong variant). */
function coerce(a: Array, aval: ShapedArray): Array {
  return a.aval.equals(aval) ? a : a.withAval(aval);
}
