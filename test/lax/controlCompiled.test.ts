/**
 * @file Loops and conds run as compiled programs (kernel/lax/controlCompiled.ts), inside jit and
 * eagerly, on every test device: results against NumPy loops, nested loops, integer and boolean
 * carries, zero-trip loops, debug callbacks in bodies, transformations under jit, and that the
 * bodies really are compiled once and dispatched as fused kernels.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value, getAval } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import type { Device } from "../../kernel/backend/device.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { grad } from "../../kernel/ad/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { programStats } from "../../kernel/codegen/program.js";
import * as sh from "../../kernel/sharding/index.js";
import { cpuDevices } from "../../kernel/backend/device.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture, testDevices } from "../util.js";

interface Fix {
  x: FixtureArray;
  fori_elementwise: FixtureArray;
  halving: { k: number; v: FixtureArray };
  scan: { xs: FixtureArray; carry: FixtureArray; ys: FixtureArray; ks: FixtureArray; cumsum: FixtureArray; rev_cumsum: FixtureArray };
  nested: { xs: FixtureArray; carry: FixtureArray; ys: FixtureArray };
  cond_loop: FixtureArray;
  switch_scan: { xs: FixtureArray; carry: FixtureArray; ys: FixtureArray };
}
const fx = loadFixture<Fix>("control_compiled");
/** The RNN of the scan tests, with PyTorch's float64 gradients (test/fixtures/gen_control.py). */
const rnnFx = loadFixture<{ rnn: { inputs: Record<string, FixtureArray>; loss: number; grads: Record<string, FixtureArray> } }>("control").rnn;

const i32 = (v: number, device: Device): Array => Array.scalar(v, "int32", false, device);
const f32s = (v: number, device: Device): Array => Array.scalar(v, "float32", false, device);
/** Transcendental bodies iterated 100 times: float32 rounding differences accumulate a little. */
const LOOSE = { rtol: 2e-5, atol: 2e-6 };

// The loops under test, as functions of arrays; each runs jitted and eagerly.
const foriElementwise = (x: Value): Value => lax.foriLoop(0, 100, (_i: Value, v: Value) => lax.add(lax.mul(v, 0.999), lax.mul(lax.sin(v), 0.001)), x);
const halving = (k: Value, x: Value): [Value, Value] => lax.whileLoop(
  ([, v]: [Value, Value]) => lax.gt(lax.reduceSum(lax.mul(v, v), [0]), 1e-30),
  ([j, v]: [Value, Value]): [Value, Value] => [lax.add(j, 1), lax.mul(v, 0.5)],
  [k, x],
);
const scanTwo = (c0: Value, xs: Value): [Value, [Value, Value]] => lax.scan((c: Value, x: Value): [Value, [Value, Value]] => {
  const n = lax.add(lax.mul(c, 0.9), x);
  return [n, [n, lax.reduceSum(lax.convertElementType(lax.gt(n, 0), "int32"), [0])]];
}, c0, xs) as [Value, [Value, Value]];
const cumsum = (reverse: boolean) => (c0: Value, xs: Value): [Value, Value] =>
  lax.scan((c: Value, x: Value): [Value, Value] => { const s = lax.add(c, x); return [s, s]; }, c0, xs, { reverse }) as [Value, Value];
const nested = (c0: Value, xs: Value): [Value, Value] => lax.scan((c: Value, x: Value): [Value, Value] => {
  const n = lax.foriLoop(0, 3, (_j: Value, v: Value) => lax.add(lax.mul(v, 0.5), x), c);
  return [n, lax.reduceSum(n, [0])];
}, c0, xs) as [Value, Value];
const condLoop = (x: Value): Value => lax.foriLoop(0, 100, (i: Value, v: Value) =>
  lax.cond(lax.eq(lax.rem(i, 2), 0), (u: Value) => lax.mul(u, 1.001), (u: Value) => lax.sub(u, 0.001), v) as Value, x);
const switchScan = (c0: Value, i0: Value, xs: Value): [[Value, Value], Value] => lax.scan(([c, i]: [Value, Value], x: Value): [[Value, Value], Value] => {
  const n = lax.switch(lax.rem(i, 3), [
    (u: Value) => lax.add(u, x), (u: Value) => lax.mul(u, x), (u: Value) => lax.sub(u, 1),
  ], c) as Value;
  return [[n, lax.add(i, 1)], n];
}, [c0, i0], xs) as [[Value, Value], Value];

for (const device of testDevices()) {
  const x = () => fromFixture(fx.x, device);
  for (const mode of ["jit", "eager"] as const) {
    const run = <F extends (...a: never[]) => unknown>(f: F): F => (mode === "jit" ? jit(f) as unknown as F : f);

    describe(`compiled control flow, ${mode}, on ${device.toString()}`, () => {
      it("fori_loop with static bounds over an elementwise body equals NumPy", () => {
        assertClose(run(foriElementwise)(x()), fx.fori_elementwise, LOOSE);
      });

      it("while_loop with a data-dependent predicate, an int32 and a float32 carry", () => {
        const [k, v] = run(halving)(i32(0, device), x());
        assert.equal((k as Array).item(), fx.halving.k);
        assert.equal(getAval(k).dtype, "int32");
        assertClose(v, fx.halving.v);
      });

      it("scan with a vector carry and two ys (float32 and int32), 200 steps", () => {
        const [c, [ys, ks]] = run(scanTwo)(Array.fromHost(new Float32Array(4), [4], "float32", { device }), fromFixture(fx.scan.xs, device));
        assertClose(c, fx.scan.carry, LOOSE);
        assertClose(ys, fx.scan.ys, LOOSE);
        assertClose(ks, fx.scan.ks);
      });

      it("scan cumulative sums, forward and reversed", () => {
        const col = Array.fromHost((fx.scan.xs.data as number[]).filter((_, i) => i % 4 === 0), [200], "float32", { device });
        const [c, ys] = run(cumsum(false))(f32s(0, device), col);
        assertClose(ys, fx.scan.cumsum, { rtol: 1e-5, atol: 1e-4 });
        assert.ok(Math.abs(((c as Array).item() as number) - (fx.scan.cumsum.data[199] as number)) < 1e-4);
        const [, rys] = run(cumsum(true))(f32s(0, device), col);
        assertClose(rys, fx.scan.rev_cumsum, { rtol: 1e-5, atol: 1e-4 });
      });

      it("a fori_loop inside a scan body", () => {
        const [c, ys] = run(nested)(Array.fromHost(new Float32Array(5), [5], "float32", { device }), fromFixture(fx.nested.xs, device));
        assertClose(c, fx.nested.carry, LOOSE);
        assertClose(ys, fx.nested.ys, { rtol: 2e-5, atol: 1e-5 });
      });

      it("a while_loop (some zero-trip) and a cond forwarding its operand inside a scan body", () => {
        const xs = [5, 0, 7, 20, 3, 3, 11, 40, 2, 9];
        const f = run((c0: Value, xsv: Value) => lax.scan((c: Value, x: Value): [Value, Value] => {
          const m = lax.whileLoop((v: Value) => lax.lt(v, x), (v: Value) => lax.add(v, 3), c);
          const y = lax.cond(lax.eq(lax.rem(x, 2), 0), (u: Value) => u, (u: Value) => lax.mul(u, 2), m) as Value;
          return [y, y];
        }, c0, xsv));
        const want: number[] = [];
        let c = 1;
        for (const x of xs) {
          while (c < x) c += 3;
          if (x % 2 !== 0) c *= 2;
          want.push(c);
        }
        const [last, ys] = f(f32s(1, device), Array.fromHost(xs, [10], "float32", { device })) as [Array, Array];
        assert.deepEqual(ys.toNumbers(), want);
        assert.equal(last.item(), want[9]);
      });

      it("cond inside a fori_loop body picks its branch every iteration", () => {
        assertClose(run(condLoop)(x()), fx.cond_loop, LOOSE);
      });

      it("switch inside a scan body, the index from an int32 carry", () => {
        const [[c, i], ys] = run(switchScan)(Array.fromHost([1, 1, 1], [3], "float32", { device }), i32(0, device), fromFixture(fx.switch_scan.xs, device));
        assert.equal((i as Array).item(), 30);
        assertClose(c, fx.switch_scan.carry, LOOSE);
        assertClose(ys, fx.switch_scan.ys, LOOSE);
      });

      it("boolean carries: a flag toggled by a fori_loop, a while_loop until a flag is set", () => {
        const toggle = run((b: Value, n: Value) => lax.foriLoop(0, 7, (_i: Value, [f, k]: [Value, Value]): [Value, Value] =>
          [lax.bitwiseNot(f), lax.add(k, lax.convertElementType(f, "int32"))], [b, n]));
        const [flag, count] = toggle(Array.scalar(false, "bool", false, device), i32(0, device)) as [Array, Array];
        assert.equal(flag.item(), true);
        assert.equal(count.item(), 3, "true before iterations 1, 3, 5");
        const until = run((n: Value) => lax.whileLoop(([done]: [Value, Value]) => lax.bitwiseNot(done),
          ([, m]: [Value, Value]): [Value, Value] => [lax.ge(lax.mul(m, 3), 100), lax.mul(m, 3)], [Array.scalar(false, "bool", false, device) as Value, n]));
        const [done, m] = until(i32(1, device)) as [Array, Array];
        assert.equal(done.item(), true);
        assert.equal(m.item(), 243);
      });

      it("zero-trip loops return their initial values, and the caller's arrays stay usable", () => {
        const init = x();
        const fori0 = run((v: Value) => lax.foriLoop(0, 0, (_i: Value, u: Value) => lax.mul(u, 2), v));
        assert.deepEqual((fori0(init) as Array).toNumbers(), init.toNumbers());
        const while0 = run((k: Value, v: Value) => halving(k, lax.mul(v, 0)));
        const [k, v] = while0(i32(5, device), init) as [Array, Array];
        assert.equal(k.item(), 5);
        assert.ok(v.toNumbers().every((e) => e === 0));
        const whileForward = run((k2: Value, v2: Value) => lax.whileLoop(([j]: [Value, Value]) => lax.lt(j, 0), ([j, u]: [Value, Value]): [Value, Value] => [lax.add(j, 1), lax.neg(u)], [k2, v2]));
        const [k2, v2] = whileForward(i32(3, device), init) as [Array, Array];
        assert.equal(k2.item(), 3);
        assert.deepEqual(v2.toNumbers(), init.toNumbers());
        const scan0 = run((c: Value, xs: Value) => lax.scan((cc: Value, xx: Value): [Value, Value] => [lax.add(cc, xx), lax.mul(xx, 2)], c, xs));
        const [c, ys] = scan0(Array.fromHost([1, 2], [2], "float32", { device }), Array.fromHost([], [0, 2], "float32", { device })) as [Array, Array];
        assert.deepEqual(c.toNumbers(), [1, 2]);
        assert.deepEqual([...ys.shape], [0, 2]);
        const inside = run((v: Value) => lax.add(lax.whileLoop((u: Value) => lax.lt(lax.reduceSum(u, [0]), -1e9), (u: Value) => lax.neg(u), v), 1));
        assert.deepEqual((inside(init) as Array).toNumbers(), init.toNumbers().map((e) => Math.fround(e + 1)));
        assert.equal(init.isDeleted, false);
        assert.equal(init.toNumbers().length, 50, "the input survives every loop that returned it");
      });

      it("an error raised in a loop body propagates, and the loop runs again afterwards", () => {
        let fail = true;
        const boom = () => {
          if (fail) throw new RangeError("stop at once");
        };
        const f = run((v: Value) => lax.whileLoop((u: Value) => lax.lt(u, 3), (u: Value) => {
          lax.debugCallback(boom, [u]);
          return lax.add(u, 1);
        }, v));
        assert.throws(() => f(i32(0, device)), /stop at once/);
        fail = false;
        assert.equal((f(i32(0, device)) as Array).item(), 3);
      });

      it("an inner loop whose only use is a debug callback still runs it every iteration", () => {
        const seen: number[] = [];
        const record = (j: Value) => void seen.push((j as Array).item() as number);
        const f = run((v: Value) => lax.foriLoop(0, 3, (_i: Value, u: Value) => {
          lax.foriLoop(0, 2, (j: Value, w: Value) => {
            lax.debugCallback(record, [j]);
            return lax.mul(w, 2);
          }, u);
          return lax.add(u, 1);
        }, v));
        assert.equal((f(f32s(0, device)) as Array).item(), 3);
        assert.deepEqual(seen, [0, 1, 0, 1, 0, 1]);
      });

      it("a debug callback in a loop body runs every iteration, in order", () => {
        const seen: number[] = [];
        const f = run((v: Value) => lax.foriLoop(0, 5, (i: Value, u: Value) => {
          lax.debugCallback((iv: Value) => void seen.push((iv as Array).item() as number), [i]);
          return lax.add(u, 1);
        }, v));
        assert.deepEqual((f(Array.fromHost([0], [1], "float32", { device })) as Array).toNumbers(), [5]);
        assert.deepEqual(seen, [0, 1, 2, 3, 4]);
        seen.length = 0;
        const w = run((v: Value) => lax.whileLoop((u: Value) => lax.lt(u, 3), (u: Value) => {
          lax.debugCallback((uv: Value) => void seen.push((uv as Array).item() as number), [u]);
          return lax.add(u, 1);
        }, v));
        assert.equal((w(i32(0, device)) as Array).item(), 3);
        assert.deepEqual(seen, [0, 1, 2]);
      });
    });
  }

  describe(`compiled control flow under transformations, on ${device.toString()}`, () => {
    it("jit(grad) of a static fori_loop equals finite differences", () => {
      const loss = (v: Value): Value => lax.reduceSum(lax.foriLoop(0, 20, (_i: Value, u: Value) => lax.add(lax.mul(u, 0.95), lax.mul(lax.sin(u), 0.1)), v), [0]);
      const g = jit(grad(loss) as (v: Value) => Value);
      const pts = [-0.7, 0.2, 1.3];
      const got = (g(Array.fromHost(pts, [3], "float32", { device })) as Array).toNumbers();
      // The loop acts elementwise: d/dx_k by central differences of the scalar map, in float64 on the host.
      const step = (u: number) => { for (let i = 0; i < 20; i++) u = u * 0.95 + Math.sin(u) * 0.1; return u; };
      pts.forEach((p, k) => {
        const fd = (step(p + 1e-5) - step(p - 1e-5)) / 2e-5;
        assert.ok(Math.abs(got[k] - fd) < 1e-4, `element ${k}: ${got[k]} vs ${fd}`);
      });
    });

    it("jit(grad) of an RNN scan equals PyTorch autograd's gradients, jit(vmap) of it a loop of calls", () => {
      const loss = (W: Value, U: Value, b: Value, h0: Value, xs: Value): Value => {
        const [h, hs] = lax.scan((c: Value, x: Value): [Value, Value] => {
          const hn = lax.tanh(lax.add(lax.add(lax.dot(W, c), lax.dot(U, x)), b));
          return [hn, hn];
        }, h0, xs) as [Value, Value];
        return lax.add(lax.reduceSum(lax.mul(hs, hs), [0, 1]), lax.reduceSum(h, [0]));
      };
      const names = ["W", "U", "b", "h0", "xs"];
      const jloss = jit(loss) as (...a: Value[]) => Value;
      const args = names.map((k) => fromFixture(rnnFx.inputs[k], device));
      const grads = jit(grad(loss, { argnums: [0, 1, 2, 3, 4] }) as (...a: Value[]) => Value[])(...args) as Array[];
      names.forEach((k, i) => assertClose(grads[i], rnnFx.grads[k], { rtol: 1e-4, atol: 1e-5, msg: k, checkDtype: false }));
      // Three initial states at once: each row equals its own call.
      const h0s = Array.fromHost(Float32Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4], "float32", { device });
      const batched = jit(vmap((h0: Value) => loss(args[0], args[1], args[2], h0, args[4])))(h0s) as Array;
      const rows = [0, 1, 2].map((r) => (jloss(args[0], args[1], args[2], Array.fromHost(h0s.toNumbers().slice(4 * r, 4 * r + 4), [4], "float32", { device }), args[4]) as Array).item() as number);
      assertClose(batched, { shape: [3], dtype: "float32", data: rows }, { rtol: 1e-5, atol: 1e-5 });
      assert.ok(Math.abs(((jloss(...args) as Array).item() as number) - rnnFx.loss) < 1e-4 * Math.abs(rnnFx.loss));
    });

    it("jit(vmap) of a while_loop with a batched predicate runs each element its own number of times", () => {
      const steps = jit(vmap((n: Value) => lax.whileLoop(([m]: [Value, Value]) => lax.gt(m, 1),
        ([m, k]: [Value, Value]): [Value, Value] => [lax.select(lax.eq(lax.rem(m, 2), 0), lax.div(m, 2), lax.add(lax.mul(m, 3), 1)), lax.add(k, 1)],
        [n, Array.scalar(0, "int32", false, device) as Value])[1]));
      const collatz = (n: number) => { let k = 0; while (n > 1) { n = n % 2 === 0 ? n / 2 : 3 * n + 1; k++; } return k; };
      const ns = [1, 2, 3, 6, 7, 27];
      assert.deepEqual((steps(Array.fromHost(ns, [6], "int32", { device })) as Array).toNumbers(), ns.map(collatz));
    });
  });

  describe(`compiled control flow is compiled, on ${device.toString()}`, () => {
    it("a jitted fori_loop compiles its body once and dispatches fused kernels, not one per operation", () => {
      const f = jit((v: Value) => lax.foriLoop(0, 50, (_i: Value, u: Value) => lax.add(lax.mul(lax.exp(lax.neg(lax.mul(u, u))), 0.5), lax.mul(u, 0.25)), v));
      const arg = x();
      (f(arg) as Array).data();
      const before = programStats.compiled;
      const d0 = device.backend.stats.dispatches;
      (f(arg) as Array).data();
      assert.equal(programStats.compiled, before, "the second call compiles nothing");
      // Five operations in the body, one kernel for them; the counter, which the body does not read, is dropped.
      const perIteration = (device.backend.stats.dispatches - d0) / 50;
      assert.ok(perIteration <= 1.1, `${perIteration} dispatches per iteration`);
    });

    it("an eager loop traced anew at each call reuses its compiled program; a different callback does not", () => {
      const calls: string[] = [];
      const callbacks: Record<string, () => void> = { a: () => void calls.push("a"), b: () => void calls.push("b") };
      const loop = (tag: string) => lax.foriLoop(0, 3, (i: Value, v: Value) => {
        lax.debugCallback(callbacks[tag], [i]);
        return lax.add(lax.mul(v, 0.5), lax.sin(v));
      }, x());
      (loop("a") as Array).data();
      const before = programStats.compiled;
      (loop("a") as Array).data();
      assert.equal(programStats.compiled, before, "the same body compiles once");
      assert.deepEqual(calls, ["a", "a", "a", "a", "a", "a"]);
      calls.length = 0;
      (loop("b") as Array).data();
      assert.deepEqual(calls, ["b", "b", "b"], "a body with another callback is another program");
    });

    // Under jit, so that every intermediate has an owner (eager code drops values to the garbage collector).
    it("jitted loops free every buffer they allocate (only the results remain, until disposed)", () => {
      const be = device.backend;
      const [alloc, free] = [be.alloc, be.free];
      const live = new Set<unknown>();
      const programs: Record<string, (v: Value) => unknown> = {
        fori: foriElementwise,
        while: (v) => halving(i32(0, device), v),
        "scan with ys": (v) => cumsum(false)(f32s(0, device), v),
        "cond and while in a scan": (v) => lax.scan((c: Value, x: Value): [Value, Value] => {
          const m = lax.whileLoop((u: Value) => lax.lt(u, x), (u: Value) => lax.add(u, 0.75), c);
          const y = lax.cond(lax.gt(x, 0), (u: Value) => u, (u: Value) => lax.neg(u), m) as Value;
          return [y, lax.mul(y, 2)];
        }, f32s(-2, device), v),
      };
      for (const [name, f] of Object.entries(programs)) {
        const g = jit(f);
        const arg = x();
        const warm = g(arg) as Array | Array[];
        [warm].flat(3).forEach((a) => (a as Array).dispose());
        be.alloc = (bytes: number) => {
          const b = alloc.call(be, bytes);
          live.add(b);
          return b;
        };
        be.free = (b) => {
          live.delete(b);
          free.call(be, b);
        };
        try {
          const outs = [g(arg) as Array | Array[]].flat(3) as Array[];
          assert.ok(live.size <= outs.length, `${name}: ${live.size} buffers live for ${outs.length} results`);
          outs.forEach((a) => a.dispose());
          assert.equal(live.size, 0, `${name}: buffers left after the results are disposed`);
        } finally {
          be.alloc = alloc;
          be.free = free;
          live.clear();
        }
      }
    });

    it("an eager while_loop runs its predicate and body as one compiled step", () => {
      const d0 = device.backend.stats.dispatches;
      const [k] = halving(i32(0, device), x());
      assert.equal((k as Array).item(), fx.halving.k);
      const perIteration = (device.backend.stats.dispatches - d0) / fx.halving.k;
      assert.ok(perIteration <= 4, `${perIteration} dispatches per iteration (body: add, mul; predicate: mul, reduce_sum, gt)`);
    });
  });
}

describe("compiled control flow on sharded arrays", function () {
  this.timeout(120_000);
  let mesh: sh.Mesh;
  before(() => {
    sh.setCpuDeviceCount(2);
    mesh = sh.makeMesh([2], ["x"], { devices: cpuDevices() });
  });
  after(() => sh.setCpuDeviceCount(null));

  const programs: Record<string, (v: Value) => Value> = {
    "fori_loop": foriElementwise,
    "while_loop": (v) => halving(0, v)[1],
    "scan (cumulative sums along the first axis)": (v) => cumsum(false)(lax.reduceSum(lax.mul(lax.reshape(v, [25, 2]), 0), [0]), lax.reshape(v, [25, 2]))[1],
    "cond in a fori_loop": condLoop,
  };
  for (const [name, f] of Object.entries(programs)) {
    it(`${name}: jit and eager on an array split over two CPU devices equal NumPy's loop`, () => {
      const want = jit(f)(fromFixture(fx.x)) as Array;
      for (const g of [jit(f), f]) {
        const got = g(sh.devicePut(fromFixture(fx.x), new sh.NamedSharding(mesh, sh.P("x")))) as Array;
        assertClose(got, { shape: [...want.shape], dtype: want.dtype, data: want.toNumbers() }, { rtol: 1e-6, atol: 1e-7 });
      }
    });
  }

  it("the unsharded references are NumPy's", () => {
    assertClose(jit(foriElementwise)(fromFixture(fx.x)) as Array, fx.fori_elementwise, LOOSE);
    assertClose(jit(condLoop)(fromFixture(fx.x)) as Array, fx.cond_loop, LOOSE);
  });
});
