/**
 * @file Values of the elementwise primitives against NumPy/PyTorch references
 * (test/fixtures/gen_elementwise.py): every primitive over edge values (±0, ±inf, NaN, tiny,
 * huge, poles, domain ends) in float32, float16 and float64 (x64), integer wrapping in every
 * integer width, broadcasting of rank-0 and size-1 operands, empty arrays — on every device.
 */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, deviceSupports, fromFixture, loadFixture, testDevices } from "../util.js";
import { type Value, bind1 } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { Array } from "../../kernel/backend/array.js";
import type { Device } from "../../kernel/backend/device.js";
import * as lax from "../../kernel/lax/index.js";

interface Case {
  name: string;
  args: FixtureArray[];
  out: FixtureArray;
}
interface Fixture {
  unary: Case[];
  sweep: Case[];
  int_unary: Case[];
  binary_float: Case[];
  binary_int: Case[];
  integer_pow: (Case & { y: number })[];
  special_binary: Case[];
  select_clamp: Record<string, FixtureArray | FixtureArray[]>;
  bitcast: Record<string, [FixtureArray, FixtureArray]>;
  broadcasting: Record<string, FixtureArray>;
}

const fx = loadFixture<Fixture>("elementwise");
const is64 = (a: FixtureArray): boolean => a.dtype === "int64" || a.dtype === "uint64" || a.dtype === "float64";

/** Runs `f` with jax_enable_x64 on when the case involves 64-bit types. */
function withX64<T>(on: boolean, f: () => T): T {
  const prev = config.enableX64;
  config.enableX64 = on || prev;
  try {
    return f();
  } finally {
    config.enableX64 = prev;
  }
}

/** An array from a fixture; 64-bit integers (written as decimal strings) exactly, as BigInts. */
function input(a: FixtureArray, device: Device): Array {
  if (a.dtype === "int64" || a.dtype === "uint64") {
    const C = a.dtype === "int64" ? BigInt64Array : BigUint64Array;
    return Array.fromHost(C.from(a.data.map((v) => BigInt(v as string))), a.shape, a.dtype, { device });
  }
  return fromFixture(a, device);
}

/**
 * Where the float64 reference itself is less accurate than 1e-12: PyTorch's double erfinv
 * (~1e-11 relative near ±1) and polygamma (~5e-10; trigamma(1) is off from π²/6 by that much).
 */
const REFERENCE_RTOL: Record<string, number> = {
  "erf_inv:float64": 1e-9,
  "polygamma:float64": 1e-8,
  // float32 erf_inv is XLA's algorithm (Giles' polynomial in float32), so that jax.random.normal
  // gives JAX's samples; like JAX's, it is off by up to ~6e-6 relative where its branches meet (|x| ≈ 0.9998).
  "erf_inv:float32": 6e-6,
};

/** Compares with the reference; 64-bit integer results bit for bit. */
function check(got: Value, want: FixtureArray, msg: string, rtol?: number): void {
  if (want.dtype === "int64" || want.dtype === "uint64") {
    assert.ok(got instanceof Array);
    assert.equal(got.dtype, want.dtype, `${msg}: dtype`);
    assert.deepEqual([...got.data()].map(String), want.data.map(String), msg);
    return;
  }
  assertClose(got, want, { msg, rtol });
}

/** The primitive a fixture case names (round0/round1: the two rounding methods). */
function apply(name: string, xs: Value[]): Value {
  if (name === "round0" || name === "round1") return lax.round(xs[0], name === "round0" ? 0 : 1);
  return bind1(name, xs);
}

const caseName = (c: Case): string => `${c.name} ${c.args.map((a) => `${a.dtype}[${a.shape.join(",")}]`).join(" ")}`;

for (const device of testDevices()) {
  describe(`elementwise primitives on ${device.toString()}`, () => {
    for (const group of ["unary", "sweep", "int_unary", "binary_float", "binary_int", "special_binary"] as const) {
      describe(group, () => {
        // WebGPU has no 64-bit types (WGSL): those cases run on the CPU only.
        for (const c of fx[group].filter((k) => deviceSupports(device, k.out.dtype) && k.args.every((a) => deviceSupports(device, a.dtype)))) {
          it(caseName(c), () => {
            const rtol = REFERENCE_RTOL[`${c.name}:${c.out.dtype}`];
            withX64(c.args.some(is64), () => check(apply(c.name, c.args.map((a) => input(a, device))), c.out, caseName(c), rtol));
          });
        }
      });
    }

    it("integer_pow: repeated multiplication, x^0 = 1 (also for NaN), negative powers of floats", () => {
      for (const c of fx.integer_pow) check(lax.integerPow(input(c.args[0], device), c.y), c.out, `integer_pow y=${c.y} ${c.args[0].dtype}`);
    });

    it("polygamma at known values: ψ⁽¹⁾(1) = π²/6, ψ⁽¹⁾(1/2) = π²/2, ψ⁽²⁾(1) = -2ζ(3)", () => {
      const dtype = deviceSupports(device, "float64") ? "float64" : "float32";
      withX64(dtype === "float64", () => {
        const m = Array.fromHost([1, 1, 2], [3], dtype, { device });
        const x = Array.fromHost([1, 0.5, 1], [3], dtype, { device });
        check(lax.polygamma(m, x), { shape: [3], dtype, data: [Math.PI ** 2 / 6, Math.PI ** 2 / 2, -2 * 1.2020569031595942] }, "polygamma");
      });
    });

    it("float32 erf_inv is XLA's: Giles' polynomial evaluated in float32, ±1 giving ±inf", () => {
      const fr = Math.fround;
      const lt5 = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941];
      const ge5 = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682];
      const xla = (x: number): number => {
        let w = -fr(Math.log1p(fr(x * -x)));
        const c = (w < 5 ? lt5 : ge5).map(fr);
        w = w < 5 ? fr(w - 2.5) : fr(fr(Math.sqrt(w)) - 3);
        let p = c[0];
        for (let i = 1; i < 9; i++) p = fr(c[i] + fr(p * w));
        return fr(p * x);
      };
      const xs = [0.5, -0.25, 0.9, 0.9998, -0.99999994, 1e-20, 0.7071];
      const got = (lax.erfInv(Array.fromHost(xs, [xs.length], "float32", { device })) as Array).toNumbers();
      assert.deepEqual(got, xs.map((x) => xla(fr(x))));
      assert.deepEqual((lax.erfInv(Array.fromHost([1, -1], [2], "float32", { device })) as Array).toNumbers(), [Infinity, -Infinity]);
    });

    it("square and reciprocal", () => {
      const x = Array.fromHost([3, -0.5, 0, Infinity], [4], "float32", { device });
      check(lax.square(x), { shape: [4], dtype: "float32", data: [9, 0.25, 0, Infinity] }, "square");
      check(lax.reciprocal(x), { shape: [4], dtype: "float32", data: [1 / 3, -2, Infinity, 0] }, "reciprocal");
    });

    describe("select_n and clamp", () => {
      const sc = fx.select_clamp;
      const A = (k: string) => input(sc[k] as FixtureArray, device);
      it("select_n with an int32 `which` over three cases", () => {
        const cases = (sc.cases as FixtureArray[]).map((a) => input(a, device));
        check(lax.selectN(A("which"), ...cases), sc.select3 as FixtureArray, "select_n");
      });
      it("select with a boolean predicate (select_n with the cases swapped)", () => {
        const cases = (sc.cases as FixtureArray[]).map((a) => input(a, device));
        check(lax.selectN(A("pred"), cases[0], cases[1]), sc.select2 as FixtureArray, "select_n bool");
        check(lax.select(A("pred"), cases[1], cases[0]), sc.select2 as FixtureArray, "select");
      });
      it("select_n with a scalar `which` picks whole cases", () => {
        const cases = (sc.cases as FixtureArray[]).map((a) => input(a, device));
        const want = sc.cases as FixtureArray[];
        check(lax.selectN(2, ...cases), want[2], "scalar which");
        check(lax.selectN(true, cases[0], cases[1]), want[1], "scalar bool which");
      });
      it("clamp with array bounds propagates NaN", () => check(lax.clamp(A("clamp_lo"), A("clamp_x"), A("clamp_hi")), sc.clamp as FixtureArray, "clamp"));
      it("clamp with scalar bounds", () => check(lax.clamp(-1, A("clamp_x"), 1), sc.clamp_scalar as FixtureArray, "clamp scalar"));
      it("clamp on integers", () => check(lax.clamp(-2, A("clamp_int_x"), 4), sc.clamp_int as FixtureArray, "clamp int"));
    });

    describe("bitcast_convert_type", () => {
      for (const [name, [from, to]] of Object.entries(fx.bitcast).filter(([, [f, t]]) => deviceSupports(device, f.dtype) && deviceSupports(device, t.dtype))) {
        it(name, () => withX64(is64(from) || is64(to), () => check(lax.bitcastConvertType(input(from, device), to.dtype), to, name)));
      }
    });

    describe("broadcasting", () => {
      const b = fx.broadcasting;
      const A = (k: string) => input(b[k], device);
      it("size-1 dimensions broadcast against each other", () => check(lax.add(A("a"), A("b")), b.a_plus_b, "add"));
      it("rank-0 operands broadcast", () => {
        check(lax.mul(A("a"), A("s")), b.a_times_s, "mul");
        check(lax.sub(A("s"), A("b")), b.s_minus_b, "sub");
      });
      it("a Python-like scalar takes the array's dtype", () => {
        const r = lax.mul(A("a"), 1.5);
        assert.ok(r instanceof Array);
        assert.equal(r.dtype, "float32");
        assert.equal(r.weakType, false);
        check(r, b.a_times_s, "mul by scalar");
      });
      it("atan2 broadcasts like the arithmetic ops", () => check(lax.atan2(A("a"), A("b")), b.a_atan2_b, "atan2"));
      it("empty arrays", () => {
        const e = A("empty");
        for (const r of [lax.exp(e), lax.add(e, e), lax.mul(e, 2), lax.lt(e, e), lax.selectN(lax.lt(e, e), e, e)]) {
          assert.ok(r instanceof Array);
          assert.deepEqual([...r.shape], [0, 3]);
          assert.equal(r.toNumbers().length, 0);
        }
      });
    });
  });
}
