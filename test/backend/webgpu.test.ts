/**
 * @file The WebGPU backend: device discovery and JAX_PLATFORMS, ordering of queued work
 * (write → dispatch → read, buffer reuse), the buffer pool, arrays past one dispatch dimension
 * (> 65535·256 elements), packed sub-word dtypes with and without `shader-f16`, device_put round
 * trips, host lowerings, and the errors (64-bit dtypes, WGSL that does not compile, binding and
 * buffer limits, aliasing, freed buffers, mixed devices).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { Array } from "../../kernel/backend/array.js";
import { type Device, cpuDevice, defaultBackend, devices, setPlatforms, webgpuDevices } from "../../kernel/backend/device.js";
import { WebGpuBackend, WebGpuError } from "../../kernel/backend/webgpu.js";
import { blockUntilReady, devicePut, devicesOf } from "../../kernel/backend/transfer.js";
import { type DType, ITEMSIZE } from "../../kernel/ir/dtype.js";
import { type Kernel, binary, constant, gidx, i32, load, mul, add, reduce, ridx, unary } from "../../kernel/codegen/exp.js";
import { runKernel } from "./helpers.js";
import { jit } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";

const gpu = (): Device => {
  const d = webgpuDevices()[0];
  assert.ok(d, "no WebGPU adapter (is Mesa's lavapipe installed?)");
  return d;
};
const backend = (): WebGpuBackend => gpu().backend as WebGpuBackend;

/** out = x·k + c over n float32 elements. */
function affine(n: number, k: number, c = 0): Kernel {
  const e = binary("add", binary("mul", load(0, "float32", gidx()), constant(k, "float32")), constant(c, "float32"));
  return { name: `affine_${k}_${c}`, inputs: [{ dtype: "float32", size: n }], outputs: [{ dtype: "float32", exp: e }], size: n, shape: [n] };
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("WebGPU devices", () => {
  afterEach(() => setPlatforms(null));

  it("discovers the adapter and prints like JAX's devices", () => {
    assert.match(gpu().toString(), /^WebGpuDevice\(id=0, kind=".+"\)$/);
    assert.equal(gpu().platform, "webgpu");
    assert.deepEqual(devices("webgpu"), [gpu()]);
    assert.deepEqual(devices("gpu"), [gpu()]);
    assert.deepEqual(devices("cpu"), [cpuDevice()]);
  });

  it("without JAX_PLATFORMS the default backend is WebGPU (an adapter exists), and the CPU stays available", () => {
    setPlatforms("");
    assert.equal(defaultBackend(), "webgpu");
    assert.deepEqual(devices(), [gpu()]);
    assert.deepEqual(devices("cpu"), [cpuDevice()]);
    const x = Array.fromHost([1, 2], [2], "float32");
    assert.equal(x.device, gpu());
  });

  it("JAX_PLATFORMS restricts the platforms and picks the default backend", () => {
    setPlatforms("webgpu");
    assert.equal(defaultBackend(), "webgpu");
    assert.deepEqual(devices(), [gpu()]);
    setPlatforms("cpu");
    assert.equal(defaultBackend(), "cpu");
    assert.throws(() => devices("webgpu"), (e: Error) => e.name === "RuntimeError" && /Unknown backend: 'webgpu' requested.*Platforms present are: cpu/.test(e.message));
    setPlatforms("cpu,webgpu");
    assert.equal(defaultBackend(), "cpu");
    assert.deepEqual(devices("webgpu"), [gpu()]);
  });

  it("an unknown platform is an error naming it", () => {
    assert.throws(() => devices("tpu"), /Unknown backend: 'tpu' requested/);
    setPlatforms("tpu");
    assert.throws(() => defaultBackend(), /Unknown platform "tpu" in JAX_PLATFORMS/);
  });
});

describe("WebGPU backend: queued work", () => {
  it("write → dispatch → read", () => {
    const x = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
    const [y] = runKernel(gpu(), affine(1000, 3, 1), [x]);
    assert.deepEqual([...y], [...x].map((v) => v * 3 + 1));
  });

  it("a buffer rewritten after a dispatch read it: the dispatch sees the old contents", () => {
    const b = backend();
    const n = 64;
    const exe = b.compile(affine(n, 2));
    const a = b.alloc(4 * n), out1 = b.alloc(4 * n), out2 = b.alloc(4 * n);
    b.write(a, bytesOf(new Float32Array(n).fill(1)));
    b.dispatch(exe, [a], [out1]);
    b.write(a, bytesOf(new Float32Array(n).fill(10)));
    b.dispatch(exe, [a], [out2]);
    assert.deepEqual([...b.read(out1, "float32", n)], new globalThis.Array(n).fill(2));
    assert.deepEqual([...b.read(out2, "float32", n)], new globalThis.Array(n).fill(20));
    for (const x of [a, out1, out2]) b.free(x);
  });

  it("a freed input's memory reused by a new array does not disturb the queued dispatch", () => {
    const b = backend();
    const n = 256;
    const exe = b.compile(affine(n, -1));
    const a = b.alloc(4 * n), out = b.alloc(4 * n);
    b.write(a, bytesOf(new Float32Array(n).fill(5)));
    b.dispatch(exe, [a], [out]);
    b.free(a);
    const c = b.alloc(4 * n);
    b.write(c, bytesOf(new Float32Array(n).fill(7)));
    assert.deepEqual([...b.read(out, "float32", n)], new globalThis.Array(n).fill(-5));
    assert.deepEqual([...b.read(c, "float32", n)], new globalThis.Array(n).fill(7));
    b.free(c);
    b.free(out);
  });

  it("many eager ops queue without a round trip each, and read back in order", () => {
    let x: Array = Array.fromHost([1, 2, 3], [3], "float32", { device: gpu() });
    for (let i = 0; i < 200; i++) x = lax.add(x, 1) as Array;
    assert.deepEqual(x.toNumbers(), [201, 202, 203]);
    assert.equal(blockUntilReady(x), x);
  });

  it("the buffer pool reuses freed buffers of the same size class", () => {
    const b = backend();
    const before = b.poolStats();
    // 1000…1015 bytes are all one size class (1 KiB).
    for (let i = 0; i < 50; i++) b.free(b.alloc(1000 + (i % 16)));
    const after = b.poolStats();
    assert.ok(after.created - before.created <= 1, `created ${after.created - before.created} buffers for 50 allocations`);
    assert.ok(after.reused - before.reused >= 49);
    assert.equal(after.live, before.live);
  });

  it("bind groups are cached per (kernel, buffers): reused across calls, never stale after a free", () => {
    const b = backend();
    const n = 300;
    const exe = b.compile(affine(n, 3));
    const x = b.alloc(4 * n), y = b.alloc(4 * n);
    b.write(x, bytesOf(new Float32Array(n).fill(1)));
    const before = b.poolStats().bindGroups;
    for (let i = 0; i < 20; i++) b.dispatch(exe, [x], [y]);
    assert.deepEqual([...b.read(y, "float32", n)], new globalThis.Array(n).fill(3));
    assert.ok(b.poolStats().bindGroups - before <= 1, "one bind group for 20 dispatches over the same buffers");
    // A freed input's device buffer goes to a new array (another id): the dispatch must read the
    // new array's contents through it, and a freed id must never resolve to a stale binding.
    b.free(x);
    const z = b.alloc(4 * n);
    b.write(z, bytesOf(new Float32Array(n).fill(5)));
    b.dispatch(exe, [z], [y]);
    assert.deepEqual([...b.read(y, "float32", n)], new globalThis.Array(n).fill(15));
    b.dispatch(exe, [x], [y]);
    assert.throws(() => b.sync(), /does not exist/);
    for (const v of [y, z]) b.free(v);
  });

  it("the pipeline cache compiles a kernel source once", () => {
    const b = backend();
    const k = affine(10, 123, 4);
    const before = b.stats.compiles;
    b.compile(k);
    b.compile(affine(10, 123, 4));
    assert.equal(b.stats.compiles - before, 1);
  });
});

describe("WebGPU backend: large arrays and dispatch grids", () => {
  it("a map over more than 65535·256 elements uses a 2-D grid and reaches every element", () => {
    const n = 65535 * 256 + 1000;
    const exe = backend().compile(affine(n, 2, 1));
    assert.ok(exe.grid[1] > 1, `grid ${exe.grid}`);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = i % 4099;
    const [y] = runKernel(gpu(), affine(n, 2, 1), [x]);
    for (const i of [0, 1, 255, 256, 65535 * 256 - 1, 65535 * 256, 65535 * 256 + 1, n - 1]) assert.equal(y[i], (i % 4099) * 2 + 1, `element ${i}`);
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== x[i] * 2 + 1) bad++;
    assert.equal(bad, 0);
  });

  it("a full reduction of 17M int32 in one workgroup per output", () => {
    const n = 17_000_000;
    const r = ridx(n);
    const k: Kernel = { name: "total", inputs: [{ dtype: "int32", size: n }], outputs: [{ dtype: "int32", exp: reduce("sum", r, load(0, "int32", r)) }], size: 1, shape: [] };
    const x = new Int32Array(n).fill(1);
    x[n - 1] = 5;
    assert.equal(runKernel(gpu(), k, [x])[0][0], n + 4);
  });

  it("packed bool and int8 outputs of odd sizes write whole words without clobbering", () => {
    for (const n of [1, 3, 5, 1023, 70001]) {
      const x = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
      const k: Kernel = {
        name: "packed",
        inputs: [{ dtype: "float32", size: n }],
        outputs: [
          { dtype: "bool", exp: binary("gt", load(0, "float32", gidx()), constant(0, "float32")) },
          { dtype: "int8", exp: unary("cast", load(0, "float32", gidx()), "int8") },
          { dtype: "uint16", exp: unary("cast", binary("mul", gidx(), i32(7)), "uint16") },
        ],
        size: n,
        shape: [n],
      };
      const [b, i8, u16] = runKernel(gpu(), k, [x]);
      for (let i = 0; i < n; i++) {
        assert.equal(b[i], x[i] > 0 ? 1 : 0, `bool ${i} of ${n}`);
        assert.equal(i8[i], x[i], `int8 ${i} of ${n}`);
        assert.equal(u16[i], (i * 7) & 0xffff, `uint16 ${i} of ${n}`);
      }
    }
  });
});

describe("WebGPU backend: float16 with and without shader-f16", () => {
  const cases: [string, () => Device][] = [["shader-f16 (array<f16>)", gpu]];
  let packed: WebGpuBackend | null = null;
  cases.push([
    "without shader-f16 (packed in u32 words)",
    () => {
      if (!packed) {
        const r = WebGpuBackend.create({ f16: false });
        if ("error" in r) throw new Error(r.error);
        packed = r.backend;
      }
      return { ...gpu(), backend: packed, platform: "webgpu", toString: () => "packed" } as Device;
    },
  ]);
  for (const [name, dev] of cases) {
    it(`${name}: float16 arithmetic rounds like the CPU's`, () => {
      const n = 999;
      const x = Float32Array.from({ length: n }, (_, i) => (i - 500) * 0.37 + 1e-6 * i);
      const h = (e: ReturnType<typeof load>) => unary("cast", e, "float16");
      const xs = h(load(0, "float32", gidx()));
      const k: Kernel = {
        name: "f16",
        inputs: [{ dtype: "float32", size: n }],
        outputs: [
          { dtype: "float16", exp: binary("div", binary("mul", xs, xs), constant(3, "float16")) },
          { dtype: "float16", exp: binary("nextafter", xs, constant(Infinity, "float16")) },
          { dtype: "float32", exp: unary("cast", binary("add", xs, constant(0.1, "float16")), "float32") },
        ],
        size: n,
        shape: [n],
      };
      if (name.startsWith("without")) assert.equal((dev().backend as WebGpuBackend).info.f16, false);
      const got = runKernel(dev(), k, [x]);
      const want = runKernel(cpuDevice(), k, [x]);
      got.forEach((g, j) => assert.deepEqual([...g], [...want[j]], `output ${j}`));
    });
  }
});

describe("WebGPU backend: contractions", () => {
  const mats = (shape: number[], seed: number, device: Device): Array => {
    const n = shape.reduce((a, b) => a * b, 1);
    return Array.fromHost(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)), shape, "float32", { device });
  };
  const cases: [string, (...xs: Value[]) => Value, number[][]][] = [
    ["odd sizes with a bias and tanh epilogue", (x, y, z) => lax.tanh(lax.add(lax.dotGeneral(x, y, [[[1], [0]], [[], []]]), z)), [[37, 50], [50, 29], [37, 29]]],
    ["a transposed operand and batch dims", (x, y) => lax.dotGeneral(x, y, [[[1], [1]], [[0], [0]]]), [[3, 20, 17], [3, 20, 9]]],
  ];
  for (const [name, f, shapes] of cases) {
    it(`${name}: the blocked WGSL matmul agrees with the CPU`, () => {
      const jf = jit(f);
      const args = shapes.map((s, i) => mats(s, i, gpu()));
      assert.match(jf.lower(...args).asText(), /a 4x4 block of C per invocation/);
      const got = jf(...args) as Array;
      const want = f(...shapes.map((s, i) => mats(s, i, cpuDevice()))) as Array;
      assert.deepEqual(got.shape, want.shape);
      const g = got.toNumbers(), w = want.toNumbers();
      w.forEach((v, i) => assert.ok(Math.abs(g[i] - v) <= 1e-5 + 1e-5 * Math.abs(v), `element ${i}: ${g[i]} vs ${v}`));
    });
  }
});

describe("device_put", () => {
  const DTYPES: DType[] = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float16", "bfloat16", "float32"];
  for (const dtype of DTYPES) {
    it(`${dtype}: CPU → WebGPU → CPU keeps every bit, shape and weak type`, () => {
      const n = 13;
      const data = globalThis.Array.from({ length: n }, (_, i) => (dtype === "bool" ? i % 2 : (i * 37) % 120 - 60 + (dtype.startsWith("float") || dtype === "bfloat16" ? 0.25 : 0)));
      const x = Array.fromHost(data, [n], dtype, { device: cpuDevice(), weak: dtype === "float32" });
      const g = devicePut(x, gpu()) as Array;
      assert.equal(g.device, gpu());
      assert.deepEqual([...devicesOf(g)], [gpu()]);
      const back = devicePut(g, cpuDevice()) as Array;
      assert.equal(back.device, cpuDevice());
      assert.deepEqual([...back.data()], [...x.data()]);
      assert.equal(back.dtype, dtype);
      assert.equal(back.weakType, x.weakType);
      assert.equal(new Uint8Array(g.data().buffer).length, n * ITEMSIZE[dtype]);
    });
  }

  it("an array already on the device is committed to it (the same array once committed); scalars become arrays there", () => {
    const x = Array.fromHost([1, 2], [2], "float32", { device: gpu() });
    const c = devicePut(x, gpu()) as Array;
    assert.ok(c.committed && !x.committed);
    assert.equal(devicePut(c, gpu()), c);
    const s = devicePut(2.5, gpu()) as Array;
    assert.equal(s.device, gpu());
    assert.deepEqual(s.toNumbers(), [2.5]);
  });
});

describe("WebGPU backend: host lowerings and devices of results", () => {
  it("a host-lowered primitive (sort) reads back, runs, and uploads to the same device", () => {
    const x = Array.fromHost([3, 1, 2, -5], [4], "float32", { device: gpu() });
    const y = lax.sort(x) as Array;
    assert.equal(y.device, gpu());
    assert.deepEqual(y.toNumbers(), [-5, 1, 2, 3]);
  });

  it("mixing arrays committed to CPU and WebGPU in one op is JAX's ValueError naming both devices", () => {
    const a = devicePut(Array.fromHost([1], [1], "float32"), gpu());
    const b = devicePut(Array.fromHost([1], [1], "float32"), cpuDevice());
    assert.throws(() => lax.add(a, b), (e: Error) => e.name === "ValueError" && /^Received incompatible devices for jitted computation\. Got argument args\[0\] of add with shape float32\[1\] and device ids \[0\] on platform WEBGPU and argument args\[1\] of add with shape float32\[1\] and device ids \[0\] on platform CPU$/.test(e.message));
  });
});

describe("WebGPU backend: arrays beyond one binding", () => {
  // A second GPU thread whose bindings cover at most 1 KiB, so that small arrays exercise the
  // chunked bindings that arrays past maxStorageBufferBindingSize (128 MiB on lavapipe) get.
  let small: Device | null = null;
  const smallBindings = (): Device => {
    if (!small) {
      const r = WebGpuBackend.create({ maxBindingBytes: 1024 });
      if ("error" in r) throw new Error(r.error);
      small = { ...gpu(), backend: r.backend, toString: () => "small bindings" } as Device;
    }
    return small;
  };

  it("elementwise kernels over chunked inputs and outputs, packed and float16 included", () => {
    const n = 601;
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
    const xs = load(0, "float32", gidx());
    const k: Kernel = {
      name: "chunked",
      inputs: [{ dtype: "float32", size: n }],
      outputs: [
        { dtype: "float32", exp: binary("mul", xs, load(0, "float32", binary("sub", i32(n - 1), gidx()))) },
        { dtype: "bool", exp: binary("gt", xs, constant(0, "float32")) },
        { dtype: "int8", exp: unary("cast", xs, "int8") },
        { dtype: "float16", exp: unary("cast", xs, "float16") },
      ],
      size: n,
      shape: [n],
    };
    assert.ok((smallBindings().backend as WebGpuBackend).compile(k).wgsl.source.includes("out0_2"), "the float32 output is bound as several ranges");
    const got = runKernel(smallBindings(), k, [x]);
    const want = runKernel(cpuDevice(), k, [x]);
    got.forEach((g, j) => assert.deepEqual([...g], [...want[j]], `output ${j}`));
  });

  it("a reduction reading across chunks, and one kernel over packed chunked inputs", () => {
    const rows = 5, len = 600;
    const r = ridx(len);
    const kSum: Kernel = { name: "rowsum", inputs: [{ dtype: "int32", size: rows * len }], outputs: [{ dtype: "int32", exp: reduce("sum", r, load(0, "int32", add(mul(gidx(), i32(len)), r))) }], size: rows, shape: [rows] };
    const xi = Int32Array.from({ length: rows * len }, (_, i) => (i * 31) % 1000 - 500);
    assert.deepEqual([...runKernel(smallBindings(), kSum, [xi])[0]], [...runKernel(cpuDevice(), kSum, [xi])[0]]);
    const n = 5000;
    const kNot: Kernel = { name: "not", inputs: [{ dtype: "bool", size: n }], outputs: [{ dtype: "bool", exp: unary("not", load(0, "bool", gidx())) }], size: n, shape: [n] };
    const xb = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    assert.deepEqual([...runKernel(smallBindings(), kNot, [xb])[0]], [...xb].map((v) => 1 - v));
  });

  it("too many ranges for one kernel: an error naming maxStorageBuffersPerShaderStage", () => {
    const n = 20000;
    assert.throws(() => (smallBindings().backend as WebGpuBackend).compile(affine(n, 2)), /maxStorageBuffersPerShaderStage/);
  });

  it("on the device itself: an array past maxStorageBufferBindingSize", () => {
    const limit = backend().info.maxStorageBufferBindingSize;
    const n = limit / 4 + 1000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = i % 1021;
    const [y] = runKernel(gpu(), affine(n, 2, 1), [x]);
    let bad = 0;
    for (let i = 0; i < n; i++) if (y[i] !== (i % 1021) * 2 + 1) bad++;
    assert.equal(bad, 0);
  });
});

describe("WebGPU backend: errors", () => {
  it("64-bit dtypes: a TypeError naming the dtype and the CPU backend", () => {
    const k: Kernel = { name: "f64op", inputs: [{ dtype: "float64", size: 2 }], outputs: [{ dtype: "float64", exp: load(0, "float64", gidx()) }], size: 2, shape: [2] };
    assert.throws(() => backend().compile(k), (e: Error) => e instanceof TypeError && /WebGPU does not support float64 \(in kernel f64op\).*CPU backend/.test(e.message));
  });

  it("WGSL that does not compile: a WebGpuError naming the kernel and the line", () => {
    assert.throws(
      () => backend().compileWgsl("broken", "@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }", [], [], 1),
      (e: Error) => e instanceof WebGpuError && /could not compile kernel broken/.test(e.message) && /line 1/.test(e.message),
    );
  });

  it("a hand-written kernel binding a buffer beyond maxStorageBufferBindingSize: an error naming the limit", () => {
    const b = backend();
    const big = b.alloc(b.info.maxStorageBufferBindingSize + 16);
    const out = b.alloc(64);
    const exe = b.compileWgsl("copy", "@group(0) @binding(0) var<storage, read> x: array<f32>;\n@group(0) @binding(1) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(1) fn main() { y[0] = x[0]; }", ["float32"], ["float32"], 1);
    assert.throws(() => b.dispatch(exe, [big], [out]), /maxStorageBufferBindingSize/);
    b.free(big);
    b.free(out);
  });

  it("an allocation beyond maxBufferSize fails at once", () => {
    assert.throws(() => backend().alloc(backend().info.maxBufferSize + 1), /maxBufferSize/);
  });

  it("an output that is also an input is refused", () => {
    const b = backend();
    const a = b.alloc(64);
    assert.throws(() => b.dispatch(b.compile(affine(16, 1)), [a], [a]), /output 0 is also an input/);
    b.free(a);
  });

  it("a freed buffer used later: the error surfaces at the next sync point", () => {
    const b = backend();
    const a = b.alloc(64), out = b.alloc(64);
    b.free(a);
    b.dispatch(b.compile(affine(16, 1)), [a], [out]);
    assert.throws(() => b.sync(), (e: Error) => e instanceof WebGpuError && /does not exist/.test(e.message));
    // The backend keeps working afterwards.
    const [y] = runKernel(gpu(), affine(4, 2), [new Float32Array([1, 2, 3, 4])]);
    assert.deepEqual([...y], [2, 4, 6, 8]);
    b.free(out);
  });

  it("a closed backend: sync points throw instead of waiting for its thread", () => {
    const r = WebGpuBackend.create();
    if ("error" in r) throw new Error(r.error);
    const b = r.backend;
    const buf = b.alloc(16);
    b.close();
    assert.throws(() => b.read(buf, "float32", 4), /has been closed/);
  });

  it("too many buffers for one kernel: an error naming the limit", () => {
    const n = backend().info.maxStorageBuffersPerShaderStage;
    const k: Kernel = { name: "wide", inputs: globalThis.Array.from({ length: n }, () => ({ dtype: "float32" as DType, size: 1 })), outputs: [{ dtype: "float32", exp: add(load(0, "float32", i32(0)), mul(load(1, "float32", i32(0)), load(2, "float32", i32(0)))) }], size: 1, shape: [1] };
    assert.throws(() => backend().compile(k), /maxStorageBuffersPerShaderStage/);
  });
});
