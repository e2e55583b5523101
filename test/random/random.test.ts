/**
 * @file jax.random: bit-exactness against JAX's documented values (split of key(0), the legacy
 * split of PRNGKey(0), the legacy uniform draw of key(42) in jax.nn.initializers' docstring) and
 * against identities that follow from JAX's definitions (bits are the xor of the split words,
 * fold_in hashes the counter (0, d), uniform fills the mantissa of 1.0); statistics of every
 * sampler on large draws; vmap over keys; errors; both key schedules.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import { vmap } from "../../kernel/batching/index.js";
import { jit } from "../../kernel/jit/index.js";
import * as random from "../../kernel/random/index.js";
import { testDevices } from "../util.js";

const nums = (x: Value): number[] => (x as Array).toNumbers();

function withConfig<T>(c: Partial<typeof config>, f: () => T): T {
  const prev = { ...config };
  Object.assign(config, c);
  try {
    return f();
  } finally {
    Object.assign(config, prev);
  }
}
const legacy = <T>(f: () => T): T => withConfig({ threefryPartitionable: false }, f);

/** The float32 that random.uniform makes of 32 random bits: the top 23 under 1.0's exponent, minus 1. */
function uniformOfBits(b: number): number {
  const u = new Uint32Array([(b >>> 9) | 0x3f800000]);
  return new Float32Array(u.buffer)[0] - 1;
}

// JAX's documented values (issue 2): split(key(0), 3), and split(PRNGKey(0)) without jax_threefry_partitionable.
const SPLIT3 = [[1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009]];
const LEGACY_SPLIT = [[4146024105, 967050713], [2718843009, 1272950319]];

for (const device of testDevices()) {
  describe(`jax.random known values on ${device.toString()}`, () => {
    it("key(0) and PRNGKey(0) are [0, 0]; key(42) is [0, 42]", () => {
      assert.deepEqual(nums(random.key(0)), [0, 0]);
      assert.deepEqual(nums(random.PRNGKey(0)), [0, 0]);
      assert.deepEqual(nums(random.keyData(random.key(42))), [0, 42]);
      assert.equal((random.key(0) as Array).dtype, "uint32");
    });

    it("seeds: 64-bit seeds split into high and low words with x64; int32 wrapping without", () => {
      assert.deepEqual(nums(random.key(-1)), [0, 4294967295]);
      assert.deepEqual(nums(random.key(2 ** 32 + 7)), [0, 7]);
      withConfig({ enableX64: true }, () => {
        assert.deepEqual(nums(random.key(-1)), [4294967295, 4294967295]);
        assert.deepEqual(nums(random.key(2n ** 40n + 5n)), [256, 5]);
      });
      const seed = Array.fromHost([123], [], "int32", { device });
      assert.deepEqual(nums(random.key(seed)), [0, 123]);
    });

    it("split(key(0), 3) matches JAX", () => {
      assert.deepEqual(nums(random.split(random.key(0), { num: 3 })), SPLIT3.flat());
      assert.deepEqual([...(random.split(random.key(0), { num: 3 }) as Array).shape], [3, 2]);
    });

    it("split with a shape, and the default of two keys", () => {
      const ks = random.split(random.key(0), { num: [1, 3] }) as Array;
      assert.deepEqual([...ks.shape], [1, 3, 2]);
      assert.deepEqual(nums(ks), SPLIT3.flat());
      assert.deepEqual(nums(random.split(random.key(0))), SPLIT3.slice(0, 2).flat());
    });

    it("legacy split(PRNGKey(0)) matches JAX", () => {
      legacy(() => assert.deepEqual(nums(random.split(random.PRNGKey(0))), LEGACY_SPLIT.flat()));
    });

    it("bits are the xor of the two hashed words (partitionable), the flat hash of iota (legacy)", () => {
      assert.deepEqual(nums(random.bits(random.key(0), { shape: [3] })), SPLIT3.map(([a, b]) => (a ^ b) >>> 0));
      assert.deepEqual(nums(random.bits(random.key(0), { shape: [1, 3] })), SPLIT3.map(([a, b]) => (a ^ b) >>> 0));
      legacy(() => assert.deepEqual(nums(random.bits(random.key(0), { shape: [4] })), [4146024105, 967050713, 2718843009, 1272950319]));
      // A scalar draw hashes counter (0, 0).
      assert.deepEqual(nums(random.bits(random.key(0))), [(SPLIT3[0][0] ^ SPLIT3[0][1]) >>> 0]);
    });

    it("8-, 16- and 64-bit bits: truncated xor words; legacy: little-endian pieces of the words", () => {
      const words = SPLIT3.map(([a, b]) => (a ^ b) >>> 0);
      assert.deepEqual(nums(random.bits(random.key(0), { shape: [3], dtype: "uint8" })), words.map((w) => w & 0xff));
      assert.deepEqual(nums(random.bits(random.key(0), { shape: [3], dtype: "uint16" })), words.map((w) => w & 0xffff));
      withConfig({ enableX64: true }, () => {
        const b64 = random.bits(random.key(0), { shape: [3], dtype: "uint64" }) as Array;
        assert.deepEqual([...b64.data()], SPLIT3.map(([a, b]) => (BigInt(a) << 32n) | BigInt(b)));
      });
      legacy(() => {
        // Five bytes need two words: the hash of iota(2), i.e. of the counter pair (0, 1).
        const [w0, w1] = SPLIT3[1];
        const bytes = [w0 & 0xff, (w0 >>> 8) & 0xff, (w0 >>> 16) & 0xff, w0 >>> 24, w1 & 0xff];
        assert.deepEqual(nums(random.bits(random.key(0), { shape: [5], dtype: "uint8" })), bytes);
        withConfig({ enableX64: true }, () => {
          // Two 64-bit values take four words, the hash of iota(4): high words first, then low ones.
          const w = LEGACY_SPLIT.flat();
          const b64 = random.bits(random.key(0), { shape: [2], dtype: "uint64" }) as Array;
          assert.deepEqual([...b64.data()], [(BigInt(w[0]) << 32n) | BigInt(w[2]), (BigInt(w[1]) << 32n) | BigInt(w[3])]);
        });
      });
    });

    it("fold_in(key, d) hashes the counter (0, d)", () => {
      assert.deepEqual(nums(random.foldIn(random.key(0), 1)), SPLIT3[1]);
      assert.deepEqual(nums(random.foldIn(random.key(0), 2)), SPLIT3[2]);
      legacy(() => assert.deepEqual(nums(random.foldIn(random.key(0), 2)), SPLIT3[2]));
    });

    it("uniform fills the mantissa of 1.0 with the top random bits", () => {
      const want = SPLIT3.map(([a, b]) => uniformOfBits((a ^ b) >>> 0));
      assert.deepEqual(nums(random.uniform(random.key(0), { shape: [3] })), want);
      const scaled = nums(random.uniform(random.key(0), { shape: [3], minval: -2, maxval: 2 }));
      assert.deepEqual(scaled, want.map((u) => Math.fround(Math.fround(u * 4) - 2)));
    });

    it("legacy uniform(key(42), (2, 3)) · 10 matches jax.nn.initializers.uniform's documented output", () => {
      const doc = [7.298188, 8.691938, 8.7230015, 2.0818567, 1.8662417, 5.5022564];
      legacy(() => {
        const got = nums(random.uniform(random.key(42), { shape: [2, 3] })).map((v) => Math.fround(v * 10));
        got.forEach((g, i) => assert.equal(g, Math.fround(doc[i]), `element ${i}`));
      });
    });

    it("normal is √2·erf⁻¹ of a uniform draw on (-1, 1)", () => {
      const u = nums(random.uniform(random.key(0), { shape: [3], minval: -0.99999994, maxval: 1 }));
      const z = nums(random.normal(random.key(0), { shape: [3] }));
      u.forEach((v, i) => assert.ok(Math.abs(z[i] - Math.SQRT2 * erfinvRef(v)) < 1e-5 * (1 + Math.abs(z[i])), `element ${i}: ${z[i]} for u = ${v}`));
    });
  });
}

/** erf⁻¹ by bisection on Math-based erf (a test-side reference, independent of the kernel). */
function erfinvRef(y: number): number {
  const erf = (x: number) => {
    // Abramowitz–Stegun 7.1.26 is too coarse; integrate the series instead (|x| < 6 here).
    let sum = 0, term = x, n = 0;
    while (Math.abs(term) > 1e-17 * Math.abs(sum) || n < 5) {
      sum += term / (2 * n + 1);
      n++;
      term *= (-x * x) / n;
      if (n > 400) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  let lo = -6, hi = 6;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (erf(mid) < y) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

// ---- statistics -------------------------------------------------------------------------------------

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
};
/** Within k standard errors of the expectation (sd: the samples' standard deviation). */
const near = (got: number, want: number, sd: number, n: number, k = 5) => assert.ok(Math.abs(got - want) <= (k * sd) / Math.sqrt(n), `got ${got}, want ${want} ± ${(k * sd) / Math.sqrt(n)}`);

describe("jax.random sampler statistics (100k draws)", () => {
  const N = 100_000;
  const k = random.key(7);

  it("uniform: mean 1/2, variance 1/12, all in [0, 1)", () => {
    const u = nums(random.uniform(k, { shape: [N] }));
    assert.ok(u.every((v) => v >= 0 && v < 1));
    near(mean(u), 0.5, Math.sqrt(1 / 12), N);
    near(variance(u), 1 / 12, 0.075, N);
  });
  it("uniform with bounds, in float16, bfloat16 and float64", () => {
    for (const dtype of ["float16", "bfloat16", "float32"] as const) {
      const u = random.uniform(k, { shape: [10000], dtype, minval: -3, maxval: 5 }) as Array;
      assert.equal(u.dtype, dtype);
      const xs = u.toNumbers();
      assert.ok(xs.every((v) => v >= -3 && v < 5), dtype);
      near(mean(xs), 1, 8 / Math.sqrt(12), 10000);
    }
    withConfig({ enableX64: true }, () => {
      const u = random.uniform(k, { shape: [10000], dtype: "float64" }) as Array;
      assert.equal(u.dtype, "float64");
      near(mean(u.toNumbers()), 0.5, Math.sqrt(1 / 12), 10000);
    });
  });
  it("normal: mean 0, variance 1, symmetric tails", () => {
    const z = nums(random.normal(k, { shape: [N] }));
    near(mean(z), 0, 1, N);
    near(variance(z), 1, Math.SQRT2, N);
    const tail = z.filter((v) => Math.abs(v) > 1.959964).length / N;
    near(tail, 0.05, Math.sqrt(0.05 * 0.95), N);
  });
  it("truncated_normal stays inside (lower, upper) with the truncated mean", () => {
    const t = nums(random.truncatedNormal(k, -1, 2, { shape: [N] }));
    assert.ok(t.every((v) => v > -1 && v < 2));
    // E[X | -1 < X < 2] = (φ(-1) - φ(2)) / (Φ(2) - Φ(-1)) = 0.2296…
    near(mean(t), 0.22957, 0.8, N);
  });
  it("randint: inside [minval, maxval), every value about equally often", () => {
    const r = nums(random.randint(k, [N], -3, 7));
    assert.ok(r.every((v) => Number.isInteger(v) && v >= -3 && v < 7));
    for (let v = -3; v < 7; v++) near(r.filter((x) => x === v).length / N, 0.1, 0.3, N);
  });
  it("randint edge cases: uint8 up to 256, maxval <= minval gives minval, int8 dtype", () => {
    const u8 = random.randint(k, [5000], 0, 256, { dtype: "uint8" }) as Array;
    assert.equal(u8.dtype, "uint8");
    const xs = u8.toNumbers();
    assert.ok(xs.includes(255) && xs.includes(0));
    assert.deepEqual(nums(random.randint(k, [4], 5, 5)), [5, 5, 5, 5]);
    assert.deepEqual(nums(random.randint(k, [4], 5, 2)), [5, 5, 5, 5]);
    const i8 = random.randint(k, [2000], -128, 128, { dtype: "int8" }) as Array;
    assert.equal(i8.dtype, "int8");
    assert.ok(i8.toNumbers().every((v) => v >= -128 && v <= 127));
  });
  it("bernoulli: frequency p, in both modes", () => {
    for (const mode of ["low", "high"] as const) {
      const b = random.bernoulli(k, { p: 0.3, shape: [N], mode }) as Array;
      assert.equal(b.dtype, "bool");
      near(mean(b.toNumbers()), 0.3, Math.sqrt(0.21), N);
    }
  });
  it("exponential: mean 1, variance 1", () => {
    const e = nums(random.exponential(k, { shape: [N] }));
    assert.ok(e.every((v) => v >= 0 && Number.isFinite(v)));
    near(mean(e), 1, 1, N);
  });
  it("gumbel: mean is Euler's γ, variance π²/6", () => {
    for (const mode of ["low", "high"] as const) {
      const g = nums(random.gumbel(k, { shape: [N], mode }));
      near(mean(g), 0.5772156649, Math.PI / Math.sqrt(6), N);
      near(variance(g), Math.PI ** 2 / 6, 3, N);
    }
  });
  it("categorical: frequencies follow softmax(logits), with batches", () => {
    const logits = [Math.log(0.2), Math.log(0.5), Math.log(0.3)];
    const c = nums(random.categorical(k, logits, { shape: [N] }));
    [0.2, 0.5, 0.3].forEach((p, i) => near(c.filter((v) => v === i).length / N, p, Math.sqrt(p * (1 - p)), N));
    const batched = random.categorical(k, Array.fromHost([0, 0, 50, 50, 0, 0], [2, 3], "float32")) as Array;
    assert.deepEqual(batched.toNumbers(), [2, 0]);
    const noReplace = nums(random.categorical(k, [0.5, 0.5, 0.5, 0.5], { shape: [4], replace: false }));
    assert.deepEqual([...noReplace].sort(), [0, 1, 2, 3]);
  });
  it("choice: uniform with replacement, weighted by p, a permutation prefix without replacement", () => {
    const c = nums(random.choice(k, 4, { shape: [N] }));
    for (let v = 0; v < 4; v++) near(c.filter((x) => x === v).length / N, 0.25, Math.sqrt(0.1875), N);
    const p = [0.1, 0.6, 0.3];
    const w = nums(random.choice(k, 3, { shape: [N], p }));
    p.forEach((pi, i) => near(w.filter((x) => x === i).length / N, pi, Math.sqrt(pi * (1 - pi)), N));
    const noRep = nums(random.choice(k, 10, { shape: [10], replace: false }));
    assert.deepEqual([...noRep].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const weightedNoRep = nums(random.choice(k, 5, { shape: [5], replace: false, p: [0.1, 0.1, 0.2, 0.3, 0.3] }));
    assert.deepEqual([...weightedNoRep].sort((a, b) => a - b), [0, 1, 2, 3, 4]);
    const rows = random.choice(k, Array.fromHost([1, 2, 3, 4, 5, 6], [3, 2], "float32"), { shape: [2] }) as Array;
    assert.deepEqual([...rows.shape], [2, 2]);
  });
  it("permutation: a permutation of arange(n) and of an array's rows; independent shuffles", () => {
    const p = nums(random.permutation(k, 1000));
    assert.deepEqual([...p].sort((a, b) => a - b), [...globalThis.Array(1000).keys()]);
    assert.notDeepEqual(p, [...globalThis.Array(1000).keys()]);
    const x = Array.fromHost([0, 1, 10, 11, 20, 21], [3, 2], "int32");
    const rows = random.permutation(k, x) as Array;
    const r = rows.toNumbers();
    for (let i = 0; i < 3; i++) assert.equal(r[2 * i + 1], r[2 * i] + 1, "rows stay whole");
    const ind = nums(random.permutation(k, x, { axis: 1, independent: true }));
    for (let i = 0; i < 3; i++) assert.deepEqual([ind[2 * i], ind[2 * i + 1]].sort((a, b) => a - b), [10 * i, 10 * i + 1]);
  });
  it("uniform bits have no bias in their high bit", () => {
    const b = nums(random.bits(k, { shape: [N] }));
    near(b.filter((v) => v >= 2 ** 31).length / N, 0.5, 0.5, N);
  });
});

// ---- transformations and errors --------------------------------------------------------------------------

describe("jax.random under transformations", () => {
  it("vmap over keys equals sampling with each key (the docs' 'vectorized' example)", () => {
    const keys = random.split(random.key(42), { num: 3 });
    const [v] = vmap((kk: Value) => [random.normal(kk)], { inAxes: [0] })(keys) as Value[];
    const each = [0, 1, 2].map((i) => nums(random.normal(Array.fromHost(nums(keys).slice(2 * i, 2 * i + 2), [2], "uint32")))[0]);
    assert.deepEqual(nums(v), each);
  });
  it("vmap of split and uniform with a batch of keys", () => {
    const keys = random.split(random.key(1), { num: 4 });
    const [sub] = vmap((kk: Value) => [random.split(kk)], { inAxes: [0] })(keys) as Value[];
    assert.deepEqual([...(sub as Array).shape], [4, 2, 2]);
    const each = [0, 1, 2, 3].flatMap((i) => nums(random.split(Array.fromHost(nums(keys).slice(2 * i, 2 * i + 2), [2], "uint32"))));
    assert.deepEqual(nums(sub), each);
  });
  it("jit gives the same samples as eager evaluation", () => {
    const k = random.key(3);
    const f = (kk: Value) => [random.normal(kk, { shape: [5] }), random.randint(kk, [4], -5, 50), random.uniform(kk, { shape: [2, 2], minval: -1, maxval: 1 })];
    const eager = f(k).map(nums);
    const jitted = (jit(f as (...a: never[]) => unknown) as unknown as (k: Value) => Value[])(k).map(nums);
    assert.deepEqual(jitted, eager);
  });
  it("jaxprs show JAX's primitives", () => {
    const text = printJaxpr(makeJaxpr((kk: Value) => random.bits(kk, { shape: [3] }))(new ShapedArray([2], "uint32")));
    assert.match(text, /iota_2x32_shape\[shape=\(3,\)\]/);
    assert.match(text, /threefry2x32/);
  });
});

describe("jax.random errors", () => {
  const k = random.key(0);
  const TABLE: [string, () => unknown, string, string | RegExp][] = [
    ["a batch of keys where one is expected", () => random.split(random.split(k, { num: 3 })), "ValueError", "split accepts a single key, but was given a key array of shape (3, 2) != (). Use jax.vmap for batching."],
    ["key data of the wrong dtype", () => random.uniform(Array.fromHost([0, 0], [2], "int32")), "TypeError", "JAX encountered invalid PRNG key data: expected key_data.dtype = uint32; got dtype=int32"],
    ["key data of the wrong shape", () => random.normal(Array.fromHost([0, 0, 0], [3], "uint32")), "TypeError", /expected key_data.shape to end with \(2,\); got shape=\(3,\)/],
    ["a non-scalar seed", () => random.key(Array.fromHost([1, 2], [2], "int32")), "TypeError", "key accepts a scalar seed, but was given an array of shape (2,) != (). Use jax.vmap for batching"],
    ["a float seed", () => random.PRNGKey(Array.fromHost([1.5], [], "float32")), "TypeError", /^PRNG key seed must be an integer/],
    ["an unknown implementation", () => random.key(0, { impl: "philox" }), "ValueError", 'unrecognized PRNG implementation "philox". Did you mean one of: "threefry2x32"?'],
    ["bits with a signed dtype", () => random.bits(k, { dtype: "int32" }), "ValueError", "dtype argument to `bits` must be an unsigned int dtype, got int32"],
    ["uniform with an int dtype", () => random.uniform(k, { dtype: "int32" }), "ValueError", "dtype argument to `uniform` must be a float dtype, got int32"],
    ["randint with a float dtype", () => random.randint(k, [2], 0, 3, { dtype: "float32" }), "TypeError", "randint only accepts integer dtypes, got float32"],
    ["randint bounds that do not fit the shape", () => random.randint(k, [2], Array.fromHost([0, 0, 0], [3], "int32"), 3), "ValueError", "Incompatible shapes for broadcasting: shapes=[(2,), (3,), ()]"],
    ["randint bounds that broadcast beyond the shape", () => random.randint(k, [3], Array.fromHost([0, 0, 0, 0, 0, 0], [2, 3], "int32"), 3), "ValueError", /^randint parameter shapes must be broadcast-compatible with shape argument, and the result of broadcasting the shapes must equal the shape argument, but got result \(2, 3\) for shape argument \(3,\)\.$/],
    ["categorical with integer logits", () => random.categorical(k, [0, 1]), "ValueError", "dtype argument to `gumbel` must be a float dtype, got int32"],
    ["bernoulli with integer p", () => random.bernoulli(k, { p: Array.fromHost([1], [1], "int32") }), "TypeError", "bernoulli probability `p` must have a floating dtype, got int32."],
    ["choice of more than the population without replacement", () => random.choice(k, 3, { shape: [4], replace: false }), "ValueError", "Cannot take a larger sample (size 4) than population (size 3) when 'replace=False'"],
    ["choice with p of the wrong size", () => random.choice(k, 3, { p: [0.5, 0.5] }), "ValueError", /^p must be None or a 1D vector with the same size as a.shape\[axis\]/],
    ["categorical without replacement beyond the categories", () => random.categorical(k, [0.5, 0.5], { shape: [3], replace: false }), "ValueError", "Number of samples without replacement (3) cannot exceed number of categories (2)."],
  ];
  for (const [name, f, kind, msg] of TABLE) {
    it(name, () => assert.throws(f, (e: Error) => {
      assert.equal(e.name, kind);
      if (typeof msg === "string") assert.equal(e.message, msg);
      else assert.match(e.message, msg);
      return true;
    }));
  }
});
