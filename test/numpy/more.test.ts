/**
 * @file The newer jnp functions beyond the fixture table in funcs.test.ts: the ones taking
 * functions (apply_along_axis, apply_over_axes, piecewise) against NumPy, compiled with jit
 * (size= set functions, gcd's while_loop, insert/delete), and the errors bad inputs raise, with
 * JAX's kinds and messages.
 */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture, decode, testDevices } from "../util.js";
import { setDefaultDevice } from "../../kernel/backend/device.js";
import { jnp } from "../../kernel/numpy/api.js";
import { jit } from "../../kernel/jit/index.js";
import { JaxValue, TypedScalar } from "../../kernel/ir/core.js";
import { ConcretizationTypeError } from "../../kernel/ir/errors.js";
import { NotImplementedError, ValueError } from "../../kernel/lax/errors.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { Array as JaxArray } from "../../kernel/backend/array.js";

const nums = (v: unknown): number[] => (v as JaxArray).toNumbers();

type Arg = number | string | boolean | null | { array: FixtureArray } | { float: number | string } | { list: Arg[] } | Arg[];
interface FunctionalCase {
  name: string;
  fn: "apply_along_axis" | "apply_over_axes" | "piecewise" | "fromfunction" | "mask_indices";
  args: Arg[];
  out: FixtureArray;
}

type F = (...a: never[]) => unknown;
/** The NumPy functions the generator named, in jnp. */
const FUNCS: Record<string, F> = {
  sumsq: (r: JaxValue) => jnp.sum(jnp.multiply(r, r)),
  cumsum: (r: JaxValue) => jnp.cumsum(r),
  outer: (r: JaxValue) => jnp.outer(r, r),
  sum: (a: JaxValue, axis: number) => jnp.sum(a, { axis }),
  max_keep: (a: JaxValue, axis: number) => jnp.max(a, { axis, keepdims: true }),
  neg: (x: JaxValue) => jnp.negative(x),
  double: (x: JaxValue) => jnp.multiply(x, 2),
  square: (x: JaxValue) => jnp.multiply(x, x),
  dist: (i: JaxValue, j: JaxValue) => jnp.hypot(jnp.subtract(i, 1), jnp.subtract(j, 2)),
  triu: (a: JaxValue, k: number) => jnp.triu(a, { k }),
};

function decodeArg(a: Arg): unknown {
  if (typeof a === "string" && a in FUNCS) return FUNCS[a];
  if (a === null || typeof a !== "object") return a;
  if (Array.isArray(a)) return a.map(decodeArg);
  if ("array" in a) return fromFixture(a.array);
  if ("float" in a) return new TypedScalar(decode(a.float), "float32", true);
  return a.list.map(decodeArg);
}

/** The case's call with its arguments decoded (functions by name, arrays, numbers). */
function callFunctional(fn: FunctionalCase["fn"], args: never[], size: number | null = null): unknown {
  if (fn === "apply_along_axis") return jnp.applyAlongAxis(args[0], args[1], args[2], []);
  if (fn === "apply_over_axes") return jnp.applyOverAxes(args[0], args[1], args[2]);
  if (fn === "fromfunction") return jnp.fromfunction(args[0], args[1]);
  // NumPy's tuple of index arrays, compared stacked (under jit with JAX's static size=).
  if (fn === "mask_indices") return jnp.stack(jnp.maskIndices(args[0], args[1], { k: args[2], size }));
  return jnp.piecewise(args[0], args[1], args[2], []);
}

for (const device of testDevices()) {
  describe(`jnp functions of functions vs NumPy on ${device.toString()}`, () => {
    const { functional } = loadFixture<{ functional: FunctionalCase[] }>("numpy_more");
    before(() => setDefaultDevice(device));
    after(() => setDefaultDevice(null));
    for (const c of functional) {
      it(c.name, () => assertClose(callFunctional(c.fn, c.args.map(decodeArg) as never[]) as JaxValue, c.out, { rtol: 1e-5, atol: 1e-6 }));
      it(`${c.name} (jit)`, () => {
        // The top-level array arguments become the jitted function's inputs.
        const args = c.args.map(decodeArg);
        const at = args.flatMap((a, i) => (a instanceof JaxValue ? [i] : []));
        const size = c.out.shape[c.out.shape.length - 1];
        const f = jit((...xs: JaxValue[]) => callFunctional(c.fn, args.map((a, i) => (at.includes(i) ? xs[at.indexOf(i)] : a)) as never[], size));
        assertClose(f(...at.map((i) => args[i] as JaxValue)) as JaxValue, c.out, { rtol: 1e-5, atol: 1e-6 });
      });
    }
  });
}

describe("new jnp functions under jit", () => {
  const i32 = (xs: number[]): JaxValue => jnp.array(xs, { dtype: "int32" });
  it("set operations with size= compile and pad as JAX does", () => {
    const a = i32([3, 1, 2, 3, 5, 1, 9]), b = i32([5, 7, 1, 1, 8]);
    const f = jit((x: JaxValue, y: JaxValue) => [
      jnp.union1d(x, y, { size: 9, fill_value: -1 }),
      jnp.intersect1d(x, y, { size: 3 }),
      jnp.setdiff1d(x, y, { size: 5 }),
      jnp.setxor1d(x, y, { size: 7 }),
      jnp.uniqueValues(x, { size: 6, fill_value: 0 }),
    ]);
    const [u, i, d, s, v] = f(a, b) as JaxValue[];
    assert.deepEqual(nums(u), [1, 2, 3, 5, 7, 8, 9, -1, -1]);
    // JAX's default padding: the smallest value of the result (setdiff1d: 0).
    assert.deepEqual(nums(i), [1, 5, 1]);
    assert.deepEqual(nums(d), [2, 3, 9, 0, 0]);
    assert.deepEqual(nums(s), [2, 3, 7, 8, 9, 2, 2]);
    assert.deepEqual(nums(v), [1, 2, 3, 5, 9, 0]);
  });
  it("gcd and lcm (a while_loop) compile", () => {
    const f = jit((x: JaxValue, y: JaxValue) => [jnp.gcd(x, y), jnp.lcm(x, y)]);
    const [g, l] = f(i32([12, -18, 0, 17]), i32([8, 12, 5, 51])) as JaxValue[];
    assert.deepEqual(nums(g), [4, 6, 5, 17]);
    assert.deepEqual(nums(l), [24, 36, 0, 51]);
  });
  it("delete with assume_unique_indices traces with traced indices", () => {
    const f = jit((x: JaxValue, o: JaxValue) => jnp.delete(x, o, { assume_unique_indices: true }));
    assert.deepEqual(nums(f(jnp.arange(6), i32([4, 1]))), [0, 2, 3, 5]);
  });
  it("insert traces with traced positions", () => {
    const f = jit((x: JaxValue, o: JaxValue) => jnp.insert(x, o, i32([-1, -2])));
    assert.deepEqual(nums(f(jnp.arange(4), i32([3, 0]))), [-2, 0, 1, 2, -1, 3]);
  });
});

describe("new jnp functions: errors on bad input", () => {
  const x = (): JaxValue => jnp.arange(6);
  const f32 = (xs: number[]): JaxValue => jnp.array(xs, { dtype: "float32" });
  const abstract = new ShapedArray([4], "int32", false);
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    ["gcd of floats", () => jnp.gcd(f32([1.5]), 2), ValueError, /Arguments to jax\.numpy\.gcd must be integers\./],
    ["lcm of floats", () => jnp.lcm(2, f32([1])), ValueError, /jax\.numpy\.lcm must be integers/],
    ["ldexp with a float exponent", () => jnp.ldexp(f32([1]), f32([2])), ValueError, /ldexp not supported for input types \(dtype\('float32'\), dtype\('float32'\)\)/],
    ["bitwise_count of floats", () => jnp.bitwiseCount(f32([1])), TypeError, /bitwise_count does not accept dtype float32/],
    ["fill_diagonal in place", () => jnp.fillDiagonal(jnp.zeros([2, 2]), 1), NotImplementedError, /JAX arrays are immutable, must use inplace=False/],
    ["fill_diagonal wrap", () => jnp.fillDiagonal(jnp.zeros([2, 2]), 1, { inplace: false, wrap: true }), NotImplementedError, /wrap=True is not implemented/],
    ["fill_diagonal of a vector", () => jnp.fillDiagonal(jnp.zeros([2]), 1, { inplace: false }), ValueError, /array must be at least 2-d/],
    ["fill_diagonal of unequal 3-D", () => jnp.fillDiagonal(jnp.zeros([2, 2, 3]), 1, { inplace: false }), ValueError, /All dimensions of input must be of equal length/],
    ["place in place", () => jnp.place(x(), [true], [1]), ValueError, /jax\.numpy\.place cannot modify arrays in-place.*Pass inplace=False/],
    ["put in place", () => jnp.put(x(), [0], [1]), ValueError, /jax\.numpy\.put cannot modify arrays in-place/],
    ["put mode='raise'", () => jnp.put(x(), [0], [1], { inplace: false, mode: "raise" }), NotImplementedError, /The 'raise' mode to jnp\.put is not supported\./],
    ["put unknown mode", () => jnp.put(x(), [0], [1], { inplace: false, mode: "nope" }), ValueError, /mode should be one of 'wrap' or 'clip'; got mode='nope'/],
    ["delete out of bounds", () => jnp.delete(x(), [1, 9]), Error, /index 9 is out of bounds for axis 0 with size 6/],
    ["delete with a short mask", () => jnp.delete(x(), [true, false]), ValueError, /for boolean indices, obj must be one-dimensional with length matching specified axis/],
    ["delete with float indices", () => jnp.delete(x(), f32([1])), ValueError, /got obj\.dtype=float32; must be integer or bool/],
    ["insert with 2-D positions", () => jnp.insert(x(), [[1, 2]], 0), ValueError, /jnp\.insert\(\): obj must be a slice, a one-dimensional array, or a scalar/],
    ["insert with float positions", () => jnp.insert(x(), f32([1]), 0), ValueError, /jnp\.insert\(\): index array must be integer typed/],
    ["block with mismatched depths", () => jnp.block([jnp.ones([2]), [jnp.ones([2])]] as never), ValueError, /List depths are mismatched/],
    ["block with an empty list", () => jnp.block([[]] as never), ValueError, /cannot be empty/],
    ["resize to a negative shape", () => jnp.resize(x(), [-1]), ValueError, /All elements of `new_shape` must be non-negative/],
    ["polyder of negative order", () => jnp.polyder(f32([1, 2]), { m: -1 }), ValueError, /Order of derivative must be positive/],
    ["polyint with the wrong number of constants", () => jnp.polyint(f32([1, 2]), { m: 2, k: [1, 2, 3] }), ValueError, /k must be a scalar or a rank-1 array of length 1 or m\./],
    ["polyadd of matrices", () => jnp.polyadd(jnp.ones([2, 2]), f32([1])), ValueError, /must be a 1-D array/],
    ["gradient edge_order", () => jnp.gradient(f32([1, 2, 3]), [], { edge_order: 2 }), NotImplementedError, /The 'edge_order' argument to jnp\.gradient is not supported\./],
    ["gradient of one point", () => jnp.gradient(f32([1]), []), ValueError, /Shape of array too small to calculate a numerical gradient/],
    ["gradient with too many spacings", () => jnp.gradient(f32([1, 2, 3]), [1, 2]), TypeError, /Invalid number of spacing arguments 2/],
    ["gradient with mismatched coordinates", () => jnp.gradient(f32([1, 2, 3]), [f32([0, 1])]), ValueError, /Spacing arrays must have the same length/],
    ["nanquantile with an unknown method", () => jnp.nanquantile(f32([1, 2]), 0.5, { method: "cubic" as never }), ValueError, /method can only be 'linear', 'lower', 'higher', 'midpoint', or 'nearest'; got cubic/],
    ["nanquantile with 2-D q", () => jnp.nanquantile(f32([1, 2]), [[0.5]]), ValueError, /q must be zero- or one-dimensional/],
    ["packbits of floats", () => jnp.packbits(f32([1])), TypeError, /Expected an input array of integer or boolean data type/],
    ["unpackbits of int32", () => jnp.unpackbits(x()), TypeError, /Expected an input array of unsigned byte data type/],
    ["packbits with a bad bitorder", () => jnp.packbits(x(), { bitorder: "middle" as never }), ValueError, /'order' must be either 'little' or 'big'/],
    ["piecewise with too many functions", () => jnp.piecewise(f32([1]), [[true]], [1, 2, 3], []), ValueError, /with 1 condition\(s\), either 1 or 2 functions are expected; got 3/],
    ["apply_over_axes with a bad shape", () => jnp.applyOverAxes(() => jnp.zeros([]), jnp.ones([2, 3, 4]), [0]), ValueError, /function is not returning an array of the correct shape/],
    ["diag_indices_from of a non-square", () => jnp.diagIndicesFrom(jnp.zeros([2, 3])), ValueError, /All dimensions of input must be of equal length/],
    ["tril_indices_from of a vector", () => jnp.trilIndicesFrom(jnp.zeros([3])), ValueError, /input array must be 2-d/],
    ["ravel_multi_index out of bounds", () => jnp.ravelMultiIndex([[0, 3], [1, 1]], [3, 4]), ValueError, /invalid entry in coordinates array/],
    ["ravel_multi_index with a wrong count", () => jnp.ravelMultiIndex([[0]], [3, 4]), ValueError, /parameter multi_index must be a sequence of length 2/],
    ["setdiff1d with a negative size", () => jnp.setdiff1d(x(), x(), { size: -1 }), TypeError, /size must be a non-negative integer/],
    ["union1d traced without size", () => makeJaxpr((a: JaxValue) => jnp.union1d(a, a))(abstract), ConcretizationTypeError, /The error arose in union1d\(\)/],
    ["unique_counts traced without size", () => makeJaxpr((a: JaxValue) => jnp.uniqueCounts(a))(abstract), ConcretizationTypeError, /Abstract tracer value encountered/],
    ["trim_zeros traced", () => makeJaxpr((a: JaxValue) => jnp.trimZeros(a))(abstract), ConcretizationTypeError, /Error arose in the `filt` argument of trim_zeros\(\)/],
    ["delete traced indices", () => makeJaxpr((a: JaxValue) => jnp.delete(jnp.arange(6), a))(abstract), ConcretizationTypeError, /'obj' array argument of jnp\.delete\(\)/],
    ["ravel_multi_index traced with mode='raise'", () => makeJaxpr((a: JaxValue) => jnp.ravelMultiIndex([a, a], [3, 4]))(abstract), ConcretizationTypeError, /Use mode='wrap' or mode='clip' instead/],
  ];
  for (const [name, fn, kind, msg] of cases) {
    it(name, () => assert.throws(fn, (e: Error) => e instanceof kind && msg.test(e.message)));
  }
});
