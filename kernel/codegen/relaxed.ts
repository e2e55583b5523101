/**
 * @file Whether the CPU's WebAssembly kernels may use fused multiply-add (relaxed SIMD's
 * f32x4/f64x2.relaxed_madd and relaxed_nmadd), decided once per thread. Node 20's V8 has
 * relaxed SIMD behind --experimental-wasm-relaxed-simd (on by default from Node 22); the flag is
 * process-wide and may be set at run time, before a module using it is compiled. A relaxed
 * multiply-add is fused or not as the processor allows (V8: fused where x64 has FMA3), and the
 * math in wasmmath.ts relies on the fused product being exact (its range reductions take fewer,
 * longer pieces of π/2), so the kernels use it only where a probe shows it fused; elsewhere
 * they keep their plain multiply-then-add code. JAXNB_CPU_FMA=0 turns it off by default (tests
 * and benchmarks may still ask for either with setFma).
 */

import { setFlagsFromString } from "node:v8";

/**
 * A module exporting `f64 probe()`: f32x4.relaxed_madd(a, a, -(1 + 2^-11)) with a = 1 + 2^-12,
 * lane 0, promoted. a·a = 1 + 2^-11 + 2^-24 exactly; rounded first (a tie, to even) it is
 * 1 + 2^-11 and the sum 0, fused the sum is 2^-24. Then the same for f64x2.relaxed_madd with
 * a = 1 + 2^-27 (fused: 2^-54), added.
 */
function probeBytes(): Uint8Array<ArrayBuffer> {
  const splat32 = (v: number): number[] => {
    const b = new DataView(new ArrayBuffer(16));
    for (let i = 0; i < 4; i++) b.setFloat32(4 * i, v, true);
    return [0xfd, 0x0c, ...new Uint8Array(b.buffer)];
  };
  const splat64 = (v: number): number[] => {
    const b = new DataView(new ArrayBuffer(16));
    for (let i = 0; i < 2; i++) b.setFloat64(8 * i, v, true);
    return [0xfd, 0x0c, ...new Uint8Array(b.buffer)];
  };
  const a32 = 1 + 2 ** -12, a64 = 1 + 2 ** -27;
  const code = [
    0x00, // no locals
    ...splat32(a32), ...splat32(a32), ...splat32(-(1 + 2 ** -11)), 0xfd, 0x85, 0x02, // f32x4.relaxed_madd
    0xfd, 0x1f, 0x00, 0xbb, // f32x4.extract_lane 0, f64.promote_f32
    ...splat64(a64), ...splat64(a64), ...splat64(-(1 + 2 ** -26)), 0xfd, 0x87, 0x02, // f64x2.relaxed_madd
    0xfd, 0x21, 0x00, 0xa0, // f64x2.extract_lane 0, f64.add
    0x0b,
  ];
  const section = (id: number, content: number[]): number[] => [id, content.length, ...content];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 1, 0x7c]), // type: [] -> [f64]
    ...section(3, [1, 0]),
    ...section(7, [1, 5, ...new TextEncoder().encode("probe"), 0x00, 0x00]),
    ...section(10, [1, code.length, ...code]),
  ]);
}

/** What the probe found on this thread: relaxed SIMD compiles and its multiply-add is fused. */
function probe(): boolean {
  const bytes = probeBytes();
  if (!WebAssembly.validate(bytes)) {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
    if (!WebAssembly.validate(bytes)) return false;
  }
  const { probe: run } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as { probe: () => number };
  return run() === 2 ** -24 + 2 ** -54;
}

let available: boolean | null = null;
let override: boolean | null = null;

/** Whether fused multiply-add works on this thread (probed on first call). */
export function fmaAvailable(): boolean {
  available ??= probe();
  return available;
}

/** Whether kernels generated now use fused multiply-add: read by wasmmath.ts at code-generation time. */
export function useFma(): boolean {
  return override ?? (process.env.JAXNB_CPU_FMA !== "0" && fmaAvailable());
}

/**
 * For tests and benchmarks: kernels compiled from now on use fused multiply-add (`true`, an
 * error where it is unavailable), plain code (`false`), or the thread's default (`null`).
 * Compiled kernels are cached by the backends, so compile through `compileWasm` to compare.
 */
export function setFma(on: boolean | null): void {
  if (on && !fmaAvailable()) throw new Error("fused multiply-add (WebAssembly relaxed SIMD) is unavailable on this thread");
  override = on;
}
