/**
 * @file The WebGPU rows of the benchmark: the "webgpu" device for bench/run.ts (`--devices
 * cpu,webgpu`), and the yardstick issue 4 sets for our jit — the post's function as a
 * hand-written WGSL kernel (one invocation per element), dispatched on the same device over the
 * same resident input: once with WGSL's builtin exp and cos (llvmpipe's: fast, but off by up to
 * 60 ulp for exp and meaningless for cos beyond 10⁶), once with the float32-accurate functions
 * our kernels call (kernel/codegen/wgslmath.ts) — which separates what the jit costs from what
 * accurate math costs.
 */

import { Array as KArray, RcBuffer } from "../kernel/backend/array.js";
import { type Device, webgpuDevices, webgpuUnavailable } from "../kernel/backend/device.js";
import { WebGpuBackend } from "../kernel/backend/webgpu.js";
import { ShapedArray } from "../kernel/ir/shape.js";
import { helperSource } from "../kernel/codegen/wgslmath.js";
import type { Case } from "./cases.js";

/** The WebGPU device, or an error saying why there is none. */
export async function webgpuBenchDevice(): Promise<Device> {
  const d = webgpuDevices()[0];
  if (!d) throw new Error(`no WebGPU device: ${webgpuUnavailable()}`);
  return d;
}

const handWritten = (n: number, exp: string, cos: string): string => `${exp === "exp" ? "" : helperSource([exp, cos])}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= ${n}u) { return; }
  let v = x[i];
  let s = v * v;
  y[i] = ${exp}(-s) * ${cos}(${exp}(s));
}`;

/** The hand-written kernels of the post's function over `linspace(-4, 4, n)`, per size. */
export function handWrittenCases(device: Device, sizes: readonly number[]): Case[] {
  const b = device.backend;
  if (!(b instanceof WebGpuBackend)) throw new Error(`${device.toString()} is not a WebGPU device`);
  const variants = [["hand-written wgsl", "exp", "cos"], ["hand-written wgsl, our math", "exp_", "cos_"]] as const;
  return sizes.flatMap((n) => variants.map(([method, exp, cos]) => {
    const x = KArray.fromHost(Float32Array.from({ length: n }, (_, i) => -4 + (8 * i) / Math.max(1, n - 1)), [n], "float32", { device });
    const exe = b.compileWgsl("f_handwritten", handWritten(n, exp, cos), ["float32"], ["float32"], Math.ceil(n / 256));
    const aval = new ShapedArray([n], "float32");
    return {
      case: `f n=${n}`,
      method,
      run: () => {
        const out = b.alloc(4 * n);
        b.dispatch(exe, [x.buffer], [out]);
        return new KArray(aval, new RcBuffer(device, out));
      },
    };
  }));
}
