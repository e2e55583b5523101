/**
 * @file checkGrads (order 2, forward and reverse, float64) over the jax.numpy functions, keyed by
 * their Python names. Run over kernel/numpy's SIGNATURES: every function is either a case here or
 * listed as having no derivative to check (integer/boolean results, piecewise constant, creation
 * from Python numbers, shape queries), so a new jnp function fails the suite until it is sorted.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { Array } from "../../kernel/backend/array.js";
import * as jnp from "../../kernel/numpy/index.js";
import { SIGNATURES } from "../../kernel/numpy/index.js";
import { type CheckGradsOptions, checkGrads } from "../../kernel/ad/index.js";

const f64 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float64");
const i32 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "int32");
const V = [0.3, -0.7, 1.1, 0.45, -1.6, 0.85];
const POS = [0.35, 0.7, 1.15, 2.45, 0.55, 1.8];
const UNIT = [0.1, -0.35, 0.6, 0.25, -0.55, 0.05];
const vec = (d = V): Array => f64(d);
const m23 = (d = V): Array => f64(d, [2, 3]);
const sq = (): Array => f64([4.0, 0.5, -0.3, 0.9, 3.0, 0.4, 0.2, -0.6, 1.5], [3, 3]);
const sqr = (x: Value): Value => jnp.multiply(x, x);

type J = Record<string, (...a: never[]) => unknown>;
const np = jnp as unknown as J & { linalg: J };
const fn = (name: string): ((...a: unknown[]) => unknown) => {
  const ts = SIGNATURES[name].ts;
  const f = ts.startsWith("linalg.") ? np.linalg[ts.slice(7)] : np[ts];
  assert.ok(f, `kernel/numpy has no ${ts} for jnp.${name}`);
  return f as (...a: unknown[]) => unknown;
};

interface Case {
  args: () => Value[];
  call: (f: (...a: unknown[]) => unknown, ...xs: Value[]) => unknown;
  opts?: CheckGradsOptions;
}
const un = (d = V): Case => ({ args: () => [vec(d)], call: (f, x) => f(x) });
const bin = (a = V, b = POS): Case => ({ args: () => [vec(a), vec(b)], call: (f, x, y) => f(x, y) });
const red = (opts: object = { axis: 1 }): Case => ({ args: () => [m23()], call: (f, x) => f(x, opts) });
const with_ = (args: () => Value[], call: Case["call"], opts?: CheckGradsOptions): Case => ({ args, call, opts });

const UNARY = ["exp", "exp2", "expm1", "sin", "cos", "tan", "arctan", "atan", "sinh", "cosh", "tanh", "arcsinh", "asinh", "cbrt",
  "deg2rad", "rad2deg", "radians", "degrees", "fabs", "sinc", "negative", "positive", "absolute", "abs", "square", "real", "conj",
  "conjugate", "copy", "asarray", "array", "nan_to_num", "ravel", "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud",
  "sort", "ediff1d", "diff", "cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "zeros_like", "ones_like", "matrix_transpose",
  "transpose", "permute_dims", "rot90", "diag", "tril", "triu", "diagonal"];
const POSITIVE = ["log", "log1p", "log2", "log10", "sqrt", "reciprocal"];
const BINARY = ["arctan2", "atan2", "true_divide", "divide", "hypot", "logaddexp", "logaddexp2", "add", "multiply", "subtract", "maximum",
  "minimum", "fmax", "fmin", "copysign", "remainder", "mod", "fmod", "dot", "vdot", "inner", "outer", "kron", "convolve", "correlate", "polyval"];
const REDUCTIONS = ["sum", "prod", "max", "min", "amax", "amin", "mean", "var", "std", "nansum", "nanprod", "nanmax", "nanmin", "nanmean",
  "ptp", "average", "median"];
const MATRIX_SHAPES: Record<string, boolean> = { fliplr: true, flipud: true, rot90: true, transpose: true, permute_dims: true, matrix_transpose: true, tril: true, triu: true, diagonal: true };

const CASES: Record<string, Case> = {
  ...Object.fromEntries(UNARY.map((n) => [n, MATRIX_SHAPES[n] ? with_(() => [m23()], (f, x) => f(x)) : un()])),
  ...Object.fromEntries(POSITIVE.map((n) => [n, un(POS)])),
  ...Object.fromEntries(["arcsin", "arccos", "arctanh", "asin", "acos", "atanh"].map((n) => [n, un(UNIT)])),
  ...Object.fromEntries(["arccosh", "acosh"].map((n) => [n, un(POS.map((x) => x + 1))])),
  ...Object.fromEntries(BINARY.map((n) => [n, bin()])),
  ...Object.fromEntries(REDUCTIONS.map((n) => [n, red()])),
  squeeze: with_(() => [f64(V, [1, 6])], (f, x) => f(x)),
  // Away from tan's poles (±π/2) and from |x| = |y| (hypot orders its arguments by magnitude).
  tan: un(UNIT),
  hypot: bin(V, [0.35, 0.95, 1.15, 2.45, 0.55, 1.8]),
  power: bin(POS, V),
  pow: bin(POS, V),
  float_power: bin(POS, V),
  remainder: bin([2.3, -0.7, 5.1, 0.45, 3.3, -2.2], [0.9, 0.5, 1.6, 1.1, 1.4, 0.7]),
  mod: bin([2.3, -0.7, 5.1, 0.45, 3.3, -2.2], [0.9, 0.5, 1.6, 1.1, 1.4, 0.7]),
  fmod: bin([2.3, -0.7, 5.1, 0.45, 3.3, -2.2], [0.9, 0.5, 1.6, 1.1, 1.4, 0.7]),
  polyval: bin([0.5, -1.2, 0.3], V),
  where: with_(() => [vec(), vec(POS)], (f, x, y) => f(jnp.greater(x, 0), x, y)),
  clip: with_(() => [vec()], (f, x) => f(x, { min: -0.5, max: 1.0 })),
  quantile: with_(() => [m23()], (f, x) => f(x, 0.3, { axis: 1 })),
  percentile: with_(() => [m23()], (f, x) => f(x, 30, { axis: 1 })),
  full_like: with_(() => [vec()], (f, x) => f(x, 2.5)),
  meshgrid: with_(() => [vec(V.slice(0, 3)), vec(POS.slice(0, 2))], (f, x, y) => f([x, y])),
  reshape: with_(() => [vec()], (f, x) => f(x, [3, 2])),
  swapaxes: with_(() => [m23()], (f, x) => f(x, 0, 1)),
  moveaxis: with_(() => [m23()], (f, x) => f(x, 0, 1)),
  expand_dims: with_(() => [vec()], (f, x) => f(x, 0)),
  broadcast_to: with_(() => [vec()], (f, x) => f(x, [2, 6])),
  broadcast_arrays: with_(() => [vec(), f64([0.5], [1])], (f, x, y) => f([x, y])),
  ...Object.fromEntries(["concatenate", "concat", "stack", "vstack", "row_stack", "hstack", "dstack", "column_stack"].map((n) =>
    [n, with_(() => [vec(), vec(POS)], (f, x, y) => f([x, y]))])),
  append: bin(),
  ...Object.fromEntries(["split", "array_split"].map((n) => [n, with_(() => [vec()], (f, x) => f(x, 3))])),
  hsplit: with_(() => [m23()], (f, x) => f(x, 3)),
  vsplit: with_(() => [m23()], (f, x) => f(x, 2)),
  dsplit: with_(() => [f64(V, [1, 2, 3])], (f, x) => f(x, 3)),
  tile: with_(() => [vec()], (f, x) => f(x, [2])),
  repeat: with_(() => [vec()], (f, x) => f(x, 2)),
  roll: with_(() => [vec()], (f, x) => f(x, 2)),
  pad: with_(() => [vec()], (f, x) => f(x, [[1, 2]])),
  matmul: with_(() => [m23(), f64(POS, [3, 2])], (f, a, b) => f(a, b)),
  tensordot: with_(() => [m23(), f64(POS, [3, 2])], (f, a, b) => f(a, b, { axes: 1 })),
  einsum: with_(() => [m23(), f64(POS, [3, 2])], (f, a, b) => f("ij,jk->ik", [a, b])),
  cross: with_(() => [vec(V.slice(0, 3)), vec(POS.slice(0, 3))], (f, a, b) => f(a, b)),
  trace: with_(() => [sq()], (f, x) => f(x)),
  take: with_(() => [vec()], (f, x) => f(x, i32([4, 0, 2]))),
  take_along_axis: with_(() => [m23()], (f, x) => f(x, i32([2, 0, 1, 1], [2, 2]), 1)),
  interp: with_(() => [vec([0.5, 1.7, 2.2]), vec([0.3, 0.9, 1.4])], (f, x, fp) => f(x, f64([0, 1, 2]), fp)),
  polyfit: with_(() => [vec([0.3, -0.2, 1.1, 0.8, -0.5])], (f, y) => f(f64([-1, -0.5, 0, 0.5, 1]), y, 2)),
  "linalg.norm": un(),
  "linalg.vector_norm": un(),
  "linalg.matrix_norm": with_(() => [m23()], (f, x) => f(x)),
  "linalg.det": with_(() => [sq()], (f, x) => f(x)),
  "linalg.slogdet": with_(() => [sq()], (f, x) => (f(x) as Value[])[1]),
  "linalg.inv": with_(() => [sq()], (f, x) => f(x)),
  "linalg.solve": with_(() => [sq(), f64(V.slice(0, 3))], (f, a, b) => f(a, b)),
  "linalg.cholesky": with_(() => [sq()], (f, x) => f(jnp.matmul(x, jnp.transpose(x)))),
  "linalg.qr": with_(() => [sq()], (f, x) => f(x)),
  "linalg.eigh": with_(() => [sq()], (f, x) => {
    const [w, v] = f(x) as Value[];
    return [w, sqr(v)];
  }),
  "linalg.eigvalsh": with_(() => [sq()], (f, x) => f(x)),
  "linalg.svd": with_(() => [sq()], (f, x) => (f(x) as Value[]).map((o, i) => (i === 1 ? o : sqr(o)))),
  "linalg.pinv": with_(() => [sq()], (f, x) => f(x)),
  "linalg.lstsq": with_(() => [f64([1, 2, 0.5, -1, 3, 0.2, 1.5, 0.4, -0.7, 2.2, 0.1, 1.0], [4, 3]), vec(V.slice(0, 4))], (f, a, b) => (f(a, b) as Value[])[0]),
  "linalg.matrix_power": with_(() => [sq()], (f, x) => f(x, 3)),
  nanvar: red(),
  nanstd: red(),
  cov: with_(() => [m23()], (f, x) => f(x)),
  corrcoef: with_(() => [m23()], (f, x) => f(x)),
  trapezoid: un(),
  vander: with_(() => [vec(V.slice(0, 4))], (f, x) => f(x, { N: 3 })),
  // The derivative of counts with respect to the weights.
  bincount: with_(() => [vec(POS.slice(0, 5))], (f, w) => f(i32([0, 2, 2, 1, 4]), { weights: w, length: 5 })),
  // selection.ts: gradients flow to the selected elements.
  partition: with_(() => [m23()], (f, x) => f(x, 1)),
  choose: with_(() => [vec(V.slice(0, 3)), vec(POS.slice(0, 3))], (f, a, b) => f(i32([1, 0, 1]), [a, b], { mode: "clip" })),
  compress: with_(() => [m23()], (f, x) => f([true, false, true], x, { axis: 1, size: 2 })),
  extract: with_(() => [m23()], (f, x) => f([[1, 0, 1], [0, 1, 0]], x, { size: 3 })),
  select: with_(() => [vec(), vec(POS)], (f, a, b) => f([[true, false, true, false, true, false]], [a], { default: b })),
  diagflat: un(V.slice(0, 3)),
  rollaxis: with_(() => [m23()], (f, x) => f(x, 1)),
  vecdot: with_(() => [m23(), vec(POS.slice(0, 3))], (f, a, b) => f(a, b)),
  matvec: with_(() => [m23(), vec(POS.slice(0, 3))], (f, a, b) => f(a, b)),
  vecmat: with_(() => [vec(POS.slice(0, 2)), m23()], (f, a, b) => f(a, b)),
  nancumsum: red({ axis: 1 }),
  nancumprod: red({ axis: 1 }),
  // poly.ts, ufuncs.ts, layout.ts, numeric.ts, functional.ts
  polyadd: bin(V.slice(0, 4), POS.slice(0, 2)),
  polysub: bin(V.slice(0, 2), POS.slice(0, 4)),
  polymul: bin(V.slice(0, 3), POS.slice(0, 2)),
  polyder: with_(() => [vec()], (f, p) => f(p, { m: 2 })),
  polyint: with_(() => [vec(V.slice(0, 4)), f64([0.7], [])], (f, p, k) => f(p, { m: 2, k })),
  modf: with_(() => [vec()], (f, x) => (f(x) as Value[])[0]),
  i0: un([0.3, -0.7, 1.1, 4.5, -16.2, 31.5]),
  delete: with_(() => [vec()], (f, x) => f(x, [1, 4])),
  insert: with_(() => [vec(), vec(POS.slice(0, 2))], (f, x, v) => f(x, [1, 3], v)),
  block: with_(() => [m23(), vec(POS.slice(0, 3))], (f, a, b) => f([[a], [jnp.reshape(b, [1, 3])]])),
  resize: with_(() => [vec(V.slice(0, 4))], (f, x) => f(x, [2, 3])),
  trim_zeros: un(),
  fill_diagonal: with_(() => [sq(), vec(POS.slice(0, 3))], (f, x, v) => f(x, v, { inplace: false })),
  place: with_(() => [vec(), vec(POS.slice(0, 2))], (f, x, v) => f(x, [true, false, true, true, false, false], v, { inplace: false })),
  put: with_(() => [vec(), vec(POS.slice(0, 2))], (f, x, v) => f(x, i32([0, 4]), v, { inplace: false })),
  gradient: with_(() => [m23(), vec([0.1, 0.4, 1.2])], (f, y, xs) => f(y, [1.5, xs])),
  geomspace: with_(() => [f64([0.7], []), f64([2.3], [])], (f, a, b) => f(a, b, { num: 4 })),
  unwrap: un([0.3, 3.9, 7.2, 1.1, -2.5, 4.0]),
  histogram_bin_edges: with_(() => [vec()], (f, x) => f(x, { bins: 3 })),
  nanquantile: with_(() => [m23()], (f, x) => f(x, 0.3, { axis: 1 })),
  nanpercentile: with_(() => [m23()], (f, x) => f(x, 30, { axis: 1 })),
  nanmedian: red(),
  apply_along_axis: with_(() => [m23()], (f, x) => f((r: Value) => jnp.sum(sqr(r)), 1, x, [])),
  apply_over_axes: with_(() => [m23()], (f, x) => f((a: Value, ax: number) => jnp.prod(a, { axis: ax }), x, [0, 1])),
  put_along_axis: with_(() => [m23(), vec(POS.slice(0, 2))], (f, x, v) => f(x, i32([2, 0], [2, 1]), jnp.reshape(v, [2, 1]), 1, { inplace: false })),
  unstack: with_(() => [m23()], (f, x) => f(x, { axis: 1 })),
  poly: un(V.slice(0, 4)),
  polydiv: with_(() => [vec(V.slice(0, 5)), vec([1.5, 0.4, -0.3])], (f, u, v) => f(u, v)),
  piecewise: with_(() => [vec()], (f, x) => f(x, [jnp.greater(x, 0.5), jnp.less(x, -0.5)], [sqr, jnp.sin, (v: Value) => jnp.multiply(v, 3)], [])),
};

/** Functions without a derivative to check, by reason. */
const NOT_CHECKED: Record<string, readonly string[]> = {
  "creation from Python numbers or shapes": ["zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "identity", "tri", "empty_like"],
  "piecewise constant (zero derivative almost everywhere)": ["floor", "ceil", "trunc", "fix", "rint", "round", "around", "sign", "heaviside", "floor_divide", "divmod"],
  "boolean or integer results": ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "logical_xor",
    "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "invert", "left_shift", "right_shift", "isnan", "isinf", "isposinf",
    "isneginf", "isfinite", "signbit", "all", "any", "argmax", "argmin", "count_nonzero", "argsort", "searchsorted", "unique", "nonzero",
    "flatnonzero", "argwhere", "isclose", "allclose", "array_equal", "nanargmax", "nanargmin", "isin", "argpartition", "digitize",
    "tril_indices", "triu_indices"],
  "counts per bin (piecewise constant in the data)": ["histogram"],
  "shape queries": ["ndim", "shape", "size", "broadcast_shapes"],
  "no derivative in JAX": ["nextafter", "spacing", "frexp", "ldexp"],
  "window functions of the length (kaiser: creation, as the others)": ["hanning", "hamming", "blackman", "bartlett", "kaiser", "fromfunction"],
  "constant for real inputs, or boolean": ["angle", "iscomplex", "isreal", "iscomplexobj", "isrealobj", "array_equiv"],
  "orderings, shifts, counts": ["lexsort", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift", "mask_indices", "histogramdd", "histogram2d"],
  "integer results, index helpers and bit packing": ["gcd", "lcm", "bitwise_count", "in1d", "indices", "ix_", "diag_indices", "diag_indices_from",
    "tril_indices_from", "triu_indices_from", "unravel_index", "ravel_multi_index", "packbits", "unpackbits"],
  "set operations (sorted selections of the inputs whose length depends on their values)": ["unique_values", "unique_counts",
    "unique_inverse", "unique_all", "union1d", "intersect1d", "setdiff1d", "setxor1d"],
  "zero for real inputs": ["imag"],
};

describe("ad: checkGrads over jax.numpy functions (float64)", () => {
  let prevX64 = false;
  before(() => {
    prevX64 = config.enableX64;
    config.enableX64 = true;
  });
  after(() => {
    config.enableX64 = prevX64;
  });

  it("every jnp function has a gradient case or a reason not to", () => {
    const skipped = new Set(Object.values(NOT_CHECKED).flat());
    const missing = Object.keys(SIGNATURES).filter((n) => !(n in CASES) && !skipped.has(n));
    assert.deepEqual(missing, [], `jnp functions without a gradient case: ${missing.join(", ")}`);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`jnp.${name}`, () => {
      const f = fn(name);
      checkGrads((...xs) => c.call(f, ...(xs as Value[])), c.args(), 2, c.opts);
    });
  }
});
