/**
 * @file The CPU heap (kernel/backend/heap.ts) and the WebAssembly kernels working in place on it:
 * the allocator's reuse, merging and limits; kernels in place give the same bits as the copying
 * path, never write past an array's slack into a neighbour, fall back to copies for aliased or
 * outside buffers; device threads run in place too; a buffer the garbage collector finds
 * unreferenced gives its range back.
 */

import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import "../../kernel/index.js";
import { CpuHeap, HEAP_MIN_BYTES, HEAP_SLACK, cpuHeap } from "../../kernel/backend/heap.js";
import { CpuBackend, CpuBuffer } from "../../kernel/backend/cpu.js";
import { type Exp, type Kernel, binary, gidx, load, unary } from "../../kernel/codegen/exp.js";
import { compileWasm, wasmDriver } from "../../kernel/codegen/wasm.js";
import * as sh from "../../kernel/sharding/index.js";
import { Array, RcBuffer } from "../../kernel/backend/array.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { cpuDevice, cpuDevices } from "../../kernel/backend/device.js";
import type { Value } from "../../kernel/ir/core.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";

const newHeap = (maxBytes: number): CpuHeap => new CpuHeap(new WebAssembly.Memory({ initial: 1, maximum: 1024, shared: true }), true, maxBytes);

describe("the CPU heap's allocator", () => {
  it("hands out aligned, disjoint ranges with slack, and reuses a freed range of the same size", () => {
    const h = newHeap(1 << 26);
    const a = h.alloc(40000)!, b = h.alloc(40000)!, c = h.alloc(100)!;
    for (const x of [a, b, c]) assert.equal(x % 64, 0);
    assert.ok(b >= a + 40000 + HEAP_SLACK && c >= b + 40000 + HEAP_SLACK, `ranges overlap: ${a}, ${b}, ${c}`);
    h.release(a);
    assert.equal(h.alloc(40000), a);
    assert.ok(h.memory.buffer.byteLength >= c + 100 + HEAP_SLACK, "the memory grew to hold every range");
  });

  it("merges neighbouring free ranges, lowers its top, and ignores unknown or repeated frees", () => {
    const h = newHeap(1 << 26);
    const [a, b, c, d] = [h.alloc(1000)!, h.alloc(1000)!, h.alloc(1000)!, h.alloc(1000)!];
    h.release(a);
    h.release(c);
    assert.equal(h.stats().freeRanges, 2);
    h.release(b); // a, b, c become one range
    assert.equal(h.stats().freeRanges, 1);
    const big = h.alloc(3000)!;
    assert.equal(big, a, "the merged range holds an allocation three times as large");
    h.release(big);
    h.release(big);
    h.release(12345);
    h.release(d); // the top range: everything is free again
    assert.deepEqual(h.stats(), { liveBytes: 0, liveCount: 0, top: 64, freeRanges: 0 });
  });

  it("returns null beyond its limit (the caller then uses a buffer of its own), and on a device thread's attached heap", () => {
    const h = newHeap(1 << 20);
    assert.notEqual(h.alloc(600_000), null);
    assert.equal(h.alloc(600_000), null);
    assert.equal(new CpuHeap(h.memory, false).alloc(1000), null);
  });

  it("puts large CPU buffers in the heap and small ones in SharedArrayBuffers of their own", () => {
    const be = new CpuBackend();
    const big = be.alloc(HEAP_MIN_BYTES), small = be.alloc(HEAP_MIN_BYTES - 4);
    assert.ok(big.heapAddr >= 0, "a large buffer is in the heap");
    assert.equal(big.byteOffset, big.heapAddr);
    assert.equal(big.bytes, HEAP_MIN_BYTES);
    assert.equal(small.heapAddr, -1);
    // Writes land at the buffer's place in the heap.
    be.write(big, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...new Uint8Array(cpuHeap().buffer, big.heapAddr, 3)], [1, 2, 3]);
    be.free(big);
    be.free(small);
  });
});

/** A float32 kernel over `shape` computing `exp` from its inputs (sizes given). */
const kernel = (exp: Exp, inputs: number[], shape: number[]): Kernel => {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name: "heap_test", inputs: inputs.map((n) => ({ dtype: "float32", size: n })), outputs: [{ dtype: "float32", exp }], size, shape };
};
const x0 = load(0, "float32", gidx());
/** The post's function: a flat kernel with math that has a fast and a general pass. */
const POST = binary("mul", unary("exp", unary("neg", binary("mul", x0, x0))), unary("cos", unary("exp", binary("mul", x0, x0))));
const ROWS = 200, COLS = 37;
/** x·r + exp(x) with r a row broadcast over [ROWS, COLS]: a row kernel whose rows are not whole iterations. */
const ROW_KERNEL = binary("add", binary("mul", x0, load(1, "float32", binary("rem", gidx(), { kind: "const", dtype: "int32", value: COLS }))), unary("exp", x0));

const linspace = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const bits = (a: Float32Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
const SENTINEL = 0x7fc01234;

describe("WebAssembly kernels in place on the CPU heap", () => {
  const be = new CpuBackend();
  const cases: [string, Kernel, Float32Array[]][] = [
    ["a flat kernel (10007 elements, not whole iterations)", kernel(POST, [10007], [10007]), [linspace(10007, -4, 4)]],
    [`a row kernel ([${ROWS}, ${COLS}], a broadcast row)`, kernel(ROW_KERNEL, [ROWS * COLS, COLS], [ROWS, COLS]), [linspace(ROWS * COLS, -3, 3), linspace(COLS, -1, 2)]],
  ];
  for (const [name, k, inputs] of cases) {
    it(`${name}: the same bits as the copying path, nothing written outside the output and its slack, inputs unchanged`, () => {
      const w = compileWasm(k)!;
      assert.ok(w, "a WebAssembly kernel");
      // The copying path: no heap.
      const want = new Float32Array(k.size);
      wasmDriver(w, null, null)(inputs, [want], 0, w.rows);
      assert.ok(want.every((v) => Number.isFinite(v)), "the reference is finite");
      // In place on a heap laid out by hand: the scratch, the large input, the output between two guard regions.
      const memory = new WebAssembly.Memory({ initial: 16, maximum: 16, shared: true });
      const heap = { memory, scratch: () => ({ addr: 0, bytes: 65536 }) };
      const xAddr = 65536, guardLo = xAddr + inputs[0].byteLength + HEAP_SLACK, outAddr = guardLo + 1024, guardHi = outAddr + k.size * 4 + HEAP_SLACK;
      new Uint32Array(memory.buffer).fill(SENTINEL);
      const x = new Float32Array(memory.buffer, xAddr, inputs[0].length);
      x.set(inputs[0]);
      const out = new Float32Array(memory.buffer, outAddr, k.size);
      const small = inputs.slice(1); // a broadcast row: outside the heap, read from the scratch
      const addrs = [xAddr, ...small.map(() => -1), outAddr];
      wasmDriver(w, null, heap)([x, ...small], [out], 0, w.rows, undefined, addrs);
      assert.deepEqual(bits(out), bits(want));
      assert.deepEqual(bits(x), bits(inputs[0]), "the input is unchanged");
      const words = new Uint32Array(memory.buffer);
      for (const [from, to] of [[guardLo, outAddr], [guardHi, guardHi + 4096]]) {
        assert.ok(words.subarray(from / 4, to / 4).every((v) => v === SENTINEL), `a kernel wrote into [${from}, ${to})`);
      }
    });
  }

  it("results do not depend on earlier rows: the copying path zeroes the lanes past a row's end", () => {
    const x = linspace(10007, -4, 4);
    const fresh = new Float32Array(x.length);
    const w = compileWasm(kernel(POST, [x.length], [x.length]))!;
    wasmDriver(w, null, null)([x], [fresh], 0, w.rows);
    // Two blocks: the first has NaNs where the second (x, shorter) ends, which its copy would
    // otherwise find past its end and run in the general pass.
    const B = w.cols;
    const both = new Float32Array(B + x.length);
    both.fill(1, 0, B);
    both.fill(NaN, x.length, x.length + 32);
    both.set(x, B);
    const w2 = compileWasm(kernel(POST, [both.length], [both.length]))!;
    const out = new Float32Array(both.length);
    wasmDriver(w2, null, null)([both], [out], 0, w2.rows);
    assert.deepEqual(bits(out.subarray(B)), bits(fresh));
  });

  it("an output overlapping its input (the same buffer) runs through copies and gives the same bits", () => {
    const k = kernel(POST, [10007], [10007]);
    const exe = be.compile(k);
    const x = linspace(10007, -4, 4);
    const a = be.alloc(x.byteLength), b = be.alloc(x.byteLength);
    be.write(a, new Uint8Array(x.buffer));
    be.write(b, new Uint8Array(x.buffer));
    const out = be.alloc(x.byteLength);
    be.dispatch(exe, [a], [out]);
    be.dispatch(exe, [b], [b]);
    assert.deepEqual(bits(b.view("float32") as Float32Array), bits(out.view("float32") as Float32Array));
    for (const buf of [a, b, out]) be.free(buf);
  });

  it("jit on arrays in the heap and on arrays outside it: the same bits (elementwise and a row reduction)", () => {
    const device = cpuDevice();
    const outside = (x: Float32Array, shape: number[]): Array => {
      const buf = new CpuBuffer(new SharedArrayBuffer(x.byteLength));
      new Float32Array(buf.data).set(x);
      return new Array(new ShapedArray(shape, "float32"), new RcBuffer(device, buf));
    };
    const post = (v: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(v, 2))), lax.cos(lax.exp(lax.integerPow(v, 2))));
    const rowSums = (v: Value): Value => lax.reduceSum(lax.exp(v), [1]);
    const x = linspace(300 * 77, -4, 4);
    for (const [fn, shape] of [[post, [300 * 77]], [rowSums, [300, 77]]] as const) {
      const inHeap = Array.fromHost(x, [...shape], "float32", { device });
      assert.ok((inHeap.buffer as CpuBuffer).heapAddr >= 0);
      const a = (jit(fn)(inHeap) as Array).data() as Float32Array;
      const b = (jit(fn)(outside(x, [...shape])) as Array).data() as Float32Array;
      assert.deepEqual(bits(a), bits(b));
    }
  });

  it("device threads run kernels in place on the shared heap: each shard equals one device's result on its block", () => {
    sh.setCpuDeviceCount(2);
    try {
      const mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices() });
      const post = (v: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(v, 2))), lax.cos(lax.exp(lax.integerPow(v, 2))));
      const n = 9001, xs = linspace(2 * n, -4, 4);
      const x = Array.fromHost(xs, [2 * n], "float32", { device: cpuDevice() });
      const y = sh.devicePut(x, new sh.NamedSharding(mesh, sh.P("x"))) as sh.ShardedArray;
      const got = jit(post)(y) as sh.ShardedArray;
      assert.deepEqual(got.shards.map((s) => s.device.id), [0, 1]);
      got.shards.forEach((s, k) => {
        assert.ok(s.buffer instanceof CpuBuffer && s.buffer.heapAddr >= 0, `shard ${k} is in the heap`);
        const block = Array.fromHost(xs.subarray(k * n, (k + 1) * n), [n], "float32", { device: cpuDevice() });
        assert.deepEqual(bits(s.data() as Float32Array), bits((jit(post)(block) as Array).data() as Float32Array), `shard ${k}`);
      });
    } finally {
      sh.setCpuDeviceCount(null);
    }
  });

  it("the heap grows between a device thread's kernel being queued and its result being read: the result is unchanged", () => {
    sh.setCpuDeviceCount(2);
    try {
      const mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices() });
      const post = (v: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(v, 2))), lax.cos(lax.exp(lax.integerPow(v, 2))));
      const n = 1 << 20, xs = linspace(2 * n, -4, 4);
      const y = sh.devicePut(Array.fromHost(xs, [2 * n], "float32", { device: cpuDevice() }), new sh.NamedSharding(mesh, sh.P("x"))) as sh.ShardedArray;
      const f = jit(post);
      const want = (f(y) as sh.ShardedArray).data() as Float32Array;
      // Device 1's kernel is queued (and may still run) while this thread grows the memory.
      const got = f(y) as sh.ShardedArray;
      const be2 = new CpuBackend();
      const before = cpuHeap().memory.buffer.byteLength;
      // Larger than any free range (all lie below the top) and than the room above the top.
      const size = Math.max(before - cpuHeap().stats().top, cpuHeap().stats().top) + (64 << 20);
      const big = be2.alloc(size);
      assert.ok(big.heapAddr >= 0 && cpuHeap().memory.buffer.byteLength > before, `the heap grew (from ${before >> 20} MiB, by ${size >> 20} MiB)`);
      assert.deepEqual(bits(got.data() as Float32Array), bits(want));
      be2.free(big);
    } finally {
      sh.setCpuDeviceCount(null);
    }
  });

  it("beyond its limit, buffers of their own, reused once freed (no fresh memory per call)", () => {
    const be2 = new CpuBackend();
    const filler: CpuBuffer[] = [];
    // Fill the heap (its ranges are not touched, so this takes no memory): big ranges, then small ones.
    for (const size of [64 << 20, 1 << 20]) {
      for (let b = be2.alloc(size); ; b = be2.alloc(size)) {
        if (b.heapAddr < 0) break;
        filler.push(b);
      }
    }
    const a = be2.alloc(1 << 20);
    assert.equal(a.heapAddr, -1, "the heap is full");
    be2.free(a);
    assert.equal(be2.alloc(1 << 20), a, "the freed buffer is reused");
    for (const b of filler) be2.free(b);
  });

  it("gives back the range of a buffer the garbage collector found unreferenced", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const be2 = new CpuBackend();
    const addrs = (() => globalThis.Array.from({ length: 4 }, () => be2.alloc(HEAP_MIN_BYTES * 2).heapAddr))();
    assert.ok(addrs.every((a) => cpuHeap().isLive(a)));
    for (let t = 0; t < 20 && addrs.some((a) => cpuHeap().isLive(a)); t++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(addrs.every((a) => !cpuHeap().isLive(a)), "the collected buffers' ranges are free");
  });
});
